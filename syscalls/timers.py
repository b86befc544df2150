"""POSIX per-process timers (timer_create and friends): the host's own timers.

One guest process is one host process, so a timer created on the host with the guest's clock
and sigevent signals this very process, where elfemu's signal layer turns the host signal into
the guest's. Python's host handler is not told the siginfo, so the signal layer asks
timer_siginfo() here for what the kernel would have said (SI_TIMER, the timer id, the overrun
count and the sigevent's value). Timers do not survive execve (forget_all) and are not
inherited by fork: the host child has none, and neither does the registry it inherits.
"""

import ctypes
import struct

from syscalls.fsbase import host

SYS_TIMER_CREATE, SYS_TIMER_SETTIME, SYS_TIMER_GETTIME, SYS_TIMER_GETOVERRUN, SYS_TIMER_DELETE = range(222, 227)
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID = 0, 1, 4
SIGEVENT_SIZE = 64  # struct sigevent: sigev_value, sigev_signo, sigev_notify, then the union
SIGEVENT_HEAD = struct.Struct("<Qii")
ITIMERSPEC_SIZE = 32
SI_TIMER = -2


def _registry(p) -> dict[int, tuple[int, int, int]]:
    """timer id -> (notify, signo, value): what the siginfo of its signal must say."""
    reg = getattr(p, "posix_timers", None)
    if reg is None:
        reg = p.posix_timers = {}
    return reg


def timer_create(p, clockid, sevp, timerid):
    if sevp:
        event = p.mem.read(sevp, SIGEVENT_SIZE)
    else:  # the kernel's default: SIGALRM, the value being the timer's id (set below)
        event = SIGEVENT_HEAD.pack(0, 14, SIGEV_SIGNAL).ljust(SIGEVENT_SIZE, b"\0")
    p.mem.check(timerid, 4, write=True)
    new_id = ctypes.c_int(0)
    sev = ctypes.create_string_buffer(event, SIGEVENT_SIZE)
    host(SYS_TIMER_CREATE, clockid & 0xFFFF_FFFF, sev if sevp else None, ctypes.byref(new_id))
    value, signo, notify = SIGEVENT_HEAD.unpack_from(event)
    _registry(p)[new_id.value] = (notify, signo, value if sevp else new_id.value)
    p.mem.write(timerid, struct.pack("<i", new_id.value))
    return 0


def timer_settime(p, timer, flags, new, old):
    value = ctypes.create_string_buffer(p.mem.read(new, ITIMERSPEC_SIZE), ITIMERSPEC_SIZE)
    prev = ctypes.create_string_buffer(ITIMERSPEC_SIZE) if old else None
    if old:
        p.mem.check(old, ITIMERSPEC_SIZE, write=True)
    host(SYS_TIMER_SETTIME, timer, flags & 0xFFFF_FFFF, value, prev)
    if old:
        p.mem.write(old, prev.raw)
    return 0


def timer_gettime(p, timer, cur):
    buf = ctypes.create_string_buffer(ITIMERSPEC_SIZE)
    host(SYS_TIMER_GETTIME, timer, buf)
    p.mem.write(cur, buf.raw)
    return 0


def timer_getoverrun(p, timer):
    return host(SYS_TIMER_GETOVERRUN, timer)


def timer_delete(p, timer):
    host(SYS_TIMER_DELETE, timer)
    _registry(p).pop(timer, None)
    return 0


def forget_all(p) -> None:
    """execve: the old program's timers are deleted, as Linux does."""
    for timer in list(_registry(p)):
        try:
            host(SYS_TIMER_DELETE, timer)
        except OSError:
            pass
    p.posix_timers = {}


def after_fork_child(p) -> None:
    p.posix_timers = {}


def timer_siginfo(p, signo: int) -> dict | None:
    """The SI_TIMER siginfo for a host `signo` that one of the guest's timers sends, else None."""
    for timer, (notify, tsig, value) in getattr(p, "posix_timers", {}).items():
        if tsig == signo and notify in (SIGEV_SIGNAL, SIGEV_THREAD_ID):
            try:
                overrun = host(SYS_TIMER_GETOVERRUN, timer)
            except OSError:
                overrun = 0
            return {"si_code": SI_TIMER, "si_timerid": timer, "si_overrun": overrun, "si_value": value}
    return None
