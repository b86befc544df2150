"""Directories and names: getdents64, getcwd, chdir, mkdir, rmdir, unlink, rename, link, symlink.

getdents64 is the host's getdents64 on the same fd, so the directory position moves exactly
as it would natively; names are never followed here, so only chdir needs procfs.host_path.
"""

import ctypes
import os
import re
import struct

from emulator.abi.syscall_numbers import NR
from emulator.machine.libc import host
from syscalls.decode.types import AT_FDCWD
from syscalls.handlers import procfs
from syscalls.handlers.fsbase import PATH_MAX, check_path, dirfd, writable

DIRENT_MAX = 1 << 20  # one getdents call fills at most this much (Linux caps it similarly)


_FD_DIR = rb"^/proc/\d+/(?:task/\d+/)?fd(?:info)?$"  # compiled (and cached) by re on first use


def _hide_own_fds(p, fd: int, data: bytes, name_at: int) -> bytes:
    """In a listing of /proc/self/fd (or fdinfo), leave out elfemu's own hidden fds."""
    try:
        if not re.match(_FD_DIR, os.readlink(f"/proc/self/fd/{fd}").encode()):
            return data
    except OSError:
        return data
    hidden = {str(h).encode() for h in p.fds.hidden}
    out, off = bytearray(), 0
    while off < len(data):
        reclen = struct.unpack_from("<H", data, off + 16)[0]
        rec = data[off:off + reclen]
        name = rec[name_at:].split(b"\0", 1)[0]
        if name not in hidden:
            out += rec
        off += reclen
    return bytes(out)


def _entries(p, nr, fd, dirp, count):
    fd = p.fds.host(fd)
    n = writable(p, dirp, min(count, DIRENT_MAX))
    buf = ctypes.create_string_buffer(n)
    while True:
        got = host(nr, fd, buf, n)
        data = buf.raw[:got]
        if p.fds.hidden and got:
            data = _hide_own_fds(p, fd, data, 19 if nr == NR["getdents64"] else 18)
        if data or not got:  # a batch of only hidden fds is not the end of the directory
            break
    p.mem.write(dirp, data)
    return len(data)


def getdents64(p, fd, dirp, count):
    return _entries(p, NR["getdents64"], fd, dirp, count)


def getdents(p, fd, dirp, count):
    return _entries(p, NR["getdents"], fd, dirp, count)


def getcwd(p, buf, size):
    n = writable(p, buf, min(size, PATH_MAX)) if size else 0
    hbuf = ctypes.create_string_buffer(max(n, 1))
    got = host(NR["getcwd"], hbuf, n)
    p.mem.write(buf, hbuf.raw[:got])
    return got


def chdir(p, path):
    return host(NR["chdir"], procfs.host_path(p, check_path(path)))


def fchdir(p, fd):
    return host(NR["fchdir"], p.fds.host(fd))


def mkdirat(p, fd, path, mode):
    return host(NR["mkdirat"], dirfd(p, fd, check_path(path)), path, mode & 0xFFFF_FFFF)


def mkdir(p, path, mode):
    return mkdirat(p, AT_FDCWD, path, mode)


def rmdir(p, path):
    return host(NR["rmdir"], check_path(path))


def unlinkat(p, fd, path, flags):
    return host(NR["unlinkat"], dirfd(p, fd, check_path(path)), path, flags & 0xFFFF_FFFF)


def unlink(p, path):
    return host(NR["unlink"], check_path(path))


def renameat2(p, olddir, old, newdir, new, flags):
    check_path(old)
    check_path(new)
    return host(NR["renameat2"], dirfd(p, olddir, old), old, dirfd(p, newdir, new), new, flags & 0xFFFF_FFFF)


def renameat(p, olddir, old, newdir, new):
    return renameat2(p, olddir, old, newdir, new, 0)


def rename(p, old, new):
    return renameat2(p, AT_FDCWD, old, AT_FDCWD, new, 0)


def linkat(p, olddir, old, newdir, new, flags):
    check_path(old)
    check_path(new)
    return host(NR["linkat"], dirfd(p, olddir, old), old, dirfd(p, newdir, new), new, flags & 0xFFFF_FFFF)


def link(p, old, new):
    return linkat(p, AT_FDCWD, old, AT_FDCWD, new, 0)


def symlinkat(p, target, newdir, path):
    check_path(target)
    return host(NR["symlinkat"], target, dirfd(p, newdir, check_path(path)), path)


def symlink(p, target, path):
    return symlinkat(p, target, AT_FDCWD, path)
