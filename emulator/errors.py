"""The small error tree shared by the loader, the memory layer and the syscall handlers.

Guest-visible failures (SyscallError, GuestFault) are turned into -errno or signals; only
ProcessExit and real bugs may escape the run loop.
"""

import errno as _errno
import os


class SyscallError(Exception):
    """A handler's way of saying 'return -errno to the guest'."""

    def __init__(self, err: int, why: str = ""):
        super().__init__(f"{_errno.errorcode.get(err, err)}{': ' + why if why else ''}")
        self.errno = err

    @classmethod
    def from_os(cls, exc: OSError) -> "SyscallError":
        return cls(exc.errno or _errno.EIO)


class GuestFault(Exception):
    """An access to guest memory that the guest's page tables would not allow.

    Inside a syscall it becomes -EFAULT; on the CPU it becomes SIGSEGV with si_addr = addr.
    """

    def __init__(self, addr: int, write: bool = False, mapped: bool = False):
        super().__init__(f"bad guest address {addr:#x}")
        self.addr = addr
        self.write = write
        self.mapped = mapped  # True: protection violation (SEGV_ACCERR); False: SEGV_MAPERR


class ProcessExit(BaseException):
    """The guest called exit/exit_group: unwinds out of Unicorn to the run loop."""

    def __init__(self, status: int):
        super().__init__(f"exit {status}")
        self.status = status


class ProcessKilled(BaseException):
    """The guest must die by a signal (a fault with no handler, or a fatal signal's default action)."""

    def __init__(self, signo: int, siginfo=None):
        super().__init__(f"killed by signal {signo}")
        self.signo = signo
        self.siginfo = siginfo


class ExecError(Exception):
    """exec.build could not load a program: its one error, whatever failed (emulator/image/exec.py).

    errno is what Linux's execve returns. signo is 0 before execve's point of no return; after
    it (SIGSEGV) the process also dies by that signal, as Linux's bprm_execve makes it."""

    def __init__(self, err: int, path: str, why: str = "", signo: int = 0):
        super().__init__(f"{path}: {why or os.strerror(err)}")
        self.errno = err
        self.path = path
        self.why = why or os.strerror(err)
        self.signo = signo


class ImageReplaced(Exception):
    """execve committed a new image: the run loop restarts on the new CPU."""
