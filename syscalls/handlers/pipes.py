"""Pipes, FIFOs, socket pairs and waiting on descriptors (poll, ppoll, select, pselect6).

Guest fds are host fds, so these are thin: each call runs the host's own system call (via
libc through ctypes, on the guest's struct bytes copied out and back) and the host kernel's
answer is the guest's. Python's wrappers are avoided where they differ from the raw call:
os.pipe() and socket objects set O_CLOEXEC, and select.poll merges duplicate fds.
A guest signal interrupts a wait through the signal code's call_blocking; ppoll's and
pselect6's masks are set on the guest's signal state for the length of the wait.
"""

import ctypes
import errno
import os
import struct

from emulator.abi.constants import ERESTARTNOHAND, POLLNVAL
from emulator.abi.syscall_numbers import NR
from emulator.errors import SyscallError
from syscalls.decode.types import AT_FDCWD
from syscalls.handlers.fsbase import retry_interrupted

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.socketpair.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]

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


# ----- poll, ppoll, select, pselect6: the host's own ppoll/pselect6 on copies of the guest's structs --



def _wait_call(p, nr: int, *args, mask: int | None = None) -> int:
    """One raw waiting syscall. A guest signal ends it (EINTR, or a restart when no handler
    runs); an EINTR from a host signal the guest never sees just goes on waiting, with the
    timeout the kernel has already reduced. `mask` is the guest's signal mask for the wait
    (ppoll, pselect6): like sigsuspend, it stays until a handler has been set up."""
    sig = p.sig
    if mask is not None:
        saved = sig.mask
        sig.saved_mask = saved
        sig.set_mask(mask)
        try:
            ret = _wait_call(p, nr, *args)
        except SyscallError as exc:
            if exc.errno != ERESTARTNOHAND:
                sig.set_mask(saved)
                sig.saved_mask = None
            raise
        sig.set_mask(saved)
        sig.saved_mask = None
        return ret
    cargs = [a if isinstance(a, ctypes.Array) or a is None else ctypes.c_long(a) for a in args]
    return retry_interrupted(p, lambda: _libc.syscall(ctypes.c_long(nr), *cargs), ERESTARTNOHAND)


def _ppoll(p, fds_ptr, nfds, ts: bytes | None, mask: int | None = None) -> tuple[int, bytes | None]:
    if nfds > 1 << 20:
        raise SyscallError(errno.EINVAL)
    raw = bytearray(p.mem.read(fds_ptr, 8 * nfds)) if nfds else bytearray(8)
    hidden = p.fds.hidden
    masked = []
    if hidden:  # elfemu's own fds look closed to the guest: POLLNVAL, as for any closed fd
        for i in range(nfds):
            fd = struct.unpack_from("<i", raw, 8 * i)[0]
            if fd in hidden:
                masked.append((i, fd))
                struct.pack_into("<i", raw, 8 * i, -1)
    arr = (ctypes.c_char * len(raw)).from_buffer(raw)
    tsbuf = ctypes.create_string_buffer(ts, 16) if ts is not None else None
    n = _wait_call(p, NR["ppoll"], arr, nfds, tsbuf, None, 8, mask=mask)
    for i, fd in masked:
        struct.pack_into("<i", raw, 8 * i, fd)
        struct.pack_into("<h", raw, 8 * i + 6, POLLNVAL)
        n += 1
    if nfds:
        p.mem.write(fds_ptr, bytes(raw))
    return n, (tsbuf.raw if tsbuf is not None else None)


def poll(p, fds_ptr, nfds, timeout_ms):
    ts = None
    if timeout_ms >= 0:
        ts = TIMESPEC.pack(timeout_ms // 1000, (timeout_ms % 1000) * 1_000_000)
    return _ppoll(p, fds_ptr, nfds, ts)[0]


def ppoll(p, fds_ptr, nfds, tsp, sigmask, sigsetsize):
    ts = p.mem.read(tsp, 16) if tsp else None
    mask = None
    if sigmask:
        if sigsetsize != 8:
            raise SyscallError(errno.EINVAL)
        mask = p.mem.read_u64(sigmask)
    n, left = _ppoll(p, fds_ptr, nfds, ts, mask)
    if tsp and left is not None:
        p.mem.write(tsp, left)  # Linux writes back the time that was left
    return n


def _select(p, nfds, sets, ts: bytes | None, mask: int | None = None) -> tuple[int, bytes | None]:
    if nfds < 0:
        raise SyscallError(errno.EINVAL)
    nfds = min(nfds, 1 << 20)
    nbytes = ((nfds + 63) // 64) * 8
    bufs = []
    for ptr in sets:
        if ptr:
            data = p.mem.read(ptr, nbytes)
            for fd in p.fds.hidden:
                if fd < nfds and data[fd // 8] >> (fd % 8) & 1:
                    raise SyscallError(errno.EBADF)
            bufs.append(ctypes.create_string_buffer(data, max(nbytes, 8)))
        else:
            bufs.append(None)
    tsbuf = ctypes.create_string_buffer(ts, 16) if ts is not None else None
    n = _wait_call(p, NR["pselect6"], nfds, *bufs, tsbuf, None, mask=mask)
    for ptr, buf in zip(sets, bufs):
        if ptr:
            p.mem.write(ptr, buf.raw[:nbytes])
    return n, (tsbuf.raw if tsbuf is not None else None)


def select(p, nfds, readfds, writefds, exceptfds, timeout):
    """select(2) takes a timeval and, on Linux, writes back the time that was left."""
    ts = None
    if timeout:
        sec, usec = struct.unpack("<qq", p.mem.read(timeout, 16))
        if sec < 0 or usec < 0:
            raise SyscallError(errno.EINVAL)
        ts = TIMESPEC.pack(sec + usec // 1_000_000, (usec % 1_000_000) * 1000)
    n, left = _select(p, nfds, (readfds, writefds, exceptfds), ts)
    if timeout:
        sec, nsec = TIMESPEC.unpack(left)
        p.mem.write(timeout, struct.pack("<qq", sec, nsec // 1000))
    return n


def pselect6(p, nfds, readfds, writefds, exceptfds, tsp, sigmask):
    ts = p.mem.read(tsp, 16) if tsp else None
    mask = None
    if sigmask:  # pselect6's last argument points at {const sigset_t *ss; size_t ss_len}
        ss, ss_len = struct.unpack("<QQ", p.mem.read(sigmask, 16))
        if ss:
            if ss_len != 8:
                raise SyscallError(errno.EINVAL)
            mask = p.mem.read_u64(ss)
    n, left = _select(p, nfds, (readfds, writefds, exceptfds), ts, mask)
    if tsp:
        p.mem.write(tsp, left)
    return n
