"""pidfd_open, pidfd_send_signal, pidfd_getfd: the host's calls (guest pids and fds are the host's).

A signal a pidfd sends to our own process is delivered inside elfemu, as kill's is, so that it
arrives before the call returns, as the kernel's would.
"""

import errno
import os

from emulator.abi.constants import SI_USER, SIGINFO_SIZE
from emulator.abi.syscall_numbers import NR
from emulator.errors import SyscallError
from emulator.machine.libc import host
from syscalls.handlers import signal
from syscalls.handlers.fsbase import inbuf


def pidfd_open(p, pid, flags):
    return host(NR["pidfd_open"], pid, flags)


def pidfd_getfd(p, pidfd, targetfd, flags):
    if flags & 0xFFFF_FFFF:  # an unsigned int
        raise SyscallError(errno.EINVAL)
    return host(NR["pidfd_getfd"], p.fds.host(pidfd), targetfd, flags)


def _pid_of(fd: int) -> int | None:
    try:
        with open(f"/proc/self/fdinfo/{fd}") as f:
            for line in f:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def pidfd_send_signal(p, pidfd, sig, info, flags):
    hfd = p.fds.host(pidfd)
    if info == 0 and flags == 0 and 0 <= sig <= 64 and _pid_of(hfd) == os.getpid():
        host(NR["pidfd_send_signal"], hfd, 0, 0, 0)  # the host's checks (a pidfd, a live process)
        signal._self_signal(p, sig, SI_USER)  # noqa: SLF001 - kill's own path for a signal to ourselves
        return 0
    return host(NR["pidfd_send_signal"], hfd, sig, inbuf(p, info, SIGINFO_SIZE), flags)

