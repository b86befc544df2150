"""The resource limits that describe the guest's own address space, kept per process.

RLIMIT_STACK, DATA, RSS, MEMLOCK and AS bound the guest's memory, but elfemu's Python lives in
the same host process: setting them on the host would bound elfemu instead. So each Process keeps
them (Process.rlimits), starting from the host's values as a new program inherits them, except
RLIMIT_STACK's soft limit, which is the stack the loader reserves. They are inherited over fork
(the host fork copies them) and kept over execve, as Linux keeps them in the signal struct
(kernel/sys.c do_prlimit). The other limits are the host's own, read and set through to it
(syscalls/handlers/info.py).
"""

import resource

from emulator.image.loader import STACK_SIZE

RLIM_INFINITY = 0xFFFF_FFFF_FFFF_FFFF  # as the guest sees it: (rlim_t)-1
RLIMIT_STACK, RLIMIT_DATA, RLIMIT_RSS = resource.RLIMIT_STACK, resource.RLIMIT_DATA, resource.RLIMIT_RSS
RLIMIT_MEMLOCK, RLIMIT_AS = resource.RLIMIT_MEMLOCK, resource.RLIMIT_AS
ADDRESS_SPACE_LIMITS = (RLIMIT_STACK, RLIMIT_DATA, RLIMIT_RSS, RLIMIT_MEMLOCK, RLIMIT_AS)


def from_host(limit: int) -> int:
    """Python's resource.RLIM_INFINITY (-1) as the guest's RLIM_INFINITY."""
    return RLIM_INFINITY if limit == resource.RLIM_INFINITY else limit


def address_space_limits() -> dict[int, tuple[int, int]]:
    """A new process's limits: resource -> (soft, hard), in the guest's units."""
    limits = {r: tuple(from_host(x) for x in resource.getrlimit(r)) for r in ADDRESS_SPACE_LIMITS}
    hard_stack = limits[RLIMIT_STACK][1]
    limits[RLIMIT_STACK] = (min(STACK_SIZE, hard_stack), hard_stack)
    return limits
