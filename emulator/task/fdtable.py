"""FdTable: guest fds are host fds, minus the few elfemu keeps for itself.

One guest process is one host process, so the host kernel already does the bookkeeping
(dup, pipes, inheritance over fork, FD_CLOEXEC). elfemu's own descriptors (a trace file, a
wake-up pipe) are moved high and hidden: the guest sees EBADF for them.
"""

import errno
import fcntl
import os
import resource

from emulator.errors import SyscallError

HIDDEN_BASE = 900  # elfemu's own fds live at or above this (below the usual 1024 soft limit)
HIDDEN_ROOM = 24  # how many of them fit under a lower soft limit


class FdTable:
    def __init__(self):
        self.hidden: set[int] = set()

    def host(self, fd: int) -> int:
        """The host fd behind a guest fd; EBADF for negatives and for elfemu's own."""
        if fd < 0 or fd in self.hidden:
            raise SyscallError(errno.EBADF)
        return fd

    def hide(self, fd: int) -> int:
        """Move one of elfemu's own fds out of the guest's way; returns its new number. Under a
        soft RLIMIT_NOFILE below HIDDEN_BASE (`ulimit -n 256`) they go just under the limit."""
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        base = HIDDEN_BASE if soft == resource.RLIM_INFINITY else min(HIDDEN_BASE, max(3, soft - HIDDEN_ROOM))
        new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, base + len(self.hidden))
        os.close(fd)
        self.hidden.add(new)
        return new

    def adopt(self, fd: int) -> None:
        """One of elfemu's own fds that cannot be moved (a library's, such as the TUI's event
        loop's epoll): hidden where it is, and kept open across a guest execve."""
        self.hidden.add(fd)

    def open_fds(self) -> list[int]:
        return sorted(int(n) for n in os.listdir("/proc/self/fd") if int(n) not in self.hidden)

    def close_on_exec(self) -> None:
        """Guest execve: close what has FD_CLOEXEC, as the kernel would."""
        for fd in self.open_fds():
            try:
                if fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC:
                    os.close(fd)
            except OSError:
                pass
