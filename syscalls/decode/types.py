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

This module holds the base types (Arg, Int, Long, Hex, Ptr, Fd, DirFd, Flags, Enum, Octal, the
open and mmap flags, Signal, Ret) and the shared instances rows use; paths and buffers are in
buffers.py, and the helpers that spell values (quote, ptr, flags_text, errno_text) in text.py.
"""

from __future__ import annotations

import os

from emulator.abi.constants import AT_FDCWD, O_CREAT, O_TMPFILE
from emulator.errors import GuestFault
from syscalls.decode import xlat
from syscalls.decode.text import (
    device_text,
    fd_path,
    flags_names,
    flags_text,
    mode_text,
    named,
    ptr,
    s32,
    s64,
    signal_text,
)


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
                return f"{named(str(AT_FDCWD), 'AT_FDCWD')}<{os.getcwd()}>"
            return named(str(AT_FDCWD), "AT_FDCWD")
        return super().format(t, raw)


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
        if fl & O_CREAT or fl & O_TMPFILE == O_TMPFILE:
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
INT, LONG, ULONG, HEX, PTR, FD, DIRFD = Int(), Long(), Arg(), Hex(), Ptr(), Fd(), DirFd()


UINT, OCTAL, SIGNAL, FILEMODE, UNUSED = UInt(), Octal(), Signal(), FileMode(), Unused()


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
