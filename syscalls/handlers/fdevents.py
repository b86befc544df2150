"""Descriptors that report events: epoll, eventfd, timerfd, inotify.

Guest fds are host fds, so each of these is the host kernel's own object made with the
guest's arguments: readiness, flag checks, expiration counts and inotify records are then
Linux's exactly, and read/write/poll on them need nothing special. What elfemu adds:
elfemu's own fds are EBADF (they cannot join an epoll set), structs are copied through
p.mem, and epoll waits end with EINTR when a guest signal arrives (Linux never restarts
them), under the guest's temporary mask for epoll_pwait/epoll_pwait2.
"""

import ctypes
import errno
import struct
import time

from emulator.abi.constants import EPOLL_CTL_DEL, ITIMERSPEC_SIZE
from emulator.abi.constants import NSEC_PER_SEC as NSEC
from emulator.abi.syscall_numbers import NR
from emulator.errors import SyscallError
from emulator.machine.libc import host, syscall
from syscalls.handlers.fsbase import inbuf, retry_interrupted, writable

EVENT_SIZE = 12  # struct epoll_event is packed on x86-64: u32 events, u64 data
EP_MAX_EVENTS = 0x7FFF_FFFF // EVENT_SIZE
MAX_BATCH = 1 << 16  # events fetched per wait at most (the rest stay queued in the kernel)
TIMESPEC = struct.Struct("<qq")
_have_pwait2 = True


# ----- epoll ----------------------------------------------------------------------------------


def epoll_create(p, size):
    if size <= 0:
        raise SyscallError(errno.EINVAL)
    return host(NR["epoll_create1"], 0)


def epoll_create1(p, flags):
    return host(NR["epoll_create1"], flags)


def epoll_ctl(p, epfd, op, fd, event):
    ev = inbuf(p, event, EVENT_SIZE) if op != EPOLL_CTL_DEL else None  # Linux copies it first
    return host(NR["epoll_ctl"], p.fds.host(epfd), op, p.fds.host(fd), ev)


def epoll_wait(p, epfd, events, maxevents, timeout):
    return _epoll_wait(p, epfd, events, maxevents, None if timeout < 0 else timeout * 1_000_000, None)


def epoll_pwait(p, epfd, events, maxevents, timeout, sigmask, sigsetsize):
    mask = _sigmask(p, sigmask, sigsetsize)
    return _epoll_wait(p, epfd, events, maxevents, None if timeout < 0 else timeout * 1_000_000, mask)


def epoll_pwait2(p, epfd, events, maxevents, timeout, sigmask, sigsetsize):
    ns = None
    if timeout:
        sec, nsec = TIMESPEC.unpack(p.mem.read(timeout, 16))
        if sec < 0 or not 0 <= nsec < NSEC:
            raise SyscallError(errno.EINVAL)
        ns = sec * NSEC + nsec
    return _epoll_wait(p, epfd, events, maxevents, ns, _sigmask(p, sigmask, sigsetsize))


def _sigmask(p, sigmask, sigsetsize) -> int | None:
    if not sigmask:
        return None
    if sigsetsize != 8:
        raise SyscallError(errno.EINVAL)
    return p.mem.read_u64(sigmask)


def _epoll_wait(p, epfd, events, maxevents, timeout_ns: int | None, mask: int | None) -> int:
    """The host's epoll_pwait2 into a host buffer, with the time left recomputed after each
    host-only EINTR; the events the kernel returned are copied to the guest's array."""
    if not 0 < maxevents <= EP_MAX_EVENTS:
        raise SyscallError(errno.EINVAL)
    epfd = p.fds.host(epfd)
    try:
        room = min(writable(p, events, maxevents * EVENT_SIZE) // EVENT_SIZE, MAX_BATCH)
    except SyscallError:
        room = 0
    n = max(room, 1)  # no room: Linux still waits, and fails only when it has an event to copy
    buf = ctypes.create_string_buffer(n * EVENT_SIZE)
    ts = ctypes.create_string_buffer(16)
    end = None if timeout_ns is None else time.monotonic_ns() + timeout_ns

    def once():
        global _have_pwait2
        left = None if end is None else max(0, end - time.monotonic_ns())
        if _have_pwait2:
            if left is not None:
                ts.raw = TIMESPEC.pack(*divmod(left, NSEC))
            ret = syscall(ctypes.c_long(NR["epoll_pwait2"]), ctypes.c_long(epfd), buf, ctypes.c_long(n),
                                None if left is None else ts, None, ctypes.c_long(8))
            if ret != -1 or ctypes.get_errno() != errno.ENOSYS:
                return ret
            _have_pwait2 = False  # a host kernel older than 5.11: milliseconds, rounded up
        ms = -1 if left is None else min(-(-left // 1_000_000), 0x7FFF_FFFF)
        return syscall(ctypes.c_long(NR["epoll_pwait"]), ctypes.c_long(epfd), buf, ctypes.c_long(n),
                             ctypes.c_long(ms), None, ctypes.c_long(8))

    got = _with_mask(p, mask, lambda: _interruptible(p, once))
    if got > room:
        raise SyscallError(errno.EFAULT)
    p.mem.write(events, buf.raw[: got * EVENT_SIZE])
    return got


def _interruptible(p, call) -> int:
    """Epoll waits end with EINTR on a guest signal and are never restarted, SA_RESTART or not."""
    return retry_interrupted(p, call, errno.EINTR)


def _with_mask(p, mask: int | None, fn) -> int:
    """fn() under the guest mask `mask`. As in Linux (restore_saved_sigmask_unless), an EINTR
    keeps it in place until the handler's frame has saved the old one."""
    sig = p.sig
    if mask is None:
        return fn()
    saved = sig.mask
    sig.saved_mask = saved
    sig.set_mask(mask)
    try:
        ret = fn()
    except SyscallError as exc:
        if exc.errno == errno.EINTR:
            raise
        _restore(sig, saved)
        raise
    except BaseException:
        _restore(sig, saved)
        raise
    _restore(sig, saved)
    return ret


def _restore(sig, saved: int) -> None:
    sig.set_mask(saved)
    sig.saved_mask = None


# ----- eventfd, timerfd ---------------------------------------------------------------------


def eventfd(p, initval):
    return host(NR["eventfd"], initval & 0xFFFF_FFFF)


def eventfd2(p, initval, flags):
    return host(NR["eventfd2"], initval & 0xFFFF_FFFF, flags & 0xFFFF_FFFF)


def timerfd_create(p, clockid, flags):
    return host(NR["timerfd_create"], clockid, flags & 0xFFFF_FFFF)


def timerfd_settime(p, fd, flags, new, old):
    value = inbuf(p, new, ITIMERSPEC_SIZE)  # Linux reads it before looking at the fd
    prev = ctypes.create_string_buffer(ITIMERSPEC_SIZE) if old else None
    host(NR["timerfd_settime"], p.fds.host(fd), flags & 0xFFFF_FFFF, value, prev)
    if old:
        p.mem.write(old, prev.raw)
    return 0


def timerfd_gettime(p, fd, cur):
    buf = ctypes.create_string_buffer(ITIMERSPEC_SIZE)
    host(NR["timerfd_gettime"], p.fds.host(fd), buf)
    p.mem.write(cur, buf.raw)
    return 0


# ----- inotify --------------------------------------------------------------------------------


def inotify_init(p):
    return host(NR["inotify_init1"], 0)


def inotify_init1(p, flags):
    return host(NR["inotify_init1"], flags & 0xFFFF_FFFF)


def inotify_add_watch(p, fd, path, mask):
    return host(NR["inotify_add_watch"], p.fds.host(fd), path, mask & 0xFFFF_FFFF)


def inotify_rm_watch(p, fd, wd):
    return host(NR["inotify_rm_watch"], p.fds.host(fd), wd)
