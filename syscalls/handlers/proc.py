"""Process identity, exit and per-process setup syscalls (arch_prctl, set_tid_address, ...)."""

import errno
import os

from emulator.abi.constants import (
    ARCH_GET_CPUID,
    ARCH_GET_FS,
    ARCH_GET_GS,
    ARCH_SET_FS,
    ARCH_SET_GS,
    PR_CAP_AMBIENT,
    PR_CAPBSET_DROP,
    PR_CAPBSET_READ,
    PR_GET_CHILD_SUBREAPER,
    PR_GET_DUMPABLE,
    PR_GET_KEEPCAPS,
    PR_GET_NAME,
    PR_GET_NO_NEW_PRIVS,
    PR_GET_PDEATHSIG,
    PR_GET_SECUREBITS,
    PR_GET_THP_DISABLE,
    PR_GET_TIMERSLACK,
    PR_SET_CHILD_SUBREAPER,
    PR_SET_DUMPABLE,
    PR_SET_KEEPCAPS,
    PR_SET_NAME,
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    PR_SET_SECUREBITS,
    PR_SET_THP_DISABLE,
    PR_SET_TIMERSLACK,
    PR_SET_VMA,
    TASK_COMM_LEN,
)
from emulator.abi.syscall_numbers import NR
from emulator.errors import ProcessExit, SyscallError
from emulator.machine.libc import host
from syscalls.handlers import procfs, threadcalls
from syscalls.handlers.fsbase import out, put


def exit_group(p, status):
    raise ProcessExit(status & 0xFF)


def exit_(p, status):
    return threadcalls.exit_thread(p, status)  # one thread; the process only with its last thread


def getpid(p):
    return os.getpid()


def getppid(p):
    return os.getppid()


def gettid(p):
    return threadcalls.tid_of(p)


def getuid(p):
    return os.getuid()


def geteuid(p):
    return os.geteuid()


def getgid(p):
    return os.getgid()


def getegid(p):
    return os.getegid()


def getgroups(p, size, list_ptr):
    groups = os.getgroups()
    if size == 0:
        return len(groups)
    if size < len(groups):
        raise SyscallError(errno.EINVAL)
    p.mem.write(list_ptr, b"".join(g.to_bytes(4, "little") for g in groups))
    return len(groups)


def arch_prctl(p, code, addr):
    if code == ARCH_SET_FS:
        p.cpu["fs_base"] = addr
    elif code == ARCH_SET_GS:
        p.cpu["gs_base"] = addr
    elif code == ARCH_GET_FS:
        p.mem.write_u64(addr, p.cpu["fs_base"])
    elif code == ARCH_GET_GS:
        p.mem.write_u64(addr, p.cpu["gs_base"])
    elif code == ARCH_GET_CPUID:
        return 1
    else:
        raise SyscallError(errno.EINVAL)
    return 0


def set_tid_address(p, tidptr):
    p.clear_child_tid = tidptr
    return threadcalls.tid_of(p)


def set_robust_list(p, head, length):
    if length != 24:
        raise SyscallError(errno.EINVAL)
    p.robust_list = head
    return 0


# Options whose effect belongs to the host process itself (one guest process is one host process).
HOST_PRCTL = {PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_CAPBSET_READ}
HOST_PRCTL_OUT = {PR_GET_PDEATHSIG: 4, PR_GET_CHILD_SUBREAPER: 4}  # option -> bytes the kernel writes
# The capability options (libcap, setpriv, capsh): the host's, with all their integer arguments.
HOST_PRCTL_INTS = {PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_CAPBSET_DROP, PR_GET_SECUREBITS, PR_SET_SECUREBITS,
                   PR_CAP_AMBIENT, PR_SET_THP_DISABLE, PR_GET_THP_DISABLE}


def prctl(p, option, arg2, arg3, arg4, arg5):
    """The task name lives in the emulator (/proc/self/comm reads it); the rest is the host's."""
    if option == PR_SET_NAME:
        p.name_task(p.mem.read_cstr(arg2, TASK_COMM_LEN)[: TASK_COMM_LEN - 1])
        return 0
    if option == PR_GET_NAME:
        p.mem.write(arg2, procfs.comm(p)[: TASK_COMM_LEN - 1].ljust(TASK_COMM_LEN, b"\0"))
        return 0
    if option in HOST_PRCTL:
        return host(NR["prctl"], option, arg2, 0, 0, 0)
    if option in HOST_PRCTL_INTS:
        return host(NR["prctl"], option, arg2, arg3, arg4, arg5)
    if option in HOST_PRCTL_OUT:
        box = out(HOST_PRCTL_OUT[option])
        host(NR["prctl"], option, box, 0, 0, 0)
        put(p, arg2, box)
        return 0
    if option == PR_GET_DUMPABLE:
        return 1
    if option in (PR_SET_DUMPABLE, PR_SET_TIMERSLACK, PR_SET_VMA):
        return 0
    if option == PR_GET_TIMERSLACK:
        return 50000
    raise SyscallError(errno.EINVAL)
