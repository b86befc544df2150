"""sendmsg and recvmsg: the guest's msghdr rebuilt on host buffers, then the host's own call.

Guest fds are host fds, so SCM_RIGHTS control messages need no translation: the host kernel
installs passed descriptors in this process, which is the guest's. The guest's iovecs are
gathered into (or scattered from) one host buffer.
"""

import ctypes
import errno
import os
import stat
import struct
import time

from emulator.abi.constants import MMSGHDR_SIZE, MSG_CMSG_COMPAT, MSG_DONTWAIT, MSG_WAITFORONE, UIO_MAXIOV
from emulator.errors import GuestFault, SyscallError
from syscalls.handlers.sockets import MAX_ADDR, MAX_IO, raw

MSGHDR = struct.Struct("<QI4xQQQQi4x")  # name, namelen, iov, iovlen, control, controllen, flags
MAX_CONTROL = 1 << 16


def _iovecs(p, iov: int, iovlen: int) -> list[tuple[int, int]]:
    if iovlen > UIO_MAXIOV:
        raise SyscallError(errno.EMSGSIZE)
    raw = p.mem.read(iov, 16 * iovlen)
    return [struct.unpack_from("<QQ", raw, 16 * i) for i in range(iovlen)]


def _buffer(data_or_size) -> ctypes.Array:
    if isinstance(data_or_size, bytes):
        return ctypes.create_string_buffer(data_or_size, max(len(data_or_size), 1))
    return ctypes.create_string_buffer(max(data_or_size, 1))


def _host_msghdr(name, namelen, data, length, control, controllen) -> tuple[ctypes.Array, ctypes.Array]:
    """The host msghdr (and the one iovec it points at) for buffers that must outlive the call."""
    iov = _buffer(struct.pack("<QQ", ctypes.addressof(data), length))
    hdr = _buffer(MSGHDR.pack(_address(name), namelen, ctypes.addressof(iov), 1, _address(control), controllen, 0))
    return hdr, iov


def _address(buf) -> int:
    return ctypes.addressof(buf) if buf is not None else 0


def _limits(namelen: int, controllen: int) -> None:
    if not 0 <= namelen <= MAX_ADDR or controllen > MAX_CONTROL:
        raise SyscallError(errno.EINVAL if namelen > MAX_ADDR else errno.ENOBUFS)


def sendmsg(p, fd, msg, flags):
    name, namelen, iov, iovlen, control, controllen, _ = MSGHDR.unpack(p.mem.read(msg, MSGHDR.size))
    namelen = namelen if name else 0
    controllen = controllen if control else 0
    _limits(namelen, controllen)
    data = b"".join(p.mem.read(base, min(n, MAX_IO)) for base, n in _iovecs(p, iov, iovlen))
    hname = _buffer(p.mem.read(name, namelen)) if namelen else None
    hcontrol = _buffer(p.mem.read(control, controllen)) if controllen else None
    hdata = _buffer(data)
    hdr, _iov = _host_msghdr(hname, namelen, hdata, len(data), hcontrol, controllen)
    return raw(p, "sendmsg", p.fds.host(fd), hdr, flags)


def recvmsg(p, fd, msg, flags):
    name, namelen, iov, iovlen, control, controllen, _ = MSGHDR.unpack(p.mem.read(msg, MSGHDR.size))
    namelen = namelen if name else 0
    controllen = controllen if control else 0
    _limits(namelen, controllen)
    iovs = _iovecs(p, iov, iovlen)
    for base, n in iovs:
        p.mem.check(base, min(n, MAX_IO), write=True)
    total = sum(min(n, MAX_IO) for _, n in iovs)
    hname, hcontrol, hdata = _buffer(namelen) if namelen else None, _buffer(controllen) if controllen else None, _buffer(total)
    hdr, _iov = _host_msghdr(hname, namelen, hdata, total, hcontrol, controllen)
    got = raw(p, "recvmsg", p.fds.host(fd), hdr, flags)
    data, pos = hdata.raw[:min(got, total)], 0
    for base, n in iovs:  # scatter into the guest's iovecs, in order
        if pos >= len(data):
            break
        p.mem.write(base, data[pos:pos + n])
        pos += n
    _, out_namelen, _, _, _, out_controllen, out_flags = MSGHDR.unpack(hdr.raw[:MSGHDR.size])
    if hname is not None:
        p.mem.write(name, hname.raw[:min(out_namelen, namelen)])
    if hcontrol is not None:
        p.mem.write(control, hcontrol.raw[:out_controllen])
    p.mem.write(msg + 8, struct.pack("<I", out_namelen if name else 0))
    p.mem.write(msg + 40, struct.pack("<Q", out_controllen if control else 0))
    p.mem.write(msg + 48, struct.pack("<i", out_flags))
    return got


# ----- sendmmsg, recvmmsg: one sendmsg/recvmsg per struct mmsghdr (a msghdr and its msg_len) ----------


def _mmsg_checks(p, fd: int, flags: int) -> None:
    if flags & MSG_CMSG_COMPAT:
        raise SyscallError(errno.EINVAL)
    if not stat.S_ISSOCK(os.fstat(p.fds.host(fd)).st_mode):  # EBADF, ENOTSOCK before any struct is read
        raise SyscallError(errno.ENOTSOCK)


def sendmmsg(p, fd, msgvec, vlen, flags):
    """Like the kernel: stops at the first error, which is the call's only when nothing was sent."""
    _mmsg_checks(p, fd, flags)
    vlen = min(vlen, UIO_MAXIOV)
    sent = 0
    for i in range(vlen):
        hdr = msgvec + i * MMSGHDR_SIZE
        try:
            n = sendmsg(p, fd, hdr, flags)
        except (OSError, SyscallError, GuestFault):
            if sent:
                return sent
            raise
        p.mem.write(hdr + 56, struct.pack("<I", n))
        sent += 1
    return sent


def recvmmsg(p, fd, msgvec, vlen, flags, timeout):
    """The timeout, as in Linux, is only checked after each datagram; MSG_WAITFORONE turns on
    MSG_DONTWAIT after the first."""
    if flags & MSG_CMSG_COMPAT:
        raise SyscallError(errno.EINVAL)
    vlen = min(vlen, UIO_MAXIOV)
    deadline = None
    if timeout:
        sec, nsec = struct.unpack("<qq", p.mem.read(timeout, 16))
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            raise SyscallError(errno.EINVAL)
        deadline = time.monotonic() + sec + nsec / 1e9
    _mmsg_checks(p, fd, 0)
    got = 0
    for i in range(vlen):
        hdr = msgvec + i * MMSGHDR_SIZE
        try:
            n = recvmsg(p, fd, hdr, flags)
        except (OSError, SyscallError, GuestFault):
            if got:
                return got
            raise
        p.mem.write(hdr + 56, struct.pack("<I", n))
        got += 1
        if flags & MSG_WAITFORONE:
            flags |= MSG_DONTWAIT
        if deadline is not None and time.monotonic() >= deadline:
            break
    return got
