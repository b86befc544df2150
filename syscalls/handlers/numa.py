"""NUMA memory policies and membarrier: the host's calls, on the host pages behind guest memory.

The guest's pages are host pages elfemu owns, so a policy set on the host process (or bound to
the host range behind a guest range) is the guest's policy. Guest addresses (mbind's range,
get_mempolicy's MPOL_F_ADDR) are translated to the host address of the page; an address the
guest has not mapped becomes host address 0, which the host never maps, so the host kernel
still checks modes and flags first and then answers EFAULT, in its own order.
"""

import errno

from emulator.abi.constants import MPOL_F_ADDR
from emulator.abi.syscall_numbers import NR
from emulator.errors import GuestFault, SyscallError
from emulator.machine.libc import host
from emulator.machine.memory import PAGE, page_up
from syscalls.handlers.fsbase import inbuf, out, put

UNMAPPED = 8
MAX_NODE_BYTES = PAGE  # the kernel refuses masks of more than PAGE_SIZE * 8 bits


def _mask_bytes(maxnode: int) -> int:
    """Bytes of the node mask the kernel reads or writes: maxnode - 1 bits in whole longs."""
    return min((max(maxnode - 1, 0) + 63) // 64 * 8, MAX_NODE_BYTES + 8)


def _host_addr(p, addr: int) -> int:
    v = p.mem.find(addr)
    return v.host + (addr - v.start) if v is not None and v.host else 0


def _mask_in(p, nodemask: int, maxnode: int):
    """A host copy of the node mask; one the guest cannot give is a host address that faults
    (8: page 0 is never mapped), so the host still checks the mode and maxnode first."""
    try:
        return inbuf(p, nodemask, _mask_bytes(maxnode))
    except GuestFault:
        return UNMAPPED


def set_mempolicy(p, mode, nodemask, maxnode):
    return host(NR["set_mempolicy"], mode, _mask_in(p, nodemask, maxnode), maxnode)


def get_mempolicy(p, mode, nodemask, maxnode, addr, flags):
    nbytes = _mask_bytes(maxnode)
    hmode = out(4) if mode else None
    hmask = out(max(nbytes, 8)) if nodemask else None  # non-NULL even when empty: the host checks maxnode
    haddr = _host_addr(p, addr) if flags & MPOL_F_ADDR else addr
    ret = host(NR["get_mempolicy"], hmode, hmask, maxnode, haddr, flags)
    if hmode is not None:
        put(p, mode, hmode)
    if hmask is not None:
        put(p, nodemask, hmask, nbytes)
    return ret


def mbind(p, start, length, mode, nodemask, maxnode, flags):
    if start % PAGE or length > 1 << 47:
        raise SyscallError(errno.EINVAL)
    mask = _mask_in(p, nodemask, maxnode)
    end = start + page_up(length)
    if start == end:
        return host(NR["mbind"], start, 0, mode, mask, maxnode, flags)
    if not p.mem.covered(start, end):
        return host(NR["mbind"], 0, end - start, mode, mask, maxnode, flags)
    for _vma, haddr, n in p.mem.host_range(start, end):
        host(NR["mbind"], haddr, n, mode, mask, maxnode, flags)
    return 0


def membarrier(p, cmd, flags, cpu_id):
    return host(NR["membarrier"], cmd, flags, cpu_id)
