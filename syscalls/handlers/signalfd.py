"""signalfd: a pipe that elfemu keeps readable while a guest signal of its mask is pending.

Guest signals are elfemu's own bookkeeping (emulator/task/signals.py), so the host kernel's signalfd
cannot see them. The guest gets the read end of a host pipe instead; elfemu keeps the write end
and a second, non-blocking description of the read end (both hidden), and after every change of
the pending set (SignalState.update calls sync) leaves exactly one byte in the pipe while a
signal of the mask is pending. poll, select and epoll on the fd are then the host kernel's own;
read() on it (fs.read asks `read` here first) dequeues signals as struct signalfd_siginfo.
The pipe shows through where Linux would show an anon inode: fstat says S_IFIFO, /proc says pipe:.
"""

import errno
import fcntl
import os
import stat
import struct

from emulator.abi.constants import ERESTARTSYS, SIGINFO_SIZE, SIGSET_SIZE
from emulator.errors import SyscallError

SFD_CLOEXEC, SFD_NONBLOCK = os.O_CLOEXEC, os.O_NONBLOCK
SIGINFO = struct.Struct("<IiiIIiIIIIiiQQQQHHiQI")  # struct signalfd_siginfo, zero-padded to 128 bytes
UNBLOCKABLE = (1 << 8) | (1 << 18)  # SIGKILL, SIGSTOP: Linux drops them from the mask


class SignalFd:
    """One signalfd (shared by every guest fd that dup'ed it): its mask and elfemu's two ends."""

    __slots__ = ("mask", "fill", "drain", "ready")

    def __init__(self, mask: int, fill: int, drain: int):
        self.mask, self.fill, self.drain, self.ready = mask, fill, drain, False


class SignalFds:
    """The process's signalfds by the (dev, ino) of their pipe; lives in SignalState.signalfds."""

    def __init__(self, proc):
        self.proc = proc
        self.by_pipe: dict[tuple[int, int], SignalFd] = {}
        self.busy = self.dirty = False

    def lookup(self, fd: int) -> SignalFd | None:
        try:
            st = os.fstat(fd)
        except OSError:
            return None
        return self.by_pipe.get((st.st_dev, st.st_ino)) if stat.S_ISFIFO(st.st_mode) else None

    def sync(self, pending) -> None:
        """One byte in each pipe whose mask meets a pending signal, none in the others.

        A host signal handler may call this in the middle of itself (between two bytecodes): the
        inner call only marks the state dirty and the outer one goes round again."""
        if self.busy:
            self.dirty = True
            return
        self.busy = True
        try:
            self.dirty = True
            while self.dirty:
                self.dirty = False
                bits = 0
                for signo in list(pending):
                    bits |= 1 << (signo - 1)
                for s in self.by_pipe.values():
                    want = bool(bits & s.mask)
                    if want != s.ready:
                        try:
                            os.write(s.fill, b"s") if want else os.read(s.drain, SIGINFO_SIZE)
                        except BlockingIOError:  # the guest emptied the pipe behind our back (splice...)
                            pass
                        s.ready = want
        finally:
            self.busy = False

    def create(self, mask: int, flags: int, collect: bool = True) -> int:
        if collect:
            self.collect()
        fds = self.proc.fds
        r, w = os.pipe2(flags & (SFD_CLOEXEC | SFD_NONBLOCK))
        try:
            os.set_blocking(w, False)
            drain = os.open(f"/proc/self/fd/{r}", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            os.close(r)
            os.close(w)
            raise
        st = os.fstat(r)
        self.by_pipe[(st.st_dev, st.st_ino)] = SignalFd(mask, fds.hide(w), fds.hide(drain))
        return r

    def _guest_fds(self) -> dict[tuple[int, int], list[int]]:
        found: dict[tuple[int, int], list[int]] = {}
        for fd in self.proc.fds.open_fds():
            try:
                st = os.fstat(fd)
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if key in self.by_pipe:
                found.setdefault(key, []).append(fd)
        return found

    def _drop(self, key) -> None:
        s = self.by_pipe.pop(key)
        for fd in (s.fill, s.drain):
            self.proc.fds.hidden.discard(fd)
            os.close(fd)

    def collect(self) -> None:
        """Forget the signalfds the guest has closed (their pipes are elfemu's alone)."""
        if self.by_pipe:
            held = self._guest_fds()
            for key in [k for k in self.by_pipe if k not in held]:
                self._drop(key)

    def after_fork(self) -> None:
        """In a fork child: a signalfd reads the child's own signals, so each gets a pipe of its own,
        dup'ed onto the same guest fds (their O_NONBLOCK and FD_CLOEXEC kept); the parent's is let go."""
        held = self._guest_fds()
        for key in list(self.by_pipe):
            mask = self.by_pipe[key].mask
            self._drop(key)
            fds = held.get(key)
            if fds:
                r = self.create(mask, _status_flags(fds[0]) & SFD_NONBLOCK, collect=False)
                for fd in fds:
                    os.dup2(r, fd, inheritable=os.get_inheritable(fd))
                os.close(r)

    def read(self, p, fd: int, buf: int, count: int) -> int | None:
        """read() on a guest fd: None if it is not a signalfd, else the signals it dequeued."""
        s = self.lookup(fd)
        if s is None:
            return None
        n = count // SIGINFO_SIZE
        if n == 0:
            raise SyscallError(errno.EINVAL)
        sig = p.sig

        def ready() -> int:
            bits = 0
            for signo in tuple(sig.pending):  # a host handler may add to it meanwhile
                bits |= 1 << (signo - 1)
            return bits & s.mask

        while not ready():
            if _status_flags(fd) & os.O_NONBLOCK:
                raise SyscallError(errno.EAGAIN)
            sig.restart_nr = p.cpu["rax"]
            p.host_signals.wait(lambda: ready() or sig.deliverable())
            if not ready():
                raise SyscallError(ERESTARTSYS)  # a handler runs: EINTR, or a restart under SA_RESTART
        out = []
        while len(out) < n and ready():
            bits = ready()
            out.append(pack((bits & -bits).bit_length(), sig))
        sig.update()
        data = b"".join(out)
        p.mem.write(buf, data)
        return len(data)


def _status_flags(fd: int) -> int:
    return fcntl.fcntl(fd, fcntl.F_GETFL)


def pack(signo: int, sig) -> bytes:
    """Dequeue `signo` and lay its siginfo out as struct signalfd_siginfo."""
    info = sig.pending.pop(signo)
    value = info.get("si_value", 0)
    tid = info.get("si_timerid", 0)
    data = SIGINFO.pack(signo, info.get("si_errno", 0), info.get("si_code", 0), info.get("si_pid", 0),
                        info.get("si_uid", 0), 0, tid, 0, info.get("si_overrun", 0), 0, info.get("si_status", 0),
                        value & 0xFFFF_FFFF, value, info.get("si_utime", 0), info.get("si_stime", 0),
                        info.get("si_addr", 0) & 0xFFFF_FFFF_FFFF_FFFF, 0, 0, 0, 0, 0)
    return data.ljust(SIGINFO_SIZE, b"\0")


def registry(p) -> SignalFds:
    sig = p.sig
    if sig.signalfds is None:
        sig.signalfds = SignalFds(p)
    return sig.signalfds


def signalfd4(p, fd, mask_ptr, sizemask, flags):
    if flags & ~(SFD_CLOEXEC | SFD_NONBLOCK):
        raise SyscallError(errno.EINVAL)
    if sizemask != SIGSET_SIZE:
        raise SyscallError(errno.EINVAL)
    mask = p.mem.read_u64(mask_ptr) & ~UNBLOCKABLE
    reg = registry(p)
    if fd != -1:  # a new mask for an existing signalfd
        fd = p.fds.host(fd)
        os.fstat(fd)  # EBADF for a closed fd, EINVAL below for any other kind
        s = reg.lookup(fd)
        if s is None:
            raise SyscallError(errno.EINVAL)
        s.mask = mask
        reg.sync(p.sig.pending)
        return fd
    r = reg.create(mask, flags)
    reg.sync(p.sig.pending)
    return r


def signalfd(p, fd, mask_ptr, sizemask):
    return signalfd4(p, fd, mask_ptr, sizemask, 0)
