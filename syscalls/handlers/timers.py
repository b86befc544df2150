"""POSIX per-process timers (timer_create and friends): the host's own timers.

One guest process is one host process, so a timer created on the host with the guest's clock
and sigevent signals this very process, where elfemu's signal layer turns the host signal into
the guest's. Python's host handler is not told the siginfo, so the signal layer asks
posix_timers.siginfo() (emulator/task/posix_timers.py) for what the kernel would have said (SI_TIMER, the timer id, the overrun
count and the sigevent's value). Timers do not survive execve (forget_all) and are not
inherited by fork: the host child has none, and neither does the registry it inherits.
"""

import ctypes
import struct

from emulator.abi.constants import ITIMERSPEC_SIZE, SIGEVENT_SIZE
from emulator.abi.syscall_numbers import NR
from emulator.machine.libc import host
from emulator.task.posix_timers import SIGEV_SIGNAL

SIGEVENT_HEAD = struct.Struct("<Qii")


def timer_create(p, clockid, sevp, timerid):
    if sevp:
        event = p.mem.read(sevp, SIGEVENT_SIZE)
    else:  # the kernel's default: SIGALRM, the value being the timer's id (set below)
        event = SIGEVENT_HEAD.pack(0, 14, SIGEV_SIGNAL).ljust(SIGEVENT_SIZE, b"\0")
    p.mem.check(timerid, 4, write=True)
    new_id = ctypes.c_int(0)
    sev = ctypes.create_string_buffer(event, SIGEVENT_SIZE)
    host(NR["timer_create"], clockid & 0xFFFF_FFFF, sev if sevp else None, ctypes.byref(new_id))
    value, signo, notify = SIGEVENT_HEAD.unpack_from(event)
    p.posix_timers[new_id.value] = (notify, signo, value if sevp else new_id.value)
    p.mem.write(timerid, struct.pack("<i", new_id.value))
    return 0


def timer_settime(p, timer, flags, new, old):
    value = ctypes.create_string_buffer(p.mem.read(new, ITIMERSPEC_SIZE), ITIMERSPEC_SIZE)
    prev = ctypes.create_string_buffer(ITIMERSPEC_SIZE) if old else None
    if old:
        p.mem.check(old, ITIMERSPEC_SIZE, write=True)
    host(NR["timer_settime"], timer, flags & 0xFFFF_FFFF, value, prev)
    if old:
        p.mem.write(old, prev.raw)
    return 0


def timer_gettime(p, timer, cur):
    buf = ctypes.create_string_buffer(ITIMERSPEC_SIZE)
    host(NR["timer_gettime"], timer, buf)
    p.mem.write(cur, buf.raw)
    return 0


def timer_getoverrun(p, timer):
    return host(NR["timer_getoverrun"], timer)


def timer_delete(p, timer):
    host(NR["timer_delete"], timer)
    p.posix_timers.pop(timer, None)
    return 0


def forget_all(p) -> None:
    """execve: the old program's timers are deleted, as Linux does."""
    for timer in list(p.posix_timers):
        try:
            host(NR["timer_delete"], timer)
        except OSError:
            pass
    p.posix_timers = {}


def after_fork_child(p) -> None:
    p.posix_timers = {}
