"""splice, tee and vmsplice: the host's zero-copy pipe calls on the guest's fds.

splice's offsets are loff_t in/out arguments, copied through host buffers. vmsplice's iovecs
point at guest memory, which is host memory elfemu owns: they are translated to the host
addresses behind them (split where the guest range spans mappings), after the same permission
check copy_from_user/copy_to_user would make. All three may wait on a pipe, so a guest signal
interrupts them.
"""

import ctypes
import errno
import fcntl
import struct

from emulator.abi.constants import O_ACCMODE, O_WRONLY, UIO_MAXIOV
from emulator.abi.syscall_numbers import NR
from emulator.errors import SyscallError
from syscalls.handlers.fsbase import inbuf, put, waiting

SPLICE_F_ALL = 0xF


def _check(length: int, flags: int) -> bool:
    """The kernel's first checks: nothing to move is 0, unknown flags are EINVAL."""
    if flags & ~SPLICE_F_ALL & 0xFFFF_FFFF:
        raise SyscallError(errno.EINVAL)
    return length != 0


def splice(p, fd_in, off_in, fd_out, off_out, length, flags):
    if not _check(length, flags):
        return 0
    hfd_in, hfd_out = p.fds.host(fd_in), p.fds.host(fd_out)
    hin, hout = inbuf(p, off_in, 8), inbuf(p, off_out, 8)
    ret = waiting(p, NR["splice"], hfd_in, hin, hfd_out, hout, length, flags)
    if hin is not None:
        put(p, off_in, hin)
    if hout is not None:
        put(p, off_out, hout)
    return ret


def tee(p, fd_in, fd_out, length, flags):
    if not _check(length, flags):
        return 0
    return waiting(p, NR["tee"], p.fds.host(fd_in), p.fds.host(fd_out), length, flags)


def _host_iovecs(p, iov: int, count: int, into_memory: bool) -> bytes:
    if count > UIO_MAXIOV:
        raise SyscallError(errno.EINVAL)
    raw = p.mem.read(iov, 16 * count)
    pieces = []
    for i in range(count):
        base, n = struct.unpack_from("<QQ", raw, 16 * i)
        if not n:
            continue
        p.mem.check(base, n, write=into_memory)
        pieces += [struct.pack("<QQ", haddr, ln) for _v, haddr, ln in p.mem.host_range(base, base + n)]
    return b"".join(pieces)


def vmsplice(p, fd, iov, nr_segs, flags):
    _check(1, flags)
    hfd = p.fds.host(fd)
    reading = fcntl.fcntl(hfd, fcntl.F_GETFL) & O_ACCMODE != O_WRONLY  # the read end: pipe -> memory
    vecs = _host_iovecs(p, iov, nr_segs, reading)
    buf = ctypes.create_string_buffer(vecs, len(vecs)) if vecs else None
    return waiting(p, NR["vmsplice"], hfd, buf, len(vecs) // 16, flags)
