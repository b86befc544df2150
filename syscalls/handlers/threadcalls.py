"""Thread calls: clone of a thread, exit of one thread, thread ids, signals sent to one thread.

The machinery is emulator/task/threads.py (a host thread and a Unicorn instance per guest
thread, one running at a time); these handlers only check arguments as Linux does
(kernel/fork.c copy_process, kernel/exit.c, kernel/signal.c do_tkill).
"""

import errno
import os

from emulator.abi.constants import (
    CLONE_FILES,
    CLONE_FS,
    CLONE_SIGHAND,
    CLONE_SYSVSEM,
    CLONE_THREAD,
    CLONE_VM,
)
from emulator.errors import ProcessExit, SyscallError
from emulator.task import threads

# What a thread may be created with here: the flags pthreads, Go and std::thread pass.
THREAD_OK = (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | threads.CLONE_SETTLS
             | threads.CLONE_PARENT_SETTID | threads.CLONE_CHILD_SETTID | threads.CLONE_CHILD_CLEARTID
             | 0x00400000 | 0x00800000)  # CLONE_DETACHED, CLONE_UNTRACED: ignored, as Linux does


def clone_thread(p, flags, stack, parent_tid, child_tid, tls):
    """clone with CLONE_VM and without CLONE_VFORK: a thread. Linux's rules first (copy_process):
    CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM."""
    if flags & CLONE_THREAD and not flags & CLONE_SIGHAND:
        raise SyscallError(errno.EINVAL)
    if not flags & CLONE_THREAD or flags & ~THREAD_OK & ~0xFF:
        raise SyscallError(errno.ENOSYS)  # a CLONE_VM process, or namespaces: not emulated
    if flags & 0xFF:  # a thread has no exit signal
        raise SyscallError(errno.EINVAL)
    return threads.group_of(p).spawn(p, flags, stack, parent_tid, child_tid, tls)


def exit_thread(p, status):
    """exit(2): ends the calling thread; the last one to go ends the process."""
    group = p.group
    if group is None or not group.others_alive(p):
        raise ProcessExit(status & 0xFF)
    if p is group.leader:
        group.leader_exit(status & 0xFF)  # waits for the others, then raises ProcessExit
    raise threads.ThreadExit(status & 0xFF)


def tid_of(p) -> int:
    return p.tid or os.getpid()


def task_of(p, tid: int):
    """The live thread of this process with id tid, or None."""
    if p.group is None:
        return p if tid == os.getpid() else None
    with p.group.lock:
        return p.group.tasks.get(tid)
