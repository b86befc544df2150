"""Argument types: each knows how to decode itself for a handler and print itself as strace does.

A row of the syscall table lists one instance per argument. `decode` turns the raw register
value into what the handler wants (a signed int, a path as bytes, ...). `format` renders the
raw value for the tracer; types with `out = True` are printed after the call returns, because
the kernel fills them in (read's buffer, fstat's struct).
"""

from __future__ import annotations

import errno

from syscalls.errors import GuestFault, SyscallError

MASK64 = 0xFFFF_FFFF_FFFF_FFFF


def s32(x: int) -> int:
    x &= 0xFFFF_FFFF
    return x - (1 << 32) if x & 0x8000_0000 else x


def s64(x: int) -> int:
    return x - (1 << 64) if x & (1 << 63) else x


class TraceContext:
    """What a type needs to print one call: the process, all raw args, the result, the options."""

    def __init__(self, proc, args, ret=None, opts=None):
        self.proc = proc
        self.args = args
        self.ret = ret
        self.opts = opts

    @property
    def strsize(self) -> int:
        return getattr(self.opts, "strsize", 32)

    @property
    def failed(self) -> bool:
        return self.ret is None or self.ret < 0


def quote(data: bytes, limit: int | None = None, cut: bool = False) -> str:
    """strace's string quoting: C escapes, octal for other bytes, '...' when truncated."""
    more = cut or (limit is not None and len(data) > limit)
    if limit is not None:
        data = data[:limit]
    out = []
    for i, b in enumerate(data):
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif c == "\f":
            out.append("\\f")
        elif c == "\v":
            out.append("\\v")
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            nxt = data[i + 1] if i + 1 < len(data) else None
            if nxt is not None and 0x30 <= nxt <= 0x37:
                out.append(f"\\{b:03o}")
            else:
                out.append(f"\\{b:o}")
    return '"' + "".join(out) + '"' + ("..." if more else "")


def ptr(x: int) -> str:
    return "NULL" if x == 0 else f"{x:#x}"


class Arg:
    """A plain unsigned integer; the base of all argument types."""

    out = False  # printed when the call returns, not when it starts
    trivial = True  # decode is the identity: dispatch may skip it

    def decode(self, proc, raw: int, args):
        return raw

    def format(self, t: TraceContext, raw: int) -> str:
        return str(raw)


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
    def format(self, t, raw):
        return f"{raw:#x}"


class Ptr(Arg):
    """An address the handler uses itself; printed as strace prints pointers."""

    def format(self, t, raw):
        return ptr(raw)


class Fd(Int):
    """A file descriptor; with -y strace appends <path>."""

    def format(self, t, raw):
        fd = s32(raw)
        path = t.opts.fd_path(t.proc, fd) if t.opts is not None and getattr(t.opts, "show_paths", False) else None
        return f"{fd}<{path}>" if path else str(fd)


AT_FDCWD = -100


class DirFd(Fd):
    def format(self, t, raw):
        return "AT_FDCWD" if s32(raw) == AT_FDCWD else super().format(t, raw)


class Path(Arg):
    """A NUL-terminated path: the handler gets bytes; a bad pointer is -EFAULT."""

    trivial = False

    def decode(self, proc, raw, args):
        try:
            return proc.mem.read_cstr(raw, 4096)
        except GuestFault:
            raise SyscallError(errno.EFAULT) from None

    def format(self, t, raw):
        try:
            return quote(t.proc.mem.read_cstr(raw, 4096), 4096)
        except GuestFault:
            return ptr(raw)


class InBuf(Arg):
    """Bytes the guest gives the kernel (write's buf): the length is argument `size`."""

    def __init__(self, size: int):
        self.size = size

    def format(self, t, raw):
        n = t.args[self.size]
        try:
            data = t.proc.mem.read(raw, min(n, t.strsize + 1))
        except GuestFault:
            return ptr(raw)
        return quote(data, t.strsize, cut=n > t.strsize)


class OutBuf(InBuf):
    """Bytes the kernel returns (read's buf): printed after the call, as many as it returned."""

    out = True

    def __init__(self):
        super().__init__(size=-1)

    def format(self, t, raw):
        if t.failed:
            return ptr(raw)
        n = t.ret
        try:
            data = t.proc.mem.read(raw, min(n, t.strsize + 1))
        except GuestFault:
            return ptr(raw)
        return quote(data, t.strsize, cut=n > t.strsize)


class Flags(Arg):
    """A bit set printed as NAME|NAME|0x..., from an xlat table of (value, name) pairs."""

    def __init__(self, table, zero: str = "0", bits: int = 64):
        self.table = table
        self.zero = zero
        self.bits = bits

    def format(self, t, raw):
        raw &= (1 << self.bits) - 1
        if raw == 0:
            return self.zero
        names, rest = [], raw
        for value, name in self.table:
            if value and rest & value == value:
                names.append(name)
                rest &= ~value
        if rest:
            names.append(f"{rest:#x}")
        return "|".join(names)


class Enum(Arg):
    """A constant printed by name (ARCH_SET_FS, SEEK_SET, ...), else as a number."""

    def __init__(self, table, bits: int = 32, default_hex: bool = False):
        self.names = dict(table)
        self.bits = bits
        self.default_hex = default_hex

    def format(self, t, raw):
        raw &= (1 << self.bits) - 1
        name = self.names.get(raw)
        if name:
            return name
        return f"{raw:#x}" if self.default_hex else str(s32(raw) if self.bits == 32 else raw)


class Octal(Arg):
    def format(self, t, raw):
        return f"0{raw & 0o7777:o}" if raw & 0o7777 else "000"


class Ret:
    """How a return value prints: decimal, hex address, or '?' (exit never returns)."""

    def __init__(self, kind: str = "int"):
        self.kind = kind

    def format(self, t, value: int) -> str:
        if self.kind == "none":
            return "?"
        if self.kind == "hex" and value >= 0:
            return f"{value:#x}"
        if self.kind == "fd" and value >= 0:
            return Fd().format(t, value)
        return str(value)


# Shared instances so table rows stay short.
INT, LONG, ULONG, HEX, PTR, FD, DIRFD, PATH = Int(), Long(), Arg(), Hex(), Ptr(), Fd(), DirFd(), Path()
SIZE = ULONG
RET_INT, RET_HEX, RET_FD, RET_NONE = Ret("int"), Ret("hex"), Ret("fd"), Ret("none")
