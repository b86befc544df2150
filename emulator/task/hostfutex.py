"""The host's futex, on the host page behind a guest word.

Guest memory is host memory elfemu mapped itself (machine/memory.py), so a guest futex word is a
host futex word too: waiting and waking on its host address lets the host kernel do the queueing,
the atomic compare, FUTEX_WAKE_OP's arithmetic and the requeues, and it wakes across processes
that share the page (MAP_SHARED, across fork). Keys: a private futex is keyed by (mm, address),
a shared one by the page itself (kernel/futex/core.c get_futex_key), which is what guest
FUTEX_PRIVATE_FLAG means too, since one guest process is one host process.
"""

import ctypes

from emulator.abi.constants import FUTEX_WAKE
from emulator.abi.syscall_numbers import NR
from emulator.machine.libc import libc


def host_address(mem, addr: int) -> int | None:
    """The host address of guest addr, or None where the guest has no accessible page."""
    v = mem.find(addr)
    if v is None or not v.host or v.sigbus or not v.prot:
        return None
    return v.host + (addr - v.start)


def futex(uaddr: int, op: int, val: int, timeout=None, uaddr2: int = 0, val3: int = 0) -> int:
    """One host futex call on host addresses; the result, or -errno (no exception: EINTR and
    EAGAIN are the caller's ordinary outcomes)."""
    ret = libc.syscall(ctypes.c_long(NR["futex"]), ctypes.c_void_p(uaddr), ctypes.c_int(op), ctypes.c_uint32(val),
                       timeout, ctypes.c_void_p(uaddr2), ctypes.c_uint32(val3))
    return -ctypes.get_errno() if ret == -1 else ret


def wake(mem, uaddr: int, count: int = 1) -> int:
    """FUTEX_WAKE on the guest word at uaddr (shared key: the word may be in a MAP_SHARED page)."""
    host = host_address(mem, uaddr)
    return 0 if host is None else max(futex(host, FUTEX_WAKE, count), 0)
