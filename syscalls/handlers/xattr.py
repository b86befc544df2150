"""Extended attributes: the host's own calls on the guest's paths and fds.

`ls -l` asks for security.selinux and the POSIX ACLs of every file; the answers (usually
ENODATA or EOPNOTSUPP) must be the host kernel's, so each call is made through fsbase.host
with the same syscall number, and values travel through host buffers.
"""

import errno

from emulator.abi.syscall_numbers import NR
from emulator.errors import GuestFault, SyscallError
from emulator.machine.libc import host
from syscalls.handlers import procfs
from syscalls.handlers.fsbase import check_path, inbuf, out, put

XATTR_NAME_MAX, XATTR_SIZE_MAX, XATTR_LIST_MAX = 255, 65536, 65536


def _path(p, path: bytes, follow: bool = True) -> bytes:
    check_path(path)
    return procfs.host_path(p, path, follow)


def _name(p, addr: int) -> bytes:
    try:
        name = p.mem.read_cstr(addr, XATTR_NAME_MAX + 2)
    except GuestFault:
        raise SyscallError(errno.EFAULT) from None
    if not name or len(name) > XATTR_NAME_MAX:
        raise SyscallError(errno.ERANGE)
    return name


def _fetch(p, nr: int, target, name, dest: int, size: int, limit: int) -> int:
    """get/list: size 0 asks only for the length, as the kernel allows."""
    buf = out(min(size, limit)) if size else None
    args = (target, name) if name is not None else (target,)
    n = host(nr, *args, buf, min(size, limit))
    if buf is not None:
        put(p, dest, buf, n)
    return n


def getxattr(p, path, name, value, size):
    return _fetch(p, NR["getxattr"], _path(p, path), _name(p, name), value, size, XATTR_SIZE_MAX)


def lgetxattr(p, path, name, value, size):
    return _fetch(p, NR["lgetxattr"], _path(p, path, False), _name(p, name), value, size, XATTR_SIZE_MAX)


def fgetxattr(p, fd, name, value, size):
    return _fetch(p, NR["fgetxattr"], p.fds.host(fd), _name(p, name), value, size, XATTR_SIZE_MAX)


def listxattr(p, path, names, size):
    return _fetch(p, NR["listxattr"], _path(p, path), None, names, size, XATTR_LIST_MAX)


def llistxattr(p, path, names, size):
    return _fetch(p, NR["llistxattr"], _path(p, path, False), None, names, size, XATTR_LIST_MAX)


def flistxattr(p, fd, names, size):
    return _fetch(p, NR["flistxattr"], p.fds.host(fd), None, names, size, XATTR_LIST_MAX)


def _store(p, nr: int, target, name, value: int, size: int, flags: int) -> int:
    if size > XATTR_SIZE_MAX:
        raise SyscallError(errno.E2BIG)
    return host(nr, target, _name(p, name), inbuf(p, value, size) if size else None, size, flags)


def setxattr(p, path, name, value, size, flags):
    return _store(p, NR["setxattr"], _path(p, path), name, value, size, flags)


def lsetxattr(p, path, name, value, size, flags):
    return _store(p, NR["lsetxattr"], _path(p, path, False), name, value, size, flags)


def fsetxattr(p, fd, name, value, size, flags):
    return _store(p, NR["fsetxattr"], p.fds.host(fd), name, value, size, flags)


def removexattr(p, path, name):
    return host(NR["removexattr"], _path(p, path), _name(p, name))


def lremovexattr(p, path, name):
    return host(NR["lremovexattr"], _path(p, path, False), _name(p, name))


def fremovexattr(p, fd, name):
    return host(NR["fremovexattr"], p.fds.host(fd), _name(p, name))

