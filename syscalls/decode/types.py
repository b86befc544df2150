"""Argument types: each knows how to decode itself for a handler and print itself as strace does.

A row of the syscall table lists one instance per argument. `decode` turns the raw register
value into what the handler wants, read at the width of the kernel's C type, as the kernel's
SYSCALL_DEFINE wrappers cast the 64-bit register (include/linux/syscalls.h, __SC_CAST): a
guest may leave anything in the upper bits. Int/Fd/DirFd/Signed are the low 32 bits signed,
UInt and a 32-bit Enum the low 32 bits unsigned (constants such as ioctl's _IOR have bit 31
set), a 32-bit Flags the low 32 bits sign-extended (the same bits for a handler's mask tests,
and a value that fits the C int of the host call it is handed to, os.pipe2's for one), a
mode (umode_t) the low 16 bits, Long a signed 64-bit value, Path bytes; pointers, sizes and
structs stay the raw 64-bit value, which their handlers check. `format` renders the raw
value for the tracer; types with `out = True` are printed after the call returns, because the
kernel fills them in (read's buffer, fstat's struct). `format` may return "" to leave an
argument out, as strace does (open's mode without O_CREAT, clone's stack).
"""

from __future__ import annotations

import errno
import os
import re
import stat

from emulator.errors import GuestFault, SyscallError
from syscalls.decode import xlat

MASK64 = 0xFFFF_FFFF_FFFF_FFFF
AT_FDCWD = -100


def s32(x: int) -> int:
    x &= 0xFFFF_FFFF
    return x - (1 << 32) if x & 0x8000_0000 else x


def u32(x: int) -> int:
    return x & 0xFFFF_FFFF


def s64(x: int) -> int:
    return x - (1 << 64) if x & (1 << 63) else x


class TraceContext:
    """What a type needs to print one call: the process, all raw args, the result, the options."""

    __slots__ = ("proc", "args", "ret", "opts", "strsize", "show_paths")

    def __init__(self, proc, args, ret=None, opts=None):
        self.proc = proc
        self.args = args
        self.ret = ret
        self.opts = opts
        if opts is None:
            self.strsize, self.show_paths = 32, False
        else:
            self.strsize, self.show_paths = opts.strsize, opts.show_paths

    @property
    def failed(self) -> bool:
        return self.ret is None or self.ret < 0

    def read(self, addr: int, size: int) -> bytes | None:
        try:
            return self.proc.mem.read(addr, size)
        except GuestFault:
            return None


# ----- strings ------------------------------------------------------------------------------
_ESC = {ord('"'): '\\"', ord("\\"): "\\\\", 10: "\\n", 9: "\\t", 13: "\\r", 12: "\\f", 11: "\\v"}
_PLAIN = rb"[\x20-\x21\x23-\x5b\x5d-\x7e]*"  # compiled (and cached) by re when tracing prints a string


# -x/-xx/--strings-in-hex, set once by the tracer: 0 octal escapes, 1 hex escapes (non-ascii-chars),
# 2 a string with any non-printable byte wholly in hex (-x), 3 every string in hex (-xx)
STRING_STYLE = [0]
_NOT_TEXT = rb"[^\x09-\x0d\x20-\x7e]"


def set_string_style(level: int) -> None:
    STRING_STYLE[0] = level


# -X: how named constants print: "abbrev" (the names), "raw" (the number), "verbose" (number /* names */)
CONST_STYLE = ["abbrev"]


def named(number: str, names: str) -> str:
    """A constant under -X: `names` is what strace prints by default, `number` the value's own text."""
    style = CONST_STYLE[0]
    if style == "abbrev" or names == number:
        return names
    return number if style == "raw" else f"{number} /* {names} */"


def quote(data: bytes, limit: int | None = None, cut: bool = False, hexall: bool = False) -> str:
    """strace's string quoting: C escapes, octal for other bytes, '...' when truncated."""
    more = cut or (limit is not None and len(data) > limit)
    if limit is not None:
        data = data[:limit]
    style = STRING_STYLE[0]
    if hexall or style == 3 or style == 2 and re.search(_NOT_TEXT, data):
        return '"' + "".join(f"\\x{b:02x}" for b in data) + '"' + ("..." if more else "")
    if re.fullmatch(_PLAIN, data):
        return '"' + data.decode() + '"' + ("..." if more else "")
    out = []
    n = len(data)
    for i, b in enumerate(data):
        e = _ESC.get(b)
        if e is not None:
            out.append(e)
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        elif style:
            out.append(f"\\x{b:02x}")
        elif i + 1 < n and 0x30 <= data[i + 1] <= 0x37:
            out.append(f"\\{b:03o}")
        else:
            out.append(f"\\{b:o}")
    return '"' + "".join(out) + '"' + ("..." if more else "")


def ptr(x: int) -> str:
    return "NULL" if x == 0 else f"{x:#x}"


def fd_path(fd: int) -> str | None:
    """What -y prints next to an fd: the host's /proc view (guest fds are host fds)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def device_text(fd: int) -> str:
    """-yy: a device's kind and numbers after its path, as strace's `<char 1:3>`."""
    try:
        st = os.fstat(fd)
    except OSError:
        return ""
    kind = "char" if stat.S_ISCHR(st.st_mode) else "block" if stat.S_ISBLK(st.st_mode) else None
    return f"<{kind} {os.major(st.st_rdev)}:{os.minor(st.st_rdev)}>" if kind else ""


def flags_text(table, raw: int, zero: str = "0") -> str:
    if CONST_STYLE[0] != "abbrev":
        return named(f"{raw:#x}" if raw else "0", flags_names(table, raw, zero))
    return flags_names(table, raw, zero)


def flags_names(table, raw: int, zero: str = "0") -> str:
    """The names alone, whatever -X says (strace's own explanations use them)."""
    if raw == 0:
        return zero
    names, rest = [], raw
    for value, name in table:
        if value and rest & value == value:
            names.append(name)
            rest &= ~value
    if rest:
        names.append(f"{rest:#x}")
    return "|".join(names)


RESTART_TEXT = {512: "To be restarted if SA_RESTART is set", 513: "To be restarted",
                514: "To be restarted if no handler", 516: "Interrupted by signal"}


def errno_text(err: int) -> str:
    if err in RESTART_TEXT:  # the kernel restarts these: strace shows the call as unfinished
        return f"? {xlat.ERRNO_NAMES[err]} ({RESTART_TEXT[err]})"
    name = xlat.ERRNO_NAMES.get(err)
    if name is None:
        return f"-1 ({os.strerror(err)})" if err < 512 else f"-1 {err}"
    return f"-1 {name} ({os.strerror(err)})"


# ----- the basic types ----------------------------------------------------------------------
class Arg:
    """A plain unsigned integer; the base of all argument types."""

    out = False  # printed when the call returns, not when it starts
    trivial = True  # decode is the identity: dispatch may skip it
    io: str | None = None  # "read"/"write": the data moved through the fd in argument 0 (-e read=/write=)
    names: str | None = None  # "path"/"fd": the argument names a file (what -P matches)

    def io_dump(self, t, raw: int) -> str:
        """strace's hex dump of the `t.ret` bytes this argument moved (for types with `io`)."""
        return ""

    def decode(self, proc, raw: int, args):
        return raw

    def format(self, t: TraceContext, raw: int) -> str:
        return str(raw)


class UInt(Arg):
    """A C unsigned int: the low 32 bits."""

    trivial = False

    def decode(self, proc, raw, args):
        return raw & 0xFFFF_FFFF

    def format(self, t, raw):
        return str(raw & 0xFFFF_FFFF)


class Int(Arg):
    """A C int: the low 32 bits, signed."""

    trivial = False

    def decode(self, proc, raw, args):
        return s32(raw)

    def format(self, t, raw):
        return str(s32(raw))


class Long(Arg):
    trivial = False

    def decode(self, proc, raw, args):
        return s64(raw)

    def format(self, t, raw):
        return str(s64(raw))


class Hex(Arg):
    """C's %#x: 0 prints as 0."""

    def format(self, t, raw):
        return f"{raw:#x}" if raw else "0"


class Ptr(Arg):
    """An address the handler uses itself; printed as strace prints pointers."""

    def format(self, t, raw):
        return "NULL" if raw == 0 else f"{raw:#x}"


class Fd(Int):
    """A file descriptor; with -y strace appends <path>."""

    names = "fd"

    def format(self, t, raw):
        if raw < 0x8000_0000 and not t.show_paths:
            return str(raw)
        fd = s32(raw)
        if t.show_paths and fd >= 0:
            path = fd_path(fd)
            if path:
                return f"{fd}<{path}{device_text(fd) if t.show_paths > 1 else ''}>"
        return str(fd)


class DirFd(Fd):
    def format(self, t, raw):
        if s32(raw) == AT_FDCWD:
            if t.show_paths:
                return f"{named('-100', 'AT_FDCWD')}<{os.getcwd()}>"
            return named("-100", "AT_FDCWD")
        return super().format(t, raw)


class Path(Arg):
    """A NUL-terminated path: the handler gets bytes; a bad pointer is -EFAULT."""

    names = "path"

    trivial = False

    def decode(self, proc, raw, args):
        try:
            return proc.mem.read_cstr(raw, 4096)
        except GuestFault:
            raise SyscallError(errno.EFAULT) from None

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        try:
            return quote(t.proc.mem.read_cstr(raw, 4096))
        except GuestFault:
            return ptr(raw)


class Str(Ptr):
    """A NUL-terminated string cut at -s (sethostname's name, memfd_create's name)."""

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        try:
            data = t.proc.mem.read_cstr(raw, t.strsize + 1)
        except GuestFault:
            return ptr(raw)
        return quote(data, t.strsize)


class OutPath(Ptr):
    """A path the kernel writes (getcwd): printed on success, `ret` bytes long with the NUL."""

    out = True

    def format(self, t, raw):
        if t.failed:
            return ptr(raw)
        data = t.read(raw, max(t.ret - 1, 0))
        return ptr(raw) if data is None else quote(data)


class InBuf(Ptr):
    """Bytes the guest gives the kernel (write's buf): the length is argument `size`."""

    io = "write"

    def io_dump(self, t, raw):
        return hexdump(t.read(raw, t.ret) or b"")

    def __init__(self, size: int, hexall: bool = False):
        self.size = size
        self.hexall = hexall

    def format(self, t, raw):
        n = t.args[self.size] if self.size >= 0 else t.ret
        lim = t.strsize
        try:
            data = t.proc.mem.read(raw, n if n < lim else lim) if n > 0 else b""
        except GuestFault:
            return ptr(raw)
        return quote(data, lim, n > lim, self.hexall)


def hexdump(data: bytes) -> str:
    """-e read=/write=: ` | 00000  xx xx ... xx  ascii... |`, 16 bytes a line, as strace's dumpstr."""
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        cells = [f"{b:02x} " for b in chunk] + ["   "] * (16 - len(chunk))
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f" | {off:05x}  {''.join(cells[:8])} {''.join(cells[8:])} {text:<16} |\n")
    return "".join(lines)


def iov_dump(t, raw: int, n: int) -> str:
    """An iovec array's first `t.ret` bytes, buffer by buffer, each under strace's ` * N bytes` line."""
    data = t.read(raw, 16 * n) if 0 < n <= 1024 else None
    if data is None:
        return ""
    out, left = [], t.ret
    for i in range(n):
        base, ln = int.from_bytes(data[16 * i:16 * i + 8], "little"), int.from_bytes(data[16 * i + 8:16 * i + 16], "little")
        ln = min(ln, left)
        if not ln:
            break
        left -= ln
        out.append(f" * {ln} bytes in buffer {i}\n" + hexdump(t.read(base, ln) or b""))
    return "".join(out)


def buf_text(t, raw, n, hexall=False) -> str:
    lim = t.strsize
    data = t.read(raw, min(n, lim)) if n > 0 else b""
    if data is None:
        return ptr(raw)
    return quote(data, lim, cut=n > lim, hexall=hexall)


class OutBuf(InBuf):
    """Bytes the kernel returns (read's buf): printed after the call, as many as it returned."""

    out = True
    io = "read"

    def __init__(self, hexall: bool = False):
        super().__init__(size=-1, hexall=hexall)

    def format(self, t, raw):
        if t.failed:
            return ptr(raw)
        return buf_text(t, raw, t.ret, self.hexall)


class Flags(Arg):
    """A bit set printed as NAME|NAME|0x..., from an xlat table of (value, name) pairs."""

    def __init__(self, table, zero: str = "0", bits: int = 32, suffix: str = ""):
        self.table = table
        self.zero = zero
        self.bits = bits
        self.suffix = suffix  # strace's note when no bit has a name: 0x10 /* EFD_??? */
        self.trivial = bits != 32  # an unsigned long (bits=64) reaches the handler whole

    def decode(self, proc, raw, args):
        return s32(raw)  # int or unsigned int flags: the same bits, and a C int for host calls

    def format(self, t, raw):
        raw &= (1 << self.bits) - 1
        text = flags_names(self.table, raw, self.zero)
        if self.suffix and raw and text == f"{raw:#x}":
            return f"{text} /* {self.suffix} */"
        return named(f"{raw:#x}" if raw else "0", text)


class NotedFlags(Flags):
    """Flags as strace prints them when none is known: 0x4d /* PIDFD_??? */."""

    def __init__(self, table, unknown: str, bits: int = 32):
        super().__init__(table, bits=bits)
        self.unknown = unknown

    def format(self, t, raw):
        raw &= (1 << self.bits) - 1
        if raw and not any(raw & v for v, _ in self.table):
            return f"{raw:#x} /* {self.unknown} */"
        return flags_text(self.table, raw)


class Enum(Arg):
    """A constant printed by name (ARCH_SET_FS, SEEK_SET, ...), else as a number."""

    def __init__(self, table, bits: int = 32, default: str = "int", suffix: str = ""):
        self.names = dict(table)
        self.bits = bits
        self.default = default  # how an unknown value prints: int, hex or a "/* NAME_??? */" note
        self.suffix = suffix
        self.trivial = bits != 32  # a signed int is wrapped in Signed(), which decodes it

    def decode(self, proc, raw, args):
        return raw & 0xFFFF_FFFF  # an unsigned int (fcntl's cmd, ioctl's request, lseek's whence)

    def format(self, t, raw):
        raw &= (1 << self.bits) - 1
        name = self.names.get(raw)
        if name:
            return named(f"{raw:#x}" if raw else "0", name)
        if self.default == "hex":
            text = f"{raw:#x}" if raw else "0"
        else:
            text = str(s32(raw) if self.bits == 32 else s64(raw))
        return f"{text} /* {self.suffix} */" if self.suffix else text


class Octal(Arg):
    """A permission mode: 0644, 000. The kernel reads a umode_t (16 bits)."""

    trivial = False

    def decode(self, proc, raw, args):
        return raw & 0xFFFF

    def format(self, t, raw):
        return f"0{raw & 0o7777:o}" if raw & 0o7777 else "000"


def mode_text(mode: int) -> str:
    """S_IFREG|0644, as stat's st_mode and mknod's mode print."""
    fmt = mode & 0o170000
    perm = mode & 0o7777
    name = dict(xlat.S_IFMT).get(fmt)
    p = f"0{perm:o}" if perm else "000"
    if name:
        return named(f"0{mode:o}", f"{name}|{p}" if perm else name)
    return p if not fmt else f"{mode:#o}"


class FileMode(Octal):
    """A mode with its file type (mknod's): a umode_t too."""

    def format(self, t, raw):
        return mode_text(raw & 0xFFFF_FFFF)


class OpenFlags(Arg):
    """O_RDONLY|O_CREAT|...: the access mode first, then the flags. The kernel reads an int."""

    trivial = False

    def decode(self, proc, raw, args):
        return s32(raw)

    def format(self, t, raw):
        raw &= 0xFFFF_FFFF
        return named(f"{raw:#x}" if raw else "0", self.names(raw))

    @staticmethod
    def names(raw: int) -> str:
        acc = xlat.O_ACCMODE[raw & 3][1]
        rest = raw & ~3  # O_TMPFILE (which includes O_DIRECTORY's bit) comes first in O_FLAGS
        return acc if not rest else acc + "|" + flags_names(xlat.O_FLAGS, rest)


class OpenMode(Octal):
    """open's third argument: printed only with O_CREAT or O_TMPFILE, like strace."""

    def __init__(self, flags_index: int):
        self.flags_index = flags_index

    def format(self, t, raw):
        fl = t.args[self.flags_index]
        if fl & xlat.O_CREAT or fl & xlat.O_TMPFILE == xlat.O_TMPFILE:
            return super().format(t, raw)
        return ""


class MmapFlags(Arg):
    def format(self, t, raw):
        raw &= 0xFFFF_FFFF
        kind = dict(xlat.MAP_TYPES).get(raw & 3)
        rest = raw & ~3
        parts = [kind] if kind else []
        if rest:
            parts.append(flags_names(xlat.MAP_FLAGS, rest, "0"))
        return named(f"{raw:#x}" if raw else "0", "|".join(parts) if parts else "0")


def signal_text(n: int) -> str:
    """A signal number as strace prints it (SIGTERM; 15 or `15 /* SIGTERM */` under -X)."""
    return named(str(n), xlat.signame(n))


class Signal(Arg):
    def format(self, t, raw):
        return signal_text(s32(raw))


class Unused(Arg):
    """An argument strace leaves out (it depends on another one)."""

    def __init__(self, show=None):
        self.show = show  # (index, mask): print as a pointer when args[index] & mask

    def format(self, t, raw):
        if self.show and t.args[self.show[0]] & self.show[1]:
            return ptr(raw)
        return ""


class Ret:
    """How a return value prints: decimal, hex address, octal, or '?' (exit never returns)."""

    def __init__(self, kind: str = "int"):
        self.kind = kind

    def format(self, t, value: int) -> str:
        kind = self.kind
        if kind == "none":
            return "?"
        if kind == "hex" and value >= 0:
            return f"{value:#x}"
        if kind == "fd" and value >= 0:
            return FD.format(t, value)
        if kind == "octal" and value >= 0:
            return f"0{value:o}" if value else "000"
        return str(value)


# Shared instances so table rows stay short.
INT, LONG, ULONG, HEX, PTR, FD, DIRFD, PATH = Int(), Long(), Arg(), Hex(), Ptr(), Fd(), DirFd(), Path()
UINT, STR, OCTAL, SIGNAL, FILEMODE, UNUSED = UInt(), Str(), Octal(), Signal(), FileMode(), Unused()
OPENFLAGS, MMAPFLAGS = OpenFlags(), MmapFlags()
SIZE = ULONG
RET_INT, RET_HEX, RET_FD, RET_NONE, RET_OCTAL = Ret("int"), Ret("hex"), Ret("fd"), Ret("none"), Ret("octal")


class Signed(Int):
    """A C int whose handler wants it signed, printed by another type (a signal, a clock id, ...)."""

    def __init__(self, inner: Arg):
        self.inner = inner
        self.out = inner.out

    def format(self, t, raw):
        return self.inner.format(t, raw)


class PathPtr(Ptr):
    """A path printed as strace prints it, for a handler that reads it itself (decode: the address)."""

    names = "path"

    def format(self, t, raw):
        return PATH.format(t, raw)
