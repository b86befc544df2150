"""Socket basics: socket, connect, bind, listen, accept(4), shutdown, names, options, sendto/recvfrom.

Guest fds are host fds, so each call is the host's raw system call on copies of the guest's
buffers (sockaddr, option values), written back the way the kernel writes them. Python's
socket objects are avoided: they set O_CLOEXEC and own their fds. sendmsg/recvmsg (iovecs and
control messages) are in msgs.py.
"""

import ctypes
import errno
import os
import struct

from emulator.abi.constants import ERESTARTSYS
from emulator.abi.syscall_numbers import NR
from emulator.errors import SyscallError
from emulator.machine.libc import syscall

MAX_ADDR = 4096
MAX_IO = 1 << 24


def raw(p, name: str, *args) -> int:
    """The host syscall; a guest signal interrupts it through the signal code when it blocks."""
    cargs = [a if isinstance(a, ctypes.Array) or a is None else ctypes.c_long(a) for a in args]
    ret = p.host_signals.call_blocking(syscall, ctypes.c_long(NR[name]), *cargs)
    if ret < 0:
        err = ctypes.get_errno()
        if err == errno.EINTR and p.sig.deliverable():
            raise SyscallError(ERESTARTSYS)  # EINTR, or a restart under SA_RESTART
        raise OSError(err, os.strerror(err))
    return ret


def _fd(p, fd: int) -> int:
    return p.fds.host(fd)


def _addr_in(p, addr: int, addrlen: int):
    if not addr:
        return None, 0
    if addrlen < 0 or addrlen > MAX_ADDR:
        raise SyscallError(errno.EINVAL)
    return ctypes.create_string_buffer(p.mem.read(addr, addrlen), max(addrlen, 1)), addrlen


def _addr_out(p, addr: int, lenp: int):
    """A (buffer, socklen_t) pair for calls that return an address; None, None when not wanted."""
    if not addr or not lenp:
        return None, None
    n = struct.unpack("<i", p.mem.read(lenp, 4))[0]
    if n < 0:
        raise SyscallError(errno.EINVAL)
    return ctypes.create_string_buffer(min(n, MAX_ADDR) or 1), (ctypes.c_char * 4)(*struct.pack("<i", n))


def _addr_back(p, addr: int, lenp: int, buf, lbuf) -> None:
    if buf is None:
        return
    full = struct.unpack("<i", bytes(lbuf))[0]
    room = struct.unpack("<i", p.mem.read(lenp, 4))[0]
    p.mem.write(addr, buf.raw[:min(full, room)])
    p.mem.write(lenp, struct.pack("<i", full))  # the real length, even when it was cut


def socket(p, domain, type_, protocol):
    return raw(p, "socket", domain, type_, protocol)


def connect(p, fd, addr, addrlen):
    buf, n = _addr_in(p, addr, addrlen)
    return raw(p, "connect", _fd(p, fd), buf, n)


def bind(p, fd, addr, addrlen):
    buf, n = _addr_in(p, addr, addrlen)
    return raw(p, "bind", _fd(p, fd), buf, n)


def listen(p, fd, backlog):
    return raw(p, "listen", _fd(p, fd), backlog)


def accept4(p, fd, addr, lenp, flags):
    buf, lbuf = _addr_out(p, addr, lenp)
    new = raw(p, "accept4", _fd(p, fd), buf, lbuf, flags)
    _addr_back(p, addr, lenp, buf, lbuf)
    return new


def accept(p, fd, addr, lenp):
    return accept4(p, fd, addr, lenp, 0)


def shutdown(p, fd, how):
    return raw(p, "shutdown", _fd(p, fd), how)


def _name(which: str):
    def call(p, fd, addr, lenp):
        buf, lbuf = _addr_out(p, addr, lenp)
        if buf is None:
            raise SyscallError(errno.EFAULT)
        raw(p, which, _fd(p, fd), buf, lbuf)
        _addr_back(p, addr, lenp, buf, lbuf)
        return 0

    call.__name__ = which
    return call


getsockname = _name("getsockname")
getpeername = _name("getpeername")


def setsockopt(p, fd, level, optname, optval, optlen):
    buf, n = _addr_in(p, optval, optlen)
    return raw(p, "setsockopt", _fd(p, fd), level, optname, buf, n)


def getsockopt(p, fd, level, optname, optval, lenp):
    buf, lbuf = _addr_out(p, optval, lenp)
    if buf is None:
        raise SyscallError(errno.EFAULT)
    raw(p, "getsockopt", _fd(p, fd), level, optname, buf, lbuf)
    _addr_back(p, optval, lenp, buf, lbuf)
    return 0


def sendto(p, fd, buf, length, flags, addr, addrlen):
    data = ctypes.create_string_buffer(p.mem.read(buf, min(length, MAX_IO)), max(min(length, MAX_IO), 1))
    abuf, n = _addr_in(p, addr, addrlen)
    return raw(p, "sendto", _fd(p, fd), data, min(length, MAX_IO), flags, abuf, n)


def recvfrom(p, fd, buf, length, flags, addr, lenp):
    length = min(length, MAX_IO)
    p.mem.check(buf, length, write=True)
    data = ctypes.create_string_buffer(max(length, 1))
    abuf, lbuf = _addr_out(p, addr, lenp)
    got = raw(p, "recvfrom", _fd(p, fd), data, length, flags, abuf, lbuf)
    p.mem.write(buf, data.raw[:min(got, length)])
    _addr_back(p, addr, lenp, abuf, lbuf)
    return got
