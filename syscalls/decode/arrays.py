"""Array arguments as strace prints them: iovecs, argv and envp, pollfd arrays, CPU sets, directory entries.

Each is a guest pointer to a number of elements that another argument or the result gives
(writev's iovcnt, poll's nfds, getdents' byte count), so those the kernel fills print on return.
"""

from __future__ import annotations

import struct

from emulator.errors import GuestFault
from syscalls.decode import xlat
from syscalls.decode.buffers import buf_text, iov_dump
from syscalls.decode.structs import (
    StructPtr,
)
from syscalls.decode.text import flags_text, ptr, quote
from syscalls.decode.types import Ptr


class Iovec(Ptr):
    """An iovec array; `count` is the index of its length argument. Out arrays print `ret` bytes."""

    def __init__(self, count: int, out: bool = False):
        self.count = count
        self.out = out
        self.io = "read" if out else "write"

    def format(self, t, raw):
        if self.out and t.failed:
            return ptr(raw)
        return iovec_text(t, raw, t.args[self.count], t.ret if self.out else None)

    def io_dump(self, t, raw):
        return iov_dump(t, raw, t.args[self.count])


def iovec_text(t, raw: int, n: int, left: int | None = None) -> str:
    """[{iov_base="...", iov_len=N}, ...]; with `left`, only that many bytes have content (a read)."""
    if raw == 0:
        return "NULL"
    if n > 1024:
        return ptr(raw)
    data = t.read(raw, 16 * n)
    if data is None:
        return ptr(raw)
    items = []
    for i in range(n):
        if i >= t.strsize:
            items.append("...")
            break
        base, ln = struct.unpack_from("<QQ", data, 16 * i)
        shown = ln if left is None else max(0, min(ln, left))
        if left is not None:
            left -= shown
        items.append(f"{{iov_base={buf_text(t, base, shown) if base else 'NULL'}, iov_len={ln}}}")
    return "[" + ", ".join(items) + "]"


class StrArray(Ptr):
    """execve's argv: ["a", "b"], each string cut at -s."""

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        try:
            ptrs = t.proc.mem.read_ptr_array(raw, 4096)
        except GuestFault:  # a bad guest pointer prints as the pointer
            return ptr(raw)
        items = []
        for i, p in enumerate(ptrs):
            if i >= t.strsize:
                items.append("...")
                break
            try:
                items.append(quote(t.proc.mem.read_cstr(p, t.strsize + 1), t.strsize))
            except GuestFault:
                items.append(ptr(p))
        return "[" + ", ".join(items) + "]"


class EnvArray(Ptr):
    """execve's envp, as strace prints it without -v: 0x7ffc... /* 35 vars */."""

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        try:
            n = len(t.proc.mem.read_ptr_array(raw, 4096))
        except GuestFault:
            return ptr(raw)
        return f"{raw:#x} /* {n} var{'s' if n != 1 else ''} */"


class PollFds(Ptr):
    """poll's array on entry: [{fd=0, events=POLLIN}]; the count is argument `count`."""

    def __init__(self, count: int):
        self.count = count

    def format(self, t, raw):
        n = t.args[self.count] & 0xFFFF_FFFF
        data = t.read(raw, 8 * min(n, 1024)) if raw else None
        if data is None:
            return ptr(raw)
        items = []
        for i in range(min(n, 1024)):
            if i >= t.strsize:
                items.append("...")
                break
            fd, ev, _rev = struct.unpack_from("<ihh", data, 8 * i)
            items.append(f"{{fd={fd}, events={flags_text(xlat.POLL_EVENTS, ev & 0xFFFF)}}}")
        return "[" + ", ".join(items) + "]"


def poll_result(t, raw, n) -> str:
    """poll's return note: ([{fd=0, revents=POLLIN}]) or (Timeout)."""
    if t.ret == 0:
        return " (Timeout)"
    data = t.read(raw, 8 * n)
    if data is None:
        return ""
    items = []
    for i in range(n):
        fd, _ev, rev = struct.unpack_from("<ihh", data, 8 * i)
        if rev:
            items.append(f"{{fd={fd}, revents={flags_text(xlat.POLL_EVENTS, rev & 0xFFFF)}}}")
    return " ([" + ", ".join(items) + "])"


class CpuSet(StructPtr):
    """sched_getaffinity's mask: [0 1], `ret` bytes long."""

    out = True

    def format(self, t, raw):
        if t.failed or raw == 0:
            return ptr(raw)
        data = t.read(raw, t.ret)
        if data is None:
            return ptr(raw)
        mask = int.from_bytes(data, "little")
        return "[" + " ".join(str(i) for i in range(len(data) * 8) if mask >> i & 1) + "]"


class Dirents(Ptr):
    """getdents64's buffer without -v: 0x... /* N entries */."""

    out = True

    def format(self, t, raw):
        if t.failed:
            return ptr(raw)
        data = t.read(raw, t.ret)
        if data is None:
            return ptr(raw)
        n = off = 0
        while off + 19 <= len(data):
            reclen = struct.unpack_from("<H", data, off + 16)[0]
            if reclen == 0:
                break
            n += 1
            off += reclen
        return f"{raw:#x} /* {n} entries */"
