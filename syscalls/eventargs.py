"""How strace prints the structs of epoll and timerfd: struct epoll_event, its arrays, itimerspec.

Like structs.py, every type decodes to the raw address; an output struct of a failed call
prints as the bare pointer.
"""

import struct

from syscalls import xlat
from syscalls.structs import StructPtr
from syscalls.types import Ptr, flags_text, ptr

EVENT = struct.Struct("<IQ")  # packed on x86-64


def epoll_event_text(data: bytes, off: int = 0) -> str:
    events, value = EVENT.unpack_from(data, off)
    names = flags_text(xlat.EPOLL_EVENTS, events)
    if events and names == f"{events:#x}":
        names += " /* EPOLL??? */"
    return f"{{events={names}, data={{u32={value & 0xFFFF_FFFF}, u64={value}}}}}"


class EpollEvent(StructPtr):
    """epoll_ctl's event: {events=EPOLLIN|EPOLLET, data={u32=5, u64=5}}."""

    size = EVENT.size

    def show(self, t, data):
        return epoll_event_text(data)


class EpollEvents(Ptr):
    """epoll_wait's array, printed on return: as many events as the call returned, cut at -s."""

    out = True

    def format(self, t, raw):
        if t.failed or raw == 0:
            return ptr(raw)
        n = min(t.ret, t.strsize)
        data = t.read(raw, EVENT.size * n) if n else b""
        if data is None:
            return ptr(raw)
        items = [epoll_event_text(data, EVENT.size * i) for i in range(n)]
        if t.ret > n:
            items.append("...")
        return "[" + ", ".join(items) + "]"


def _ts(sec: int, nsec: int) -> str:
    return f"{{tv_sec={sec}, tv_nsec={nsec}}}"


class Itimerspec(StructPtr):
    """timerfd's {it_interval={tv_sec=0, tv_nsec=0}, it_value={...}} (strace prints tv_nsec unsigned)."""

    size = 32

    def show(self, t, data):
        isec, insec, vsec, vnsec = struct.unpack("<qQqQ", data)
        return f"{{it_interval={_ts(isec, insec)}, it_value={_ts(vsec, vnsec)}}}"
