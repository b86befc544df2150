"""File status and attributes: the stat family, statx, statfs, access, readlink, chmod, chown,
truncate, umask and the utime family.

The host kernel fills struct stat (144 bytes), struct statx (256) and struct statfs (120) in
a host buffer, which is copied to the guest: same layouts, same errnos. Paths pass through
procfs.host_path, so /proc/self/exe is the guest's program.
"""

import errno
import os

from emulator.abi.constants import AT_FDCWD, AT_SYMLINK_NOFOLLOW
from emulator.abi.syscall_numbers import NR
from emulator.errors import SyscallError
from emulator.machine.libc import host
from emulator.task import textbusy
from syscalls.handlers import procfs
from syscalls.handlers.fsbase import check_path, dirfd, inbuf, opt_path, out, put

STAT_SIZE, STATX_SIZE, STATFS_SIZE = 144, 256, 120


def at(p, fd, path: bytes | None, follow: bool = True):
    """(host dirfd, host path) for an *at call; path may be None where the kernel allows NULL."""
    if path is None:
        return dirfd(p, fd, None), None
    check_path(path)
    if follow:
        path = procfs.absolute(p, fd, path)
    return dirfd(p, fd, path), procfs.host_path(p, path, follow)


def _into(p, addr: int, size: int, nr: int, *args) -> int:
    buf = out(size)
    ret = host(nr, *[buf if a is out else a for a in args])
    put(p, addr, buf)
    return ret


# ----- stat ------------------------------------------------------------------------------------


def newfstatat(p, fd, path, buf, flags):
    d, path = at(p, fd, path, follow=not flags & AT_SYMLINK_NOFOLLOW)
    return _into(p, buf, STAT_SIZE, 262, d, path, out, flags & 0xFFFF_FFFF)


def stat(p, path, buf):
    return _into(p, buf, STAT_SIZE, 4, at(p, AT_FDCWD, path)[1], out)


def lstat(p, path, buf):
    return _into(p, buf, STAT_SIZE, 6, check_path(path), out)


def fstat(p, fd, buf):
    return _into(p, buf, STAT_SIZE, 5, p.fds.host(fd), out)


def statx(p, fd, path, flags, mask, buf):
    d, path = at(p, fd, path, follow=not flags & AT_SYMLINK_NOFOLLOW)
    return _into(p, buf, STATX_SIZE, 332, d, path, flags & 0xFFFF_FFFF, mask & 0xFFFF_FFFF, out)


def statfs(p, path, buf):
    return _into(p, buf, STATFS_SIZE, 137, at(p, AT_FDCWD, path)[1], out)


def fstatfs(p, fd, buf):
    return _into(p, buf, STATFS_SIZE, 138, p.fds.host(fd), out)


# ----- access and readlink ---------------------------------------------------------------------


def faccessat2(p, fd, path, mode, flags):
    d, hp = at(p, fd, path, follow=not flags & AT_SYMLINK_NOFOLLOW)
    return host(NR["faccessat2"], d, hp, mode, flags & 0xFFFF_FFFF)


def faccessat(p, fd, path, mode):
    return host(NR["faccessat"], *at(p, fd, path), mode)


def access(p, path, mode):
    return host(NR["access"], at(p, AT_FDCWD, path)[1], mode)


def readlinkat(p, fd, path, buf, bufsiz):
    if bufsiz <= 0:
        raise SyscallError(errno.EINVAL)
    check_path(path)
    target = procfs.readlink_virtual(p, procfs.absolute(p, fd, path))
    if target is None:
        hbuf = out(min(bufsiz, 1 << 16))
        n = host(NR["readlinkat"], dirfd(p, fd, path), path, hbuf, len(hbuf))
        target = hbuf.raw[:n]
    target = target[:bufsiz]
    p.mem.write(buf, target)
    return len(target)


def readlink(p, path, buf, bufsiz):
    return readlinkat(p, AT_FDCWD, path, buf, bufsiz)


# ----- permissions and ownership ---------------------------------------------------------------


def fchmodat2(p, fd, path, mode, flags):
    d, hp = at(p, fd, path, follow=not flags & AT_SYMLINK_NOFOLLOW)
    return host(NR["fchmodat2"], d, hp, mode & 0xFFFF_FFFF, flags & 0xFFFF_FFFF)


def fchmodat(p, fd, path, mode):
    return host(NR["fchmodat"], *at(p, fd, path), mode & 0xFFFF_FFFF)


def chmod(p, path, mode):
    return fchmodat(p, AT_FDCWD, path, mode)


def fchmod(p, fd, mode):
    return host(NR["fchmod"], p.fds.host(fd), mode & 0xFFFF_FFFF)


def fchownat(p, fd, path, uid, gid, flags):
    d, hp = at(p, fd, path, follow=not flags & AT_SYMLINK_NOFOLLOW)
    return host(NR["fchownat"], d, hp, uid & 0xFFFF_FFFF, gid & 0xFFFF_FFFF, flags & 0xFFFF_FFFF)


def chown(p, path, uid, gid):
    return fchownat(p, AT_FDCWD, path, uid, gid, 0)


def lchown(p, path, uid, gid):
    return fchownat(p, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW)


def fchown(p, fd, uid, gid):
    return host(NR["fchown"], p.fds.host(fd), uid & 0xFFFF_FFFF, gid & 0xFFFF_FFFF)


def umask(p, mask):
    return os.umask(mask & 0o777)


# ----- sizes and times -------------------------------------------------------------------------


def truncate(p, path, length):
    d, path = at(p, AT_FDCWD, path)
    textbusy.check(path, d)  # a running guest's program: ETXTBSY
    return host(NR["truncate"], path, length)


def ftruncate(p, fd, length):
    return host(NR["ftruncate"], p.fds.host(fd), length)


def utimensat(p, fd, path_ptr, times, flags):
    d, path = at(p, fd, opt_path(p, path_ptr), follow=not flags & AT_SYMLINK_NOFOLLOW)
    return host(NR["utimensat"], d, path, inbuf(p, times, 32), flags & 0xFFFF_FFFF)


def futimesat(p, fd, path_ptr, times):
    d, path = at(p, fd, opt_path(p, path_ptr))
    return host(NR["futimesat"], d, path, inbuf(p, times, 32))


def utimes(p, path, times):
    return host(NR["utimes"], at(p, AT_FDCWD, path)[1], inbuf(p, times, 32))


def utime(p, path, times):
    return host(NR["utime"], at(p, AT_FDCWD, path)[1], inbuf(p, times, 16))
