"""Priorities, scheduling policies, I/O priorities and capabilities: the host's own calls.

A guest process is a host process and guest pids are host pids, so "pid 0", another pid,
a process group or a user mean the same thing to the host kernel: each call is the raw host
syscall, with the guest's structs copied through host buffers (so errnos, permission checks
and the raw getpriority's 20-nice are Linux's own).
"""

import errno
import struct

from emulator.errors import SyscallError
from emulator.machine.libc import host
from syscalls.handlers.fsbase import inbuf, out, put

NR_GETPRIORITY, NR_SETPRIORITY = 140, 141
NR_SCHED_SETPARAM, NR_SCHED_GETPARAM, NR_SCHED_SETSCHEDULER, NR_SCHED_GETSCHEDULER = 142, 143, 144, 145
NR_SCHED_GET_PRIORITY_MAX, NR_SCHED_GET_PRIORITY_MIN, NR_SCHED_RR_GET_INTERVAL = 146, 147, 148
NR_SCHED_SETATTR, NR_SCHED_GETATTR = 314, 315
NR_IOPRIO_SET, NR_IOPRIO_GET = 251, 252
NR_CAPGET, NR_CAPSET = 125, 126
PAGE = 4096
CAP_V1, CAP_V2, CAP_V3 = 0x19980330, 0x20071026, 0x20080522


def getpriority(p, which, who):
    return host(NR_GETPRIORITY, which, who)


def setpriority(p, which, who, prio):
    return host(NR_SETPRIORITY, which, who, prio)


def sched_getscheduler(p, pid):
    return host(NR_SCHED_GETSCHEDULER, pid)


def sched_get_priority_max(p, policy):
    return host(NR_SCHED_GET_PRIORITY_MAX, policy)


def sched_get_priority_min(p, policy):
    return host(NR_SCHED_GET_PRIORITY_MIN, policy)


def _param(p, addr):
    """struct sched_param (one int); NULL is the kernel's EINVAL, so it is passed as NULL."""
    return inbuf(p, addr, 4)


def sched_setparam(p, pid, param):
    return host(NR_SCHED_SETPARAM, pid, _param(p, param))


def sched_setscheduler(p, pid, policy, param):
    return host(NR_SCHED_SETSCHEDULER, pid, policy, _param(p, param))


def sched_getparam(p, pid, param):
    if param == 0:
        raise SyscallError(errno.EINVAL)
    buf = out(4)
    ret = host(NR_SCHED_GETPARAM, pid, buf)
    put(p, param, buf)
    return ret


def sched_rr_get_interval(p, pid, interval):
    buf = out(16)
    ret = host(NR_SCHED_RR_GET_INTERVAL, pid, buf)
    put(p, interval, buf)
    return ret


def sched_getattr(p, pid, attr, size, flags):
    if attr == 0 or size > PAGE or size < 48:
        raise SyscallError(errno.EINVAL)
    buf = out(size)
    ret = host(NR_SCHED_GETATTR, pid, buf, size, flags)
    written = struct.unpack_from("<I", buf.raw)[0]  # the kernel says how much it filled in
    put(p, attr, buf, min(written, size))
    return ret


def sched_setattr(p, pid, attr, flags):
    if attr == 0:
        raise SyscallError(errno.EINVAL)
    usize = struct.unpack("<I", p.mem.read(attr, 4))[0]
    buf = inbuf(p, attr, min(max(usize, 48), PAGE + 1))  # PAGE + 1: the kernel's own E2BIG
    try:
        return host(NR_SCHED_SETATTR, pid, buf, flags)
    except OSError as e:
        if e.errno == errno.E2BIG:  # the kernel reports the size it wants in attr->size
            p.mem.write(attr, buf.raw[:4])
        raise


def ioprio_get(p, which, who):
    return host(NR_IOPRIO_GET, which, who)


def ioprio_set(p, which, who, ioprio):
    return host(NR_IOPRIO_SET, which, who, ioprio)


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
        ret = host(NR_CAPGET, hdr, buf)
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
        return host(NR_CAPSET, hdr, buf)
    except OSError as e:
        if e.errno == errno.EINVAL:
            put(p, header, hdr, 4)
        raise
