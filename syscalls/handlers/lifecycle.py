"""Process lifecycle: fork/vfork/clone, execve/execveat, wait4/waitid, process groups.

One guest process is one host process (docs/ARCHITECTURE.md, "The process model"). A guest
fork is a host os.fork() inside the syscall hook: the child carries on inside the same
emu_start call with RAX = 0 (Unicorn's memory is copied on write by the host kernel), the
parent gets the child's real pid. So pids, wait statuses, process groups and sessions are the
host's, passed through.

clone with CLONE_VM (threads) is another module's job; clone with CLONE_VM|CLONE_VFORK (what
glibc's and musl's posix_spawn pass) is run as vfork: the child gets a *copy* of memory and
runs on the stack it was given, and the parent sleeps until the child execs or exits. The
pages the child wrote come back to the parent through the same hidden pipe before it resumes
(vforkmem.py), so the parent sees the child's writes as it would with shared memory.
"""

import errno
import os
import signal
import struct
import sys

from emulator.abi.constants import (
    AT_EMPTY_PATH,
    AT_SYMLINK_NOFOLLOW,
    CLONE_CHILD_CLEARTID,
    CLONE_CHILD_SETTID,
    CLONE_DETACHED,
    CLONE_IO,
    CLONE_PARENT_SETTID,
    CLONE_PIDFD,
    CLONE_PTRACE,
    CLONE_SETTLS,
    CLONE_UNTRACED,
    CLONE_VFORK,
    CLONE_VM,
    CSIGNAL,
    SIGINFO_SIZE,
)
from emulator.errors import ExecError, ImageReplaced, SyscallError
from emulator.image import exec as exec_
from emulator.task import vforkmem
from syscalls.decode.types import AT_FDCWD
from syscalls.handlers import procfs, threadcalls, timers

# Flags a host fork can honour (the rest need namespaces, shared tables or threads).
FORK_OK = (CSIGNAL | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID
           | CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_IO | CLONE_PTRACE)


# ----- fork -------------------------------------------------------------------------------


def _flush_host_buffers(p) -> None:
    """Nothing buffered in Python may be written twice, once by each side of the fork."""
    sys.stdout.flush()
    sys.stderr.flush()
    if p.tracer is not None:
        p.tracer.flush()


def host_fork(p, vfork: bool = False) -> int:
    """Fork the host process; returns 0 in the child, the child's pid in the parent.

    With vfork the parent blocks until the child execs or exits: the child holds the write
    end of a hidden pipe, sends the pages it wrote through it, and closes it (vforkmem.release).
    """
    _flush_host_buffers(p)
    if p.vfork_fd >= 0:  # a vfork child forking: after this its pages are shared
        vforkmem.send_written(p, p.vfork_fd)
    rfd = wfd = -1
    if vfork:
        rfd, wfd = os.pipe2(os.O_CLOEXEC)
    # Host signals wait (blocked, pending in the kernel) until the child has its own wake-up pipes:
    # one that arrived in between would wake the parent's watcher and be lost to the child.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        raise
    if pid == 0:  # the child
        if rfd >= 0:
            os.close(rfd)
        vforkmem.close_pipe(p)  # a vfork child's own child must not hold its parent's pipe
        timers.after_fork_child(p)
        if wfd >= 0:
            p.vfork_fd = p.fds.hide(wfd)
        p.after_fork_child()
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return 0
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    if rfd >= 0:
        os.close(wfd)
        try:
            vforkmem.receive_written(p, rfd)
        finally:
            os.close(rfd)
    return pid


def fork(p):
    return host_fork(p)


def vfork(p):
    return host_fork(p, vfork=True)


def clone(p, flags, stack, parent_tid, child_tid, tls):
    """clone(flags, newsp, parent_tidptr, child_tidptr, tls): the x86-64 argument order."""
    flags &= 0xFFFF_FFFF
    if flags & CLONE_VM and not flags & CLONE_VFORK:
        return threadcalls.clone_thread(p, flags, stack, parent_tid, child_tid, tls)
    if flags & ~(FORK_OK | CLONE_VM):
        raise SyscallError(errno.EINVAL)
    pid = host_fork(p, vfork=bool(flags & CLONE_VFORK))
    if pid == 0:
        if stack:
            p.cpu["rsp"] = stack
        if flags & CLONE_SETTLS:
            p.cpu["fs_base"] = tls
        me = os.getpid()
        if flags & CLONE_CHILD_SETTID:
            p.mem.write(child_tid, struct.pack("<i", me))
        if flags & CLONE_PARENT_SETTID and flags & CLONE_VM:
            p.mem.write(parent_tid, struct.pack("<i", me))  # the shared copy the child sees
        p.clear_child_tid = child_tid if flags & CLONE_CHILD_CLEARTID else 0
        return 0
    if flags & CLONE_PARENT_SETTID:
        p.mem.write(parent_tid, struct.pack("<i", pid))
    return pid


CLONE_ARGS_SIZE_VER0 = 64


def clone3(p, args, size):
    """clone3(struct clone_args *, size): the same as clone, with the stack given as its lowest
    address and size (kernel/fork.c copy_clone_args_from_user) and exit_signal in its own field."""
    if size < CLONE_ARGS_SIZE_VER0 or size > 4096:
        raise SyscallError(errno.EINVAL)
    flags, _pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls = struct.unpack(
        "<8Q", p.mem.read(args, CLONE_ARGS_SIZE_VER0))
    if exit_signal & ~CSIGNAL or flags & CSIGNAL or flags >> 32 or (stack == 0) != (stack_size == 0):
        raise SyscallError(errno.EINVAL)
    if flags & CLONE_PIDFD:
        raise SyscallError(errno.ENOSYS)  # no pidfd from clone3 yet: glibc and musl fall back to clone
    return clone(p, flags | exit_signal, stack + stack_size if stack else 0, parent_tid, child_tid, tls)


# ----- execve -----------------------------------------------------------------------------


def _strings(p, addr: int) -> list[bytes]:
    if addr == 0:
        return []
    return [p.mem.read_cstr(a, exec_.MAX_ARG_STRLEN) for a in p.mem.read_ptr_array(addr)]


def do_execve(p, path: str, argv_ptr: int, envp_ptr: int):
    """Build first, commit only when nothing failed: on error the old image keeps running, unless
    the error came past Linux's point of no return (exec.build): then it dies by that signal as
    soon as execve has returned its errno."""
    argv, envp = _strings(p, argv_ptr), _strings(p, envp_ptr)
    # The task's new name; execveat(AT_EMPTY_PATH) names it after the file itself (Linux 6.12+).
    name = "" if path.startswith("/proc/self/fd/") else path
    path = os.fsdecode(procfs.exec_path(p, os.fsencode(path)))  # /proc/self/exe: the guest itself
    try:
        img = p.build(path, argv, envp)
    except ExecError as exc:
        if exc.signo:  # past Linux's point of no return: execve returns, and the signal kills
            p.sig.force_fatal(exc.signo)
        raise SyscallError(exc.errno) from None


    def commit(leader):
        leader.fds.close_on_exec()
        vforkmem.release(leader)  # before the commit replaces the memory it sends
        leader.clear_child_tid = 0
        leader.robust_list = 0
        leader.commit(img, name)
        timers.forget_all(leader)
        leader.on_exec()

    if p.group is not None:  # the other threads die; the leader's host thread goes on (threads.py)
        p.group.exec_takeover(p, commit)
    commit(p)
    raise ImageReplaced()


def execve(p, path, argv, envp):
    return do_execve(p, os.fsdecode(path), argv, envp)


def execveat(p, dirfd, path, argv, envp, flags):
    if flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW):
        raise SyscallError(errno.EINVAL)
    if not path:
        if not flags & AT_EMPTY_PATH:
            raise SyscallError(errno.ENOENT)
        full = f"/proc/self/fd/{p.fds.host(dirfd)}"
    elif path.startswith(b"/") or dirfd == AT_FDCWD:
        full = os.fsdecode(path)
    else:
        full = os.path.join(os.readlink(f"/proc/self/fd/{p.fds.host(dirfd)}"), os.fsdecode(path))
    if flags & AT_SYMLINK_NOFOLLOW and path and os.path.islink(full):
        raise SyscallError(errno.ELOOP)
    return do_execve(p, full, argv, envp)


# ----- wait -------------------------------------------------------------------------------

RUSAGE_FMT = "<qqqq14q"  # ru_utime, ru_stime (struct timeval), then 14 longs: 144 bytes


def rusage_bytes(ru) -> bytes:
    def tv(t: float) -> tuple[int, int]:
        sec = int(t)
        return sec, int(round((t - sec) * 1e6))

    return struct.pack(
        RUSAGE_FMT, *tv(ru.ru_utime), *tv(ru.ru_stime), ru.ru_maxrss, ru.ru_ixrss, ru.ru_idrss, ru.ru_isrss,
        ru.ru_minflt, ru.ru_majflt, ru.ru_nswap, ru.ru_inblock, ru.ru_oublock, ru.ru_msgsnd, ru.ru_msgrcv,
        ru.ru_nsignals, ru.ru_nvcsw, ru.ru_nivcsw)


def wait4(p, pid, wstatus, options, rusage):
    """Host wait4: a child's status passes through unchanged (elfemu exits like its guest). A guest
    signal interrupts the wait (call_blocking: EINTR, or a restart under SA_RESTART)."""
    got, status, ru = p.host_signals.call_blocking(os.wait4, pid, options)
    if got == 0:
        return 0
    p.host_signals.child_reaped(got, status)
    if wstatus:
        p.mem.write(wstatus, struct.pack("<i", status))
    if rusage:
        p.mem.write(rusage, rusage_bytes(ru))
    return got




def waitid(p, idtype, ident, infop, options, rusage):
    res = p.host_signals.call_blocking(os.waitid, idtype, ident, options)
    if infop:
        if res is None:  # WNOHANG and nobody ready: the kernel clears si_signo and si_pid
            p.mem.write(infop, bytes(SIGINFO_SIZE))
        else:
            info = struct.pack("<iiiiiii", res.si_signo, 0, res.si_code, 0, res.si_pid, res.si_uid, res.si_status)
            p.mem.write(infop, info.ljust(SIGINFO_SIZE, b"\0"))
    if rusage:
        p.mem.write(rusage, bytes(struct.calcsize(RUSAGE_FMT)))
    return 0


# ----- process groups and sessions ----------------------------------------------------------


def setpgid(p, pid, pgid):
    os.setpgid(pid, pgid)


def getpgid(p, pid):
    return os.getpgid(pid)


def getpgrp(p):
    return os.getpgrp()


def setsid(p):
    os.setsid()
    return os.getpid()


def getsid(p, pid):
    return os.getsid(pid)
