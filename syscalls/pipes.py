"""Pipes, FIFOs, socket pairs and waiting on descriptors (poll, ppoll, select, pselect6).

Guest fds are host fds, so these are thin: each call runs the host's own system call (via
libc through ctypes, on the guest's struct bytes copied out and back) and the host kernel's
answer is the guest's. Python's wrappers are avoided where they differ from the raw call:
os.pipe() and socket objects set O_CLOEXEC, and select.poll merges duplicate fds.
The signal masks of ppoll and pselect6 are not applied (the guest's mask is the signal
code's business; the wait itself is the host's).
"""

import ctypes
import errno
import os
import struct
import time

from syscalls.errors import SyscallError
from syscalls.types import AT_FDCWD

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ppoll.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_void_p]
_libc.pselect.argtypes = [ctypes.c_int] + [ctypes.c_void_p] * 5
_libc.socketpair.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]

POLLNVAL = 0x20
FD_SETSIZE_BYTES = 128
TIMESPEC = struct.Struct("<qq")


def _check(ret: int) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


# ----- pipes, FIFOs, socket pairs -------------------------------------------------------------


def pipe2(p, fds_ptr, flags):
    p.mem.check(fds_ptr, 8, write=True)
    r, w = os.pipe2(flags)  # os.pipe2 passes the flags as given (os.pipe would add O_CLOEXEC)
    try:
        p.mem.write(fds_ptr, struct.pack("<ii", r, w))
    except BaseException:
        os.close(r)
        os.close(w)
        raise
    return 0


def pipe(p, fds_ptr):
    return pipe2(p, fds_ptr, 0)


def mknodat(p, dirfd, path, mode, dev):
    dirfd = None if dirfd == AT_FDCWD else p.fds.host(dirfd)
    os.mknod(path, mode & 0xFFFF_FFFF, dev, dir_fd=dirfd)


def mknod(p, path, mode, dev):
    return mknodat(p, AT_FDCWD, path, mode, dev)


def socketpair(p, domain, type_, protocol, sv_ptr):
    p.mem.check(sv_ptr, 8, write=True)
    buf = (ctypes.c_int * 2)()
    _check(_libc.socketpair(domain, type_, protocol, buf))
    p.mem.write(sv_ptr, struct.pack("<ii", buf[0], buf[1]))
    return 0


# ----- poll and ppoll ----------------------------------------------------------------------------


def _ppoll(p, fds_ptr, nfds, timeout_ts: bytes | None) -> tuple[int, bytes | None]:
    if nfds > 1 << 20:
        raise SyscallError(errno.EINVAL)
    raw = bytearray(p.mem.read(fds_ptr, 8 * nfds)) if nfds else bytearray(8)
    hidden = p.fds.hidden
    masked = []
    if hidden:  # elfemu's own fds look closed to the guest: POLLNVAL, as for any closed fd
        for i in range(nfds):
            fd = struct.unpack_from("<i", raw, 8 * i)[0]
            if fd in hidden:
                masked.append(i)
                struct.pack_into("<i", raw, 8 * i, -1)
    arr = (ctypes.c_char * len(raw)).from_buffer(raw)
    ts = ctypes.create_string_buffer(timeout_ts, 16) if timeout_ts is not None else None
    n = _check(_libc.ppoll(arr, nfds, ts, None))
    for i in masked:
        fd = struct.unpack_from("<i", p.mem.read(fds_ptr + 8 * i, 4))[0]
        struct.pack_into("<ih", raw, 8 * i, fd, struct.unpack_from("<h", raw, 8 * i + 4)[0])
        struct.pack_into("<h", raw, 8 * i + 6, POLLNVAL)
        n += 1
    if nfds:
        p.mem.write(fds_ptr, bytes(raw))
    return n, (ts.raw if ts is not None else None)


def poll(p, fds_ptr, nfds, timeout_ms):
    ts = None
    if timeout_ms >= 0:
        ts = TIMESPEC.pack(timeout_ms // 1000, (timeout_ms % 1000) * 1_000_000)
    return _ppoll(p, fds_ptr, nfds, ts)[0]


def ppoll(p, fds_ptr, nfds, tsp, sigmask, sigsetsize):
    ts = p.mem.read(tsp, 16) if tsp else None
    n, left = _ppoll(p, fds_ptr, nfds, ts)
    if tsp and left is not None:
        p.mem.write(tsp, left)  # Linux writes back the time that was left
    return n


# ----- select and pselect6 -----------------------------------------------------------------------


def _select(p, nfds, sets, ts: bytes | None) -> tuple[int, bytes | None]:
    if nfds < 0:
        raise SyscallError(errno.EINVAL)
    nbytes = ((nfds + 63) // 64) * 8
    bufs, guest = [], []
    for ptr in sets:
        if ptr:
            data = p.mem.read(ptr, nbytes)
            for fd in p.fds.hidden:
                if fd < nfds and data[fd // 8] >> (fd % 8) & 1:
                    raise SyscallError(errno.EBADF)
            bufs.append(ctypes.create_string_buffer(data.ljust(max(nbytes, FD_SETSIZE_BYTES), b"\0")))
        else:
            bufs.append(None)
        guest.append(ptr)
    tsbuf = ctypes.create_string_buffer(ts, 16) if ts is not None else None
    n = _check(_libc.pselect(nfds, *bufs, tsbuf, None))
    for ptr, buf in zip(guest, bufs):
        if ptr:
            p.mem.write(ptr, buf.raw[:nbytes])
    return n, (tsbuf.raw if tsbuf is not None else None)


def _timeleft(start_ns: int, total_ns: int) -> int:
    return max(0, total_ns - (time.monotonic_ns() - start_ns))


def select(p, nfds, readfds, writefds, exceptfds, timeout):
    """select(2) takes a timeval and, on Linux, writes back the time that was left."""
    ts = total = None
    if timeout:
        sec, usec = struct.unpack("<qq", p.mem.read(timeout, 16))
        if sec < 0 or usec < 0:
            raise SyscallError(errno.EINVAL)
        sec, usec = sec + usec // 1_000_000, usec % 1_000_000
        total = sec * 1_000_000_000 + usec * 1000
        ts = TIMESPEC.pack(sec, usec * 1000)
    start = time.monotonic_ns()
    n, _ = _select(p, nfds, (readfds, writefds, exceptfds), ts)
    if timeout:
        left = 0 if n == 0 else _timeleft(start, total)
        p.mem.write(timeout, struct.pack("<qq", left // 1_000_000_000, (left % 1_000_000_000) // 1000))
    return n


def pselect6(p, nfds, readfds, writefds, exceptfds, tsp, sigmask):
    ts = total = None
    if tsp:
        ts = p.mem.read(tsp, 16)
        sec, nsec = TIMESPEC.unpack(ts)
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            raise SyscallError(errno.EINVAL)
        total = sec * 1_000_000_000 + nsec
    start = time.monotonic_ns()
    n, _ = _select(p, nfds, (readfds, writefds, exceptfds), ts)
    if tsp:
        left = 0 if n == 0 else _timeleft(start, total)
        p.mem.write(tsp, TIMESPEC.pack(left // 1_000_000_000, left % 1_000_000_000))
    return n
