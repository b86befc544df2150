"""Descriptor I/O: read/write and their vector and positional forms, open, close, lseek, dup,
fcntl, sendfile, copy_file_range, close_range, sync.

Guest fds are host fds (one guest process is one host process), so each call is the host's
call on the same fd; only the bytes cross between guest memory and the host. See fsbase.
Calls that wait (read, readv, open of a FIFO, F_SETLKW, flock) go through the signal code,
so a guest signal interrupts them (EINTR or SA_RESTART); write does not, to keep the
syscall fast path short (a blocked write is woken by its reader, or fails with EPIPE).
"""

import errno
import os
import struct

from emulator.abi.constants import (
    F_GETLK,
    F_GETOWN_EX,
    F_OFD_GETLK,
    F_OFD_SETLK,
    F_OFD_SETLKW,
    F_SETLK,
    F_SETLKW,
    F_SETOWN_EX,
    O_CREAT,
    O_NOFOLLOW,
    O_PATH,
    O_TRUNC,
    O_WRONLY,
    OPEN_HOW_SIZE,
    UIO_MAXIOV,
)
from emulator.abi.constants import PAGE_SIZE as PAGE
from emulator.abi.syscall_numbers import NR
from emulator.errors import SyscallError
from emulator.machine.libc import host
from emulator.task import textbusy
from syscalls.decode.types import AT_FDCWD
from syscalls.handlers import procfs
from syscalls.handlers.fsbase import MAX_RW_COUNT, blocking, check_path, dirfd, inbuf, put, waiting, writable

IOVEC = struct.Struct("<QQ")

# ----- read and write ---------------------------------------------------------------------------


def _room(p, fd, buf, count) -> int:
    """How much of the guest's buffer a read may fill; on EFAULT the fd's own errors (EBADF
    for a write-only fd, EISDIR) come first, as in the kernel."""
    try:
        return writable(p, buf, min(count, MAX_RW_COUNT))
    except SyscallError:
        os.read(fd, 0)
        raise


def read(p, fd, buf, count):
    fd = p.fds.host(fd)
    sfds = p.sig.signalfds
    if sfds is not None:  # a signalfd reads elfemu's pending guest signals (signalfd.py)
        got = sfds.read(p, fd, buf, count)
        if got is not None:
            return got
    data = blocking(p, os.read, fd, _room(p, fd, buf, count))
    p.mem.write(buf, data)
    return len(data)


def write(p, fd, buf, count):
    fd = p.fds.host(fd)
    return os.write(fd, p.mem.read(buf, min(count, MAX_RW_COUNT)))


def pread64(p, fd, buf, count, offset):
    fd = p.fds.host(fd)
    if offset < 0:
        raise SyscallError(errno.EINVAL)
    data = os.pread(fd, _room(p, fd, buf, count), offset)
    p.mem.write(buf, data)
    return len(data)


def pwrite64(p, fd, buf, count, offset):
    fd = p.fds.host(fd)
    if offset < 0:
        raise SyscallError(errno.EINVAL)
    return os.pwrite(fd, p.mem.read(buf, min(count, MAX_RW_COUNT)), offset)


def iovecs(p, iov, iovcnt, write_to: bool) -> list[tuple[int, int]]:
    """The guest's struct iovec array as (base, len) pairs, checked the way the kernel does."""
    if iovcnt < 0 or iovcnt > UIO_MAXIOV:
        raise SyscallError(errno.EINVAL)
    raw = p.mem.read(iov, IOVEC.size * iovcnt)
    out, total = [], 0
    for i in range(iovcnt):
        base, length = IOVEC.unpack_from(raw, IOVEC.size * i)
        if length >> 63:
            raise SyscallError(errno.EINVAL)
        length = min(length, MAX_RW_COUNT - total)
        total += length
        if length:
            p.mem.check(base, length, write=write_to)
        out.append((base, length))
    return out


def _scatter(p, vec, data: bytes) -> int:
    pos = 0
    for base, length in vec:
        if pos >= len(data):
            break
        p.mem.write(base, data[pos:pos + length])
        pos += length
    return len(data)


def readv(p, fd, iov, iovcnt):
    fd = p.fds.host(fd)
    vec = iovecs(p, iov, iovcnt, True)
    return _scatter(p, vec, blocking(p, os.read, fd, sum(n for _, n in vec)))


def writev(p, fd, iov, iovcnt):
    fd = p.fds.host(fd)
    vec = iovecs(p, iov, iovcnt, False)
    return os.writev(fd, [p.mem.read(b, n) for b, n in vec]) if vec else 0


def preadv(p, fd, iov, iovcnt, pos_l, pos_h=0):
    fd = p.fds.host(fd)
    vec = iovecs(p, iov, iovcnt, True)
    if pos_l < 0:
        raise SyscallError(errno.EINVAL)
    return _scatter(p, vec, os.pread(fd, sum(n for _, n in vec), pos_l))


def pwritev(p, fd, iov, iovcnt, pos_l, pos_h=0):
    fd = p.fds.host(fd)
    vec = iovecs(p, iov, iovcnt, False)
    if pos_l < 0:
        raise SyscallError(errno.EINVAL)
    return os.pwritev(fd, [p.mem.read(b, n) for b, n in vec], pos_l) if vec else 0


def preadv2(p, fd, iov, iovcnt, pos_l, pos_h, flags):
    if pos_l == -1:
        return readv(p, fd, iov, iovcnt)
    return preadv(p, fd, iov, iovcnt, pos_l)


def pwritev2(p, fd, iov, iovcnt, pos_l, pos_h, flags):
    if pos_l == -1:
        return writev(p, fd, iov, iovcnt)
    return pwritev(p, fd, iov, iovcnt, pos_l)


# ----- open and close ---------------------------------------------------------------------------


def openat(p, fd, path, flags, mode):
    check_path(path)
    flags &= 0xFFFF_FFFF
    got = _open_own(p, fd, path, flags, mode) if not flags & (O_NOFOLLOW | O_PATH) else None
    if got is not None:
        return got
    d = dirfd(p, fd, path)
    textbusy.check_open(path, d, flags)  # a running guest's program: ETXTBSY
    return waiting(p, NR["openat"], d, path, flags, mode & 0xFFFF_FFFF)


def _open_own(p, fd, path: bytes, flags: int, mode: int) -> int | None:
    """One of elfemu's own /proc files (procfs.py) opened for the guest, or None: the host's file."""
    virtual = procfs.absolute(p, fd, path)
    return procfs.open_virtual(p, virtual, flags, mode) if virtual.startswith(b"/") else None


def openat2(p, fd, path_addr, how, size):
    """openat with a struct open_how {flags, mode, resolve}: the host's, after the same look at
    elfemu's own /proc files as openat (only when nothing in `resolve` restricts the walk).
    The path is read after the struct, as the kernel does."""
    if size < OPEN_HOW_SIZE:
        raise SyscallError(errno.EINVAL)
    if size > PAGE:
        raise SyscallError(errno.E2BIG)
    if not how:
        raise SyscallError(errno.EFAULT)  # copy_struct_from_user of NULL
    hbuf = inbuf(p, how, size)
    path = check_path(p.mem.read_cstr(path_addr, PAGE))
    flags, mode, resolve = struct.unpack_from("<QQQ", hbuf.raw)
    if not resolve and not flags & ~0xFFFF_FFFF and not flags & (O_NOFOLLOW | O_PATH):
        got = _open_own(p, fd, path, flags, mode)
        if got is not None:
            return got
    d = dirfd(p, fd, path)
    textbusy.check_open(path, d, flags)
    return waiting(p, NR["openat2"], d, path, hbuf, size)


def open_(p, path, flags, mode):
    return openat(p, AT_FDCWD, path, flags, mode)


def creat(p, path, mode):
    return openat(p, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode)


def close(p, fd):
    os.close(p.fds.host(fd))


def close_range(p, first, last, flags):
    """close_range, stepping around elfemu's own (hidden) fds."""
    first &= 0xFFFF_FFFF
    last &= 0xFFFF_FFFF
    if first > last:
        raise SyscallError(errno.EINVAL)
    lo = first
    for h in sorted(f for f in p.fds.hidden if first <= f <= last):
        if lo < h:
            host(NR["close_range"], lo, h - 1, flags)
        lo = h + 1
    if lo <= last:
        host(NR["close_range"], lo, last, flags)


def memfd_create(p, name, flags):
    return host(NR["memfd_create"], name, flags & 0xFFFF_FFFF)


# ----- positions, duplicates, flags -------------------------------------------------------------


def lseek(p, fd, offset, whence):
    return host(NR["lseek"], p.fds.host(fd), offset, whence & 0xFFFF_FFFF)


def dup(p, fd):
    return host(NR["dup"], p.fds.host(fd))


def _target(p, newfd):
    if newfd in p.fds.hidden:
        raise SyscallError(errno.EBADF)  # as if it were above the fd limit
    return newfd


def dup2(p, oldfd, newfd):
    return host(NR["dup2"], p.fds.host(oldfd), _target(p, newfd))


def dup3(p, oldfd, newfd, flags):
    return host(NR["dup3"], p.fds.host(oldfd), _target(p, newfd), flags & 0xFFFF_FFFF)


F_GET_RW_HINT, F_SET_RW_HINT, F_GET_FILE_RW_HINT, F_SET_FILE_RW_HINT = 1035, 1036, 1037, 1038
# Commands whose argument is a plain integer (or unused): passed through as they are.
FCNTL_INT = {0, 1, 2, 3, 4, 8, 9, 10, 11, 1024, 1025, 1026, 1030, 1031, 1032, 1033, 1034}
# Commands whose argument points at a struct: (size, the kernel writes it back).
FCNTL_STRUCT = {
    F_GETLK: (32, True), F_SETLK: (32, False), F_SETLKW: (32, False),
    F_OFD_GETLK: (32, True), F_OFD_SETLK: (32, False), F_OFD_SETLKW: (32, False),
    F_GETOWN_EX: (8, True), F_SETOWN_EX: (8, False),
    F_GET_RW_HINT: (8, True), F_SET_RW_HINT: (8, False), F_GET_FILE_RW_HINT: (8, True), F_SET_FILE_RW_HINT: (8, False),
}


def fcntl(p, fd, cmd, arg):
    fd = p.fds.host(fd)
    cmd &= 0xFFFF_FFFF
    if cmd in FCNTL_INT:
        return host(NR["fcntl"], fd, cmd, arg)
    if cmd in FCNTL_STRUCT:
        size, back = FCNTL_STRUCT[cmd]
        buf = inbuf(p, arg, size)
        if buf is None:
            raise SyscallError(errno.EFAULT)
        if back:
            p.mem.check(arg, size, write=True)
        ret = (waiting(p, NR["fcntl"], fd, cmd, buf) if cmd in (F_SETLKW, F_OFD_SETLKW)
               else host(NR["fcntl"], fd, cmd, buf))
        if back:
            put(p, arg, buf, size)
        return ret
    raise SyscallError(errno.EINVAL)


def flock(p, fd, op):
    return waiting(p, NR["flock"], p.fds.host(fd), op)


# ----- copying between fds, syncing, advice -----------------------------------------------------


def _off(p, addr):
    """An in/out loff_t pointer (NULL: use and move the file position)."""
    if not addr:
        return None
    p.mem.check(addr, 8, write=True)
    return inbuf(p, addr, 8)


def sendfile(p, out_fd, in_fd, offset, count):
    off = _off(p, offset)
    n = host(NR["sendfile"], p.fds.host(out_fd), p.fds.host(in_fd), off, min(count, MAX_RW_COUNT))
    if off is not None:
        put(p, offset, off, 8)
    return n


def copy_file_range(p, fd_in, off_in, fd_out, off_out, length, flags):
    a, b = _off(p, off_in), _off(p, off_out)
    n = host(NR["copy_file_range"], p.fds.host(fd_in), a, p.fds.host(fd_out), b, length, flags & 0xFFFF_FFFF)
    if a is not None:
        put(p, off_in, a, 8)
    if b is not None:
        put(p, off_out, b, 8)
    return n


def fsync(p, fd):
    os.fsync(p.fds.host(fd))


def fdatasync(p, fd):
    os.fdatasync(p.fds.host(fd))


def sync(p):
    os.sync()


def syncfs(p, fd):
    return host(NR["syncfs"], p.fds.host(fd))


def fadvise64(p, fd, offset, length, advice):
    return host(NR["fadvise64"], p.fds.host(fd), offset, length, advice)


def fallocate(p, fd, mode, offset, length):
    return host(NR["fallocate"], p.fds.host(fd), mode, offset, length)


def readahead(p, fd, offset, count):
    return host(NR["readahead"], p.fds.host(fd), offset, count)


def sync_file_range(p, fd, offset, nbytes, flags):
    return host(NR["sync_file_range"], p.fds.host(fd), offset, nbytes, flags & 0xFFFF_FFFF)
