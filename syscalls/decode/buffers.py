"""Path and buffer arguments: paths and strings the handler reads, buffers it reads or fills.

Path decodes to the bytes of a NUL-terminated guest string (the handler gets the path itself);
the others decode to the raw address. InBuf prints the bytes the kernel read (write's data, at
entry), OutBuf the bytes it wrote (read's data, on return, as many as the result says), both
cut at -s and hex-dumped for -e read=/-e write=.
"""

from __future__ import annotations

import errno

from emulator.errors import GuestFault, SyscallError
from syscalls.decode.text import (
    hexdump,
    ptr,
    quote,
)
from syscalls.decode.types import (
    Arg,
    Ptr,
)


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


PATH, STR = Path(), Str()


class PathPtr(Ptr):
    """A path printed as strace prints it, for a handler that reads it itself (decode: the address)."""

    names = "path"

    def format(self, t, raw):
        return PATH.format(t, raw)
