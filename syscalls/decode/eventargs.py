"""How strace prints the structs of epoll and the timers: struct epoll_event, its arrays,
itimerspec, struct sigevent.

Like structs.py, every type decodes to the raw address; an output struct of a failed call
prints as the bare pointer.
"""

import struct

from syscalls.decode import xlat
from syscalls.decode.structs import StructPtr
from syscalls.decode.text import flags_text, ptr, s32
from syscalls.decode.types import Ptr

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


class Sigevent(StructPtr):
    """timer_create's {sigev_value={sival_int=77, sival_ptr=0x4d}, sigev_signo=SIGALRM,
    sigev_notify=SIGEV_SIGNAL}: the value only when it is not 0, as strace does."""

    size = 64

    def show(self, t, data):
        value, signo, notify, tid = struct.unpack_from("<QiiI", data)
        parts = [f"sigev_value={{sival_int={s32(value)}, sival_ptr={ptr(value)}}}"] if value else []
        parts.append(f"sigev_signo={xlat.signame(signo)}" if notify in (0, 2, 4) else f"sigev_signo={signo}")
        name = dict(xlat.SIGEV_NOTIFY).get(notify)
        parts.append(f"sigev_notify={name}" if name else f"sigev_notify={notify:#x} /* SIGEV_??? */")
        if notify == 4:
            parts.append(f"sigev_notify_thread_id={s32(tid)}")
        elif notify == 2:
            function, attributes = struct.unpack_from("<QQ", data, 16)
            parts += [f"sigev_notify_function={ptr(function)}", f"sigev_notify_attributes={ptr(attributes)}"]
        return "{" + ", ".join(parts) + "}"
