"""System information, limits, scheduling and credentials: uname, sysinfo, getrandom, rlimits,
affinity, getcpu, getrusage, personality, and the uid/gid calls.

One guest process is one host process, so most of these ask the host about itself. The
exceptions are the limits that describe the guest's own address space (RLIMIT_STACK, AS,
DATA, RSS, MEMLOCK): setting them on the host would constrain elfemu's Python, so they are
kept per process (Process.rlimits, emulator/task/limits.py) and RLIMIT_STACK reports the stack
the loader actually mapped.
"""

import ctypes
import errno
import os
import resource
import struct

from emulator.abi.constants import (
    GRND_INSECURE,
    GRND_NONBLOCK,
    GRND_RANDOM,
    RUSAGE_CHILDREN,
    RUSAGE_SELF,
    RUSAGE_THREAD,
)
from emulator.errors import SyscallError
from emulator.task.limits import ADDRESS_SPACE_LIMITS, RLIM_INFINITY, from_host
from syscalls.handlers.fsbase import writable

RLIM_NLIMITS = 16
PER_QUERY = 0xFFFF_FFFF

_libc = ctypes.CDLL(None, use_errno=True)


# ----- uname, sysinfo, getrandom ---------------------------------------------------------
def uname(p, buf):
    u = os.uname()
    try:
        with open("/proc/sys/kernel/domainname", "rb") as f:
            domain = f.read().strip()
    except OSError:
        domain = b"(none)"
    fields = [os.fsencode(x) for x in (u.sysname, u.nodename, u.release, u.version)] + [b"x86_64", domain]
    p.mem.write(buf, b"".join(f[:64].ljust(65, b"\0") for f in fields))
    return 0


def sysinfo(p, info):
    raw = ctypes.create_string_buffer(112)
    if _libc.sysinfo(raw) != 0:
        raise OSError(ctypes.get_errno(), "sysinfo")
    p.mem.write(info, raw.raw)
    return 0


def getrandom(p, buf, count, flags):
    if flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) or (flags & GRND_INSECURE and flags & GRND_RANDOM):
        raise SyscallError(errno.EINVAL)
    count = min(count, 0x1FF_FFFF)  # Linux returns at most 32 MiB - 1 per call
    count = writable(p, buf, count)  # a buffer that runs into a fault gets its good prefix (copy_to_iter)
    data = os.urandom(count)
    p.mem.write(buf, data)
    return len(data)


# ----- resource limits -------------------------------------------------------------------
def _to_host(limit: int) -> int:
    return resource.RLIM_INFINITY if limit == RLIM_INFINITY else limit


def _get(p, res: int) -> tuple[int, int]:
    if res in ADDRESS_SPACE_LIMITS:
        return p.rlimits[res]
    return tuple(from_host(x) for x in resource.getrlimit(res))


def _set(p, res: int, soft: int, hard: int) -> None:
    if soft > hard:
        raise SyscallError(errno.EINVAL)
    if res in ADDRESS_SPACE_LIMITS:  # RLIMIT_STACK: how far the next image's stack may grow
        if hard > p.rlimits[res][1] and os.geteuid() != 0:
            raise SyscallError(errno.EPERM)
        p.rlimits[res] = (soft, hard)
    else:
        try:
            resource.setrlimit(res, (_to_host(soft), _to_host(hard)))
        except ValueError:
            raise SyscallError(errno.EINVAL) from None


def prlimit64(p, pid, res, new, old):
    if not 0 <= res < RLIM_NLIMITS:
        raise SyscallError(errno.EINVAL)
    if pid not in (0, os.getpid()):  # another guest process is another host process
        newval = struct.unpack("<QQ", p.mem.read(new, 16)) if new else None
        try:
            prev = resource.prlimit(pid, res, tuple(_to_host(x) for x in newval)) if newval \
                else resource.prlimit(pid, res)
        except ValueError:
            raise SyscallError(errno.EINVAL) from None
        if old:
            p.mem.write(old, struct.pack("<QQ", *(from_host(x) for x in prev)))
        return 0
    newval = struct.unpack("<QQ", p.mem.read(new, 16)) if new else None
    prev = _get(p, res)
    if newval is not None:
        _set(p, res, *newval)
    if old:
        p.mem.write(old, struct.pack("<QQ", *prev))
    return 0


def getrlimit(p, res, rlim):
    if not 0 <= res < RLIM_NLIMITS:
        raise SyscallError(errno.EINVAL)
    p.mem.write(rlim, struct.pack("<QQ", *_get(p, res)))
    return 0


def setrlimit(p, res, rlim):
    if not 0 <= res < RLIM_NLIMITS:
        raise SyscallError(errno.EINVAL)
    _set(p, res, *struct.unpack("<QQ", p.mem.read(rlim, 16)))
    return 0


# ----- scheduling ------------------------------------------------------------------------
def _nr_cpu_ids() -> int:
    try:
        with open("/sys/devices/system/cpu/possible") as f:
            return int(f.read().strip().split(",")[-1].split("-")[-1]) + 1
    except (OSError, ValueError):
        return os.cpu_count() or 1


def sched_getaffinity(p, pid, size, mask):
    nbytes = (_nr_cpu_ids() + 63) // 64 * 8
    if size < nbytes or size % 8:
        raise SyscallError(errno.EINVAL)
    bits = 0
    for cpu in os.sched_getaffinity(pid):
        bits |= 1 << cpu
    p.mem.write(mask, bits.to_bytes(nbytes, "little"))
    return nbytes


def sched_setaffinity(p, pid, size, mask):
    raw = int.from_bytes(p.mem.read(mask, min(size, 1024)), "little")
    cpus = {i for i in range(raw.bit_length()) if raw >> i & 1}
    os.sched_setaffinity(pid, cpus)
    return 0


def sched_yield(p):
    if p.group is not None:  # the other guest threads waiting for the CPU run first (emulator/task/threads.py)
        p.group.hand_over(p)
    else:
        os.sched_yield()
    return 0


def getcpu(p, cpu, node, _tcache):
    c = _libc.sched_getcpu()
    if c < 0:
        c = 0
    if cpu:
        p.mem.write(cpu, struct.pack("<I", c))
    if node:
        p.mem.write(node, struct.pack("<I", 0))
    return 0


def getrusage(p, who, usage):
    if who not in (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD):
        raise SyscallError(errno.EINVAL)
    r = resource.getrusage({RUSAGE_SELF: resource.RUSAGE_SELF, RUSAGE_CHILDREN: resource.RUSAGE_CHILDREN,
                            RUSAGE_THREAD: resource.RUSAGE_THREAD}[who])

    def tv(sec: float) -> tuple[int, int]:
        us = int(round(sec * 1_000_000))
        return us // 1_000_000, us % 1_000_000

    rest = (r.ru_maxrss, r.ru_ixrss, r.ru_idrss, r.ru_isrss, r.ru_minflt, r.ru_majflt, r.ru_nswap, r.ru_inblock,
            r.ru_oublock, r.ru_msgsnd, r.ru_msgrcv, r.ru_nsignals, r.ru_nvcsw, r.ru_nivcsw)
    p.mem.write(usage, struct.pack("<4q14q", *tv(r.ru_utime), *tv(r.ru_stime), *rest))
    return 0


def personality(p, persona):
    old = p.persona
    if persona & 0xFFFF_FFFF != PER_QUERY:
        p.persona = persona & 0xFFFF_FFFF
    return old


# ----- credentials: real, since the guest's process is the host process ----------------------
def _ids3(p, a, b, c, vals):
    for addr, v in zip((a, b, c), vals):
        p.mem.write(addr, struct.pack("<I", v))
    return 0


def getresuid(p, r, e, s):
    return _ids3(p, r, e, s, os.getresuid())


def getresgid(p, r, e, s):
    return _ids3(p, r, e, s, os.getresgid())


def _id(x: int) -> int:
    return -1 if x & 0xFFFF_FFFF == 0xFFFF_FFFF else x & 0xFFFF_FFFF


def setuid(p, uid):
    os.setuid(_id(uid))
    return 0


def setgid(p, gid):
    os.setgid(_id(gid))
    return 0


def setreuid(p, r, e):
    os.setreuid(_id(r), _id(e))
    return 0


def setregid(p, r, e):
    os.setregid(_id(r), _id(e))
    return 0


def setresuid(p, r, e, s):
    os.setresuid(_id(r), _id(e), _id(s))
    return 0


def setresgid(p, r, e, s):
    os.setresgid(_id(r), _id(e), _id(s))
    return 0


def setfsuid(p, uid):
    return _libc.setfsuid(uid & 0xFFFF_FFFF)


def setfsgid(p, gid):
    return _libc.setfsgid(gid & 0xFFFF_FFFF)


def setgroups(p, size, lst):
    if size < 0 or size > 65536:
        raise SyscallError(errno.EINVAL)
    groups = list(struct.unpack(f"<{size}I", p.mem.read(lst, 4 * size))) if size else []
    os.setgroups(groups)
    return 0


# ----- rseq: registered, never aborted (there is no preemption inside a guest's critical section) ----
RSEQ_FLAG_UNREGISTER, RSEQ_MIN_SIZE, RSEQ_CPU_ID_UNINITIALIZED = 1, 32, 0xFFFF_FFFF


def rseq(p, ptr, length, flags, sig):
    """Accept glibc's registration and fill in cpu_id once, as the kernel does on return to user.
    Process.rseq holds it as (area, length, signature); execve drops it (Process.commit)."""
    reg = p.rseq
    length &= 0xFFFF_FFFF
    sig &= 0xFFFF_FFFF
    if flags & RSEQ_FLAG_UNREGISTER:
        if flags & ~RSEQ_FLAG_UNREGISTER or reg is None or reg[:2] != (ptr, length):
            raise SyscallError(errno.EINVAL)
        if reg[2] != sig:
            raise SyscallError(errno.EPERM)
        p.mem.write(ptr, struct.pack("<II", 0, RSEQ_CPU_ID_UNINITIALIZED))
        p.rseq = None
        return 0
    if flags:
        raise SyscallError(errno.EINVAL)
    if reg is not None:
        if reg[:2] != (ptr, length):
            raise SyscallError(errno.EINVAL)
        raise SyscallError(errno.EPERM if reg[2] != sig else errno.EBUSY)
    if ptr % 32 or length < RSEQ_MIN_SIZE:
        raise SyscallError(errno.EINVAL)
    p.mem.check(ptr, length, write=True)
    cpu = max(_libc.sched_getcpu(), 0)
    p.mem.write(ptr, struct.pack("<II", cpu, cpu))
    p.mem.write(ptr + 24, struct.pack("<II", 0, 0))  # node_id, mm_cid
    p.rseq = (ptr, length, sig)
    return 0
