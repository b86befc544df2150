"""Process identity, exit and per-process setup syscalls (arch_prctl, set_tid_address, ...)."""

import errno
import os

from syscalls.errors import ProcessExit, SyscallError

ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004
ARCH_GET_CPUID, ARCH_SET_CPUID = 0x1011, 0x1012


def exit_group(p, status):
    raise ProcessExit(status & 0xFF)


def exit_(p, status):
    # With cooperative threads this ends only the calling thread; a single-threaded process ends.
    raise ProcessExit(status & 0xFF)


def getpid(p):
    return os.getpid()


def getppid(p):
    return os.getppid()


def gettid(p):
    return os.getpid()


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
    return os.getpid()


def set_robust_list(p, head, length):
    if length != 24:
        raise SyscallError(errno.EINVAL)
    p.robust_list = head
    return 0
