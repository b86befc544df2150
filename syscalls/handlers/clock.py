"""Time syscalls: clock_gettime/getres, gettimeofday, time, nanosleep, clock_nanosleep, times.

Every reading of a clock goes through now_ns() and every sleep through sleep_until(), so a
later "time control" feature (scaling or freezing the guest's clock) wraps just those two.
"""

import errno
import os
import struct
import time

from emulator.abi.constants import (
    CLOCK_BOOTTIME,
    CLOCK_MONOTONIC,
    CLOCK_PROCESS_CPUTIME_ID,
    CLOCK_REALTIME,
    CLOCK_TAI,
    CLOCK_THREAD_CPUTIME_ID,
    TIMER_ABSTIME,
)
from emulator.abi.constants import NSEC_PER_SEC as NSEC
from emulator.errors import SyscallError

SLEEP_CLOCKS = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_PROCESS_CPUTIME_ID}


def now_ns(clock: int) -> int:
    """The one place the guest's clocks are read (host clock ids; EINVAL for bad ones)."""
    return time.clock_gettime_ns(clock)


def sleep_until(p, clock: int, deadline_ns: int) -> None:
    """The one place the guest sleeps: until `clock` reads deadline_ns. A guest signal ends the
    sleep with EINTR, as Linux's does (HostSignals.sleep wakes as soon as one is deliverable)."""
    while True:
        left = deadline_ns - now_ns(clock)
        if left <= 0:
            return
        if p.host_signals.sleep(left / NSEC):
            raise SyscallError(errno.EINTR)


def read_timespec(p, addr: int) -> int:
    sec, nsec = struct.unpack("<qq", p.mem.read(addr, 16))
    if sec < 0 or not 0 <= nsec < NSEC:
        raise SyscallError(errno.EINVAL)
    return sec * NSEC + nsec


def write_timespec(p, addr: int, ns: int) -> None:
    p.mem.write(addr, struct.pack("<qq", ns // NSEC, ns % NSEC))


def clock_gettime(p, clock, tp):
    write_timespec(p, tp, now_ns(clock))
    return 0


def clock_getres(p, clock, res):
    ns = int(round(time.clock_getres(clock) * NSEC))
    if res:
        write_timespec(p, res, ns)
    return 0


def clock_settime(p, clock, tp):
    read_timespec(p, tp)
    raise SyscallError(errno.EPERM if clock == CLOCK_REALTIME else errno.EINVAL)


def gettimeofday(p, tv, tz):
    ns = now_ns(CLOCK_REALTIME)
    if tv:
        p.mem.write(tv, struct.pack("<qq", ns // NSEC, ns % NSEC // 1000))
    if tz:
        p.mem.write(tz, struct.pack("<ii", 0, 0))
    return 0


def time_(p, tloc):
    sec = now_ns(CLOCK_REALTIME) // NSEC
    if tloc:
        p.mem.write(tloc, struct.pack("<q", sec))
    return sec


def _sleep(p, clock: int, flags: int, req: int, rem: int) -> int:
    want = read_timespec(p, req)
    deadline = want if flags & TIMER_ABSTIME else now_ns(clock) + want
    try:
        sleep_until(p, clock, deadline)
    except SyscallError:
        if rem and not flags & TIMER_ABSTIME:
            write_timespec(p, rem, max(0, deadline - now_ns(clock)))
        raise
    return 0


def nanosleep(p, req, rem):
    return _sleep(p, CLOCK_MONOTONIC, 0, req, rem)


def clock_nanosleep(p, clock, flags, req, rem):
    if clock not in SLEEP_CLOCKS:
        raise SyscallError(errno.EOPNOTSUPP if clock == CLOCK_THREAD_CPUTIME_ID else errno.EINVAL)
    return _sleep(p, clock, flags, req, rem)


def times(p, buf):
    t = os.times()
    tck = os.sysconf("SC_CLK_TCK")
    if buf:
        p.mem.write(buf, struct.pack("<4q", *(int(x * tck) for x in t[:4])))
    return int(t.elapsed * tck) & 0x7FFF_FFFF_FFFF_FFFF
