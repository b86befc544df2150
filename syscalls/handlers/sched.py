"""Priorities, scheduling policies, I/O priorities and capabilities: the host's own calls.

A guest process is a host process and guest pids are host pids, so "pid 0", another pid,
a process group or a user mean the same thing to the host kernel: each call is the raw host
syscall, with the guest's structs copied through host buffers (so errnos, permission checks
and the raw getpriority's 20-nice are Linux's own).
"""

import errno
import struct

from emulator.abi.constants import CAP_V1, CAP_V2, CAP_V3
from emulator.abi.constants import PAGE_SIZE as PAGE
from emulator.abi.syscall_numbers import NR
from emulator.errors import SyscallError
from emulator.machine.libc import host
from syscalls.handlers.fsbase import inbuf, out, put


def getpriority(p, which, who):
    return host(NR["getpriority"], which, who)


def setpriority(p, which, who, prio):
    return host(NR["setpriority"], which, who, prio)


def sched_getscheduler(p, pid):
    return host(NR["sched_getscheduler"], pid)


def sched_get_priority_max(p, policy):
    return host(NR["sched_get_priority_max"], policy)


def sched_get_priority_min(p, policy):
    return host(NR["sched_get_priority_min"], policy)


def _param(p, addr):
    """struct sched_param (one int); NULL is the kernel's EINVAL, so it is passed as NULL."""
    return inbuf(p, addr, 4)


def sched_setparam(p, pid, param):
    return host(NR["sched_setparam"], pid, _param(p, param))


def sched_setscheduler(p, pid, policy, param):
    return host(NR["sched_setscheduler"], pid, policy, _param(p, param))


def sched_getparam(p, pid, param):
    if param == 0:
        raise SyscallError(errno.EINVAL)
    buf = out(4)
    ret = host(NR["sched_getparam"], pid, buf)
    put(p, param, buf)
    return ret


def sched_rr_get_interval(p, pid, interval):
    buf = out(16)
    ret = host(NR["sched_rr_get_interval"], pid, buf)
    put(p, interval, buf)
    return ret


def sched_getattr(p, pid, attr, size, flags):
    if attr == 0 or size > PAGE or size < 48:
        raise SyscallError(errno.EINVAL)
    buf = out(size)
    ret = host(NR["sched_getattr"], pid, buf, size, flags)
    written = struct.unpack_from("<I", buf.raw)[0]  # the kernel says how much it filled in
    put(p, attr, buf, min(written, size))
    return ret


def sched_setattr(p, pid, attr, flags):
    if attr == 0:
        raise SyscallError(errno.EINVAL)
    usize = struct.unpack("<I", p.mem.read(attr, 4))[0]
    buf = inbuf(p, attr, min(max(usize, 48), PAGE + 1))  # PAGE + 1: the kernel's own E2BIG
    try:
        return host(NR["sched_setattr"], pid, buf, flags)
    except OSError as e:
        if e.errno == errno.E2BIG:  # the kernel reports the size it wants in attr->size
            p.mem.write(attr, buf.raw[:4])
        raise


def ioprio_get(p, which, who):
    return host(NR["ioprio_get"], which, who)


def ioprio_set(p, which, who, ioprio):
    return host(NR["ioprio_set"], which, who, ioprio)


# ----- capabilities -----------------------------------------------------------------------------
def _cap_words(version: int) -> int:
    """How many __user_cap_data_struct the header's version means (0: an unknown version)."""
    return 2 if version in (CAP_V2, CAP_V3) else 1 if version == CAP_V1 else 0


def capget(p, header, data):
    hdr = inbuf(p, header, 8)
    if hdr is None:
        raise SyscallError(errno.EFAULT)
    n = _cap_words(struct.unpack_from("<I", hdr.raw)[0])
    # With a data pointer, an unknown version is EINVAL (NULL data: 0); the host must see one too.
    buf = out(12 * max(n, 1)) if data else None
    try:
        ret = host(NR["capget"], hdr, buf)
    except OSError as e:
        if e.errno == errno.EINVAL:  # an unknown version: the kernel wrote the one it prefers
            put(p, header, hdr, 4)
        raise
    if buf is None and not n:
        put(p, header, hdr, 4)
    if buf is not None:
        put(p, data, buf)
    return ret


def capset(p, header, data):
    hdr = inbuf(p, header, 8)
    if hdr is None:
        raise SyscallError(errno.EFAULT)
    n = _cap_words(struct.unpack_from("<I", hdr.raw)[0])
    buf = inbuf(p, data, 12 * n) if n else None
    try:
        return host(NR["capset"], hdr, buf)
    except OSError as e:
        if e.errno == errno.EINVAL:
            put(p, header, hdr, 4)
        raise
