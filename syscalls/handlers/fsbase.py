"""Shared helpers of the file-system handlers: the host's raw syscall, dirfds, guest buffers.

Guest fds are host fds and both sides are x86-64 Linux, so most file-system calls are the
host's own system call made with the guest's arguments: the errnos, flag checks and struct
layouts (struct stat, statx, statfs, dirent64, termios, flock) are then Linux's exactly.
Python's os wrappers are avoided where they differ from the raw call (os.open and os.dup
add O_CLOEXEC; os.* validate arguments themselves). Guest memory is only ever touched
through p.mem, so a bad guest pointer is -EFAULT, never a host crash.
"""

import ctypes
import errno
import os

from emulator.abi.constants import ERESTARTSYS, PROT_WRITE
from emulator.errors import GuestFault, SyscallError
from emulator.machine.libc import c_arg, syscall
from syscalls.decode.types import AT_FDCWD

MAX_RW_COUNT = 0x7FFF_F000  # Linux caps one read/write at this many bytes
PATH_MAX = 4096


def waiting(p, nr: int, *args, restart: int = ERESTARTSYS) -> int:
    """host() for a call that may block (open of a FIFO, F_SETLKW, flock): a guest signal
    ends it through the signal code's call_blocking (EINTR, or a restart under SA_RESTART;
    `restart` is the kernel's own choice for calls that differ, such as semop's plain EINTR);
    an EINTR caused by a host signal the guest does not see just calls again."""
    cargs = [ctypes.c_long(nr), *[c_arg(a) for a in args]]
    while True:
        ret = p.host_signals.call_blocking(syscall, *cargs, restart=restart)
        if ret != -1:
            return ret
        err = ctypes.get_errno()
        if err != errno.EINTR:
            raise OSError(err, os.strerror(err))


def retry_interrupted(p, call, restart: int) -> int:
    """call() -- a raw host call answering -1 and errno -- until it completes. A guest signal
    ends it with `restart` (call_blocking); an EINTR from a host signal the guest does not see
    calls again, unless a guest signal became deliverable meanwhile."""
    while True:
        ret = p.host_signals.call_blocking(call, restart=restart)
        if ret >= 0:
            return ret
        err = ctypes.get_errno()
        if err != errno.EINTR:
            raise OSError(err, os.strerror(err))
        if p.sig.deliverable():
            raise SyscallError(restart)


def blocking(p, fn, *args):
    """A blocking Python os call (os.read) that a guest signal may interrupt."""
    return p.host_signals.call_blocking(fn, *args)


def dirfd(p, fd: int, path: bytes | None = b"") -> int:
    """The host dirfd for an *at call: AT_FDCWD passes, an absolute path ignores it (as Linux
    does), anything else must be one of the guest's fds."""
    if fd == AT_FDCWD or (path and path.startswith(b"/")):
        return AT_FDCWD
    return p.fds.host(fd)


def writable(p, addr: int, count: int) -> int:
    """How many bytes from addr the guest may write, up to count (a read into a partly bad
    buffer returns the good prefix, as copy_to_user would); EFAULT when none."""
    mem = p.mem
    v = mem.find(addr)
    if v is not None and addr + count <= v.end and v.prot & PROT_WRITE:
        return count
    pos, end = addr, addr + count
    while pos < end:
        v = mem.find(pos)
        if v is None or not v.prot & PROT_WRITE:
            break
        pos = v.end
    n = min(pos, end) - addr
    if n <= 0 and count > 0:
        raise SyscallError(errno.EFAULT)
    return max(n, 0)


def out(size: int):
    """A zeroed host buffer for a struct the host kernel fills. The guest pointer is checked
    only when the result is copied out, so errors come in the kernel's order (stat of a
    missing file with a bad buffer is ENOENT, not EFAULT)."""
    return ctypes.create_string_buffer(size)


def put(p, addr: int, buf, size: int | None = None) -> None:
    p.mem.write(addr, buf.raw[: size if size is not None else len(buf)])


def inbuf(p, addr: int, size: int):
    """A host copy of a guest struct the kernel reads (NULL stays NULL)."""
    if addr == 0:
        return None
    return ctypes.create_string_buffer(p.mem.read(addr, size), size)


def opt_path(p, addr: int) -> bytes | None:
    """A path argument that may be NULL (utimensat): None, or the bytes (EFAULT if bad)."""
    if addr == 0:
        return None
    try:
        return p.mem.read_cstr(addr, PATH_MAX)
    except GuestFault:
        raise SyscallError(errno.EFAULT) from None


def check_path(path: bytes) -> bytes:
    """Linux refuses paths that do not fit PATH_MAX (read_cstr stops at the limit)."""
    if len(path) >= PATH_MAX:
        raise SyscallError(errno.ENAMETOOLONG)
    return path
