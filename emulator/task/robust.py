"""Robust futexes: when a thread dies holding a robust mutex, the next locker learns it.

glibc and musl register a per-thread list with set_robust_list; each entry is a held robust
mutex. At thread death Linux walks the list (kernel/futex/core.c exit_robust_list,
handle_futex_death): every futex word that still names the dead thread as owner gets
FUTEX_OWNER_DIED, keeps FUTEX_WAITERS, and one waiter is woken; pthread_mutex_lock then returns
EOWNERDEAD. The host kernel cannot walk the guest's list (its pointers are guest addresses), so
elfemu does it, at the same point: exit of a thread, and exit or death of the process.
"""

import struct

from emulator.abi.constants import FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS
from emulator.errors import GuestFault
from emulator.task.hostfutex import wake

ROBUST_LIST_LIMIT = 2048  # Linux's bound on the walk, against a looped list


def _handle_death(task, uaddr: int, tid: int) -> None:
    try:
        word = struct.unpack("<I", task.mem.read(uaddr, 4))[0]
    except GuestFault:
        return
    if word & FUTEX_TID_MASK != tid:
        return
    task.mem.write(uaddr, struct.pack("<I", (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED))
    if word & FUTEX_WAITERS:
        wake(task.mem, uaddr)


def release_all(task, tid: int) -> None:
    """Walk task's robust list (head: {list, futex_offset, list_op_pending}) as exit_robust_list does."""
    head = task.robust_list
    if not head:
        return
    try:
        entry, offset, pending = struct.unpack("<QqQ", task.mem.read(head, 24))
    except GuestFault:
        return
    seen = 0
    while entry != head and seen < ROBUST_LIST_LIMIT:
        try:
            nxt = task.mem.read_u64(entry & ~1)
        except GuestFault:
            return
        if entry != pending:
            _handle_death(task, (entry & ~1) + offset, tid)
        entry, seen = nxt, seen + 1
    if pending:
        _handle_death(task, (pending & ~1) + offset, tid)
    task.robust_list = 0
