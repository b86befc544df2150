"""futex for a single-threaded guest process.

elfemu has no guest threads yet (clone with CLONE_VM returns ENOSYS: README, "Known limits"),
so within the process nobody else can change the futex word or wake us: FUTEX_WAIT either
fails at once (EAGAIN: the value already differs), times out, or is ended by a signal, exactly
as in a single-threaded Linux process, and wakes find no waiters and return 0. Not yet as on
Linux: a futex word in MAP_SHARED memory is not woken by another process's FUTEX_WAKE (Linux
keys a shared futex by its page, kernel/futex/core.c get_futex_key; a host futex on the host
address of the guest page would wake across processes).
"""

import errno
import os
import struct
import time

from emulator.abi.constants import (
    FUTEX_CLOCK_REALTIME,
    FUTEX_CMD_MASK,
    FUTEX_CMP_REQUEUE,
    FUTEX_REQUEUE,
    FUTEX_WAIT,
    FUTEX_WAIT_BITSET,
    FUTEX_WAKE,
    FUTEX_WAKE_BITSET,
    FUTEX_WAKE_OP,
)
from emulator.errors import SyscallError
from syscalls.handlers.clock import now_ns, read_timespec, sleep_until

FAR_FUTURE_NS = 1 << 62


def _word(p, uaddr: int) -> int:
    if uaddr % 4:
        raise SyscallError(errno.EINVAL)
    return struct.unpack("<I", p.mem.read(uaddr, 4))[0]


def _wait(p, uaddr: int, val: int, timeout_ptr: int, absolute: bool, clock: int) -> int:
    if _word(p, uaddr) != val & 0xFFFF_FFFF:
        raise SyscallError(errno.EAGAIN)
    if timeout_ptr:
        t = read_timespec(p, timeout_ptr)
        deadline = t if absolute else now_ns(clock) + t
    else:
        deadline = now_ns(clock) + FAR_FUTURE_NS
    sleep_until(p, clock, deadline)  # EINTR when a signal arrives first
    raise SyscallError(errno.ETIMEDOUT)


def futex(p, uaddr, op, val, timeout_or_val2, uaddr2, val3):
    cmd = op & FUTEX_CMD_MASK
    clock = time.CLOCK_REALTIME if op & FUTEX_CLOCK_REALTIME else time.CLOCK_MONOTONIC
    if cmd == FUTEX_WAIT:
        return _wait(p, uaddr, val, timeout_or_val2, absolute=False, clock=clock)
    if cmd == FUTEX_WAIT_BITSET:
        if val3 & 0xFFFF_FFFF == 0:
            raise SyscallError(errno.EINVAL)
        return _wait(p, uaddr, val, timeout_or_val2, absolute=True, clock=clock)
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        _word(p, uaddr)
        return 0  # no other thread can be waiting
    if cmd == FUTEX_CMP_REQUEUE:
        if _word(p, uaddr) != val3 & 0xFFFF_FFFF:
            raise SyscallError(errno.EAGAIN)
        return 0
    if cmd == FUTEX_REQUEUE:
        _word(p, uaddr)
        return 0
    if cmd == FUTEX_WAKE_OP:
        _wake_op(p, uaddr2, val3)
        return 0
    raise SyscallError(errno.ENOSYS)


def _wake_op(p, uaddr2: int, encoded: int) -> None:
    """Apply FUTEX_OP's arithmetic to *uaddr2 (the comparison only matters for waiters)."""
    old = _word(p, uaddr2)
    op, oparg = (encoded >> 28) & 0xF, (encoded >> 12) & 0xFFF
    if op & 8:  # FUTEX_OP_OPARG_SHIFT
        oparg = 1 << (oparg & 31)
    new = {0: oparg, 1: old + oparg, 2: old | oparg, 3: old & ~oparg, 4: old ^ oparg}.get(op & 7)
    if new is None:
        raise SyscallError(errno.ENOSYS)
    p.mem.write(uaddr2, struct.pack("<I", new & 0xFFFF_FFFF))


def get_robust_list(p, pid, head_ptr, len_ptr):
    if pid not in (0, os.getpid()):
        raise SyscallError(errno.ESRCH)
    p.mem.write(head_ptr, struct.pack("<Q", p.robust_list))
    p.mem.write(len_ptr, struct.pack("<Q", 24))
    return 0
