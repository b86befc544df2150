"""futex: the guest's futex word is a host futex word (emulator/task/hostfutex.py).

Every operation is the host kernel's own, on the host addresses of the guest words: the queueing,
the compare-and-block of WAIT, WAKE_OP's atomic arithmetic, the requeues, the bitsets, and the PI
operations (the owner's tid in the word is a real host tid, since guest thread ids are host thread
ids). elfemu's part is translating addresses and timeouts, and, around the calls that block,
letting the other guest threads run (the baton) and a guest signal end the wait:
- WAIT's relative timeout becomes an absolute WAIT_BITSET deadline, so a wait broken by a host
  signal that is not for the guest resumes with the time that is left;
- a signal for the guest ends it as Linux does: ERESTARTSYS (WAIT without timeout), EINTR with a
  timeout (futex_wait's restart block is transparent only when no handler runs: then elfemu
  restarts the call with the original arguments), ERESTARTNOINTR for LOCK_PI.
"""

import ctypes
import errno
import struct
import time

from emulator.abi.constants import (
    FUTEX_BITSET_MATCH_ANY,
    FUTEX_CLOCK_REALTIME,
    FUTEX_CMD_MASK,
    FUTEX_CMP_REQUEUE,
    FUTEX_CMP_REQUEUE_PI,
    FUTEX_FD,
    FUTEX_LOCK_PI,
    FUTEX_LOCK_PI2,
    FUTEX_PRIVATE_FLAG,
    FUTEX_REQUEUE,
    FUTEX_TRYLOCK_PI,
    FUTEX_UNLOCK_PI,
    FUTEX_WAIT,
    FUTEX_WAIT_BITSET,
    FUTEX_WAIT_REQUEUE_PI,
    FUTEX_WAKE,
    FUTEX_WAKE_BITSET,
    FUTEX_WAKE_OP,
    ROBUST_LIST_HEAD_SIZE,
)
from emulator.abi.constants import NSEC_PER_SEC as SECOND
from emulator.errors import SyscallError
from emulator.task import hostfutex
from emulator.task.signals import ERESTART_RESTARTBLOCK, ERESTARTNOINTR, ERESTARTSYS
from syscalls.handlers.clock import now_ns, read_timespec
from syscalls.handlers.threadcalls import task_of

NO_SECOND_WORD = {FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET, FUTEX_LOCK_PI, FUTEX_LOCK_PI2,
                  FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI}
BLOCKING_PI = {FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_WAIT_REQUEUE_PI}  # absolute timeouts, as the kernel takes them
VAL2_IN_TIMEOUT = {FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP, FUTEX_CMP_REQUEUE_PI}


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _host_word(p, uaddr: int) -> int:
    if uaddr % 4:
        raise SyscallError(errno.EINVAL)
    host = hostfutex.host_address(p.mem, uaddr)
    if host is None:
        raise SyscallError(errno.EFAULT)
    return host


def _absolute(ns: int) -> Timespec:
    return Timespec(ns // SECOND, ns % SECOND)


def _block(p, host: int, op: int, val: int, deadline: Timespec | None, host2: int, val3: int, restart: int) -> int:
    """One blocking host futex call, without the baton; a guest signal ends it with `restart`."""
    p.sig.restart_nr = p.cpu["rax"]
    group = p.group
    call = hostfutex.futex if group is None else group.released(hostfutex.futex)
    timeout = ctypes.byref(deadline) if deadline is not None else None
    while True:
        if p.sig.deliverable():
            raise SyscallError(restart)
        ret = call(host, op, val, timeout, host2, val3)
        if ret != -errno.EINTR:
            break
    if ret < 0:
        raise SyscallError(-ret)
    return ret


def _wait(p, uaddr: int, op: int, val: int, timeout_ptr: int, bitset: int, relative: bool) -> int:
    if bitset & 0xFFFF_FFFF == 0:
        raise SyscallError(errno.EINVAL)
    host = _host_word(p, uaddr)
    clock = time.CLOCK_REALTIME if op & FUTEX_CLOCK_REALTIME else time.CLOCK_MONOTONIC
    deadline = None
    if timeout_ptr:
        t = read_timespec(p, timeout_ptr)
        deadline = _absolute(now_ns(clock) + t if relative else t)
    flags = op & (FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    restart = ERESTARTSYS if deadline is None else ERESTART_RESTARTBLOCK
    return _block(p, host, FUTEX_WAIT_BITSET | flags, val, deadline, 0, bitset, restart)


def futex(p, uaddr, op, val, timeout_or_val2, uaddr2, val3):
    cmd = op & FUTEX_CMD_MASK
    if cmd == FUTEX_WAIT:
        return _wait(p, uaddr, op, val, timeout_or_val2, FUTEX_BITSET_MATCH_ANY, relative=True)
    if cmd == FUTEX_WAIT_BITSET:
        return _wait(p, uaddr, op, val, timeout_or_val2, val3, relative=False)
    if cmd == FUTEX_FD or cmd > FUTEX_LOCK_PI2:
        raise SyscallError(errno.ENOSYS)
    host = _host_word(p, uaddr)
    host2 = 0 if cmd in NO_SECOND_WORD else _host_word(p, uaddr2)
    if cmd in BLOCKING_PI:
        deadline = None
        if timeout_or_val2:
            deadline = _absolute(read_timespec(p, timeout_or_val2))
        return _block(p, host, op, val, deadline, host2, val3, ERESTARTNOINTR)
    val2 = ctypes.c_void_p(timeout_or_val2) if cmd in VAL2_IN_TIMEOUT else None
    ret = hostfutex.futex(host, op, val, val2, host2, val3)
    if ret < 0:
        raise SyscallError(-ret)
    return ret


def get_robust_list(p, pid, head_ptr, len_ptr):
    """The head a thread registered with set_robust_list (pid 0: the caller, else a thread of ours)."""
    task = p if pid == 0 else task_of(p, pid)
    if task is None:
        raise SyscallError(errno.ESRCH)
    p.mem.write(head_ptr, struct.pack("<Q", task.robust_list))
    p.mem.write(len_ptr, struct.pack("<Q", ROBUST_LIST_HEAD_SIZE))
    return 0
