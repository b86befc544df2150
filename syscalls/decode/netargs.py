"""Socket arguments as strace prints them: sockaddrs, socklen pointers, SO_* options, msghdrs."""

from __future__ import annotations

import struct

from emulator.abi.constants import SOL_SOCKET
from syscalls.decode import xlat
from syscalls.decode.arrays import iovec_text
from syscalls.decode.buffers import iov_dump
from syscalls.decode.structs import StructPtr
from syscalls.decode.text import ptr, quote, s32
from syscalls.decode.types import Arg, Flags, Ptr

IPPROTOS = {0: "IPPROTO_IP", 1: "IPPROTO_ICMP", 6: "IPPROTO_TCP", 17: "IPPROTO_UDP", 58: "IPPROTO_ICMPV6",
            255: "IPPROTO_RAW", 132: "IPPROTO_SCTP", 136: "IPPROTO_UDPLITE"}
SO_NAMES = {1: "SO_DEBUG", 2: "SO_REUSEADDR", 3: "SO_TYPE", 4: "SO_ERROR", 5: "SO_DONTROUTE", 6: "SO_BROADCAST",
            7: "SO_SNDBUF", 8: "SO_RCVBUF", 9: "SO_KEEPALIVE", 10: "SO_OOBINLINE", 13: "SO_LINGER",
            15: "SO_REUSEPORT", 16: "SO_PASSCRED", 17: "SO_PEERCRED", 18: "SO_RCVLOWAT", 19: "SO_SNDLOWAT",
            20: "SO_RCVTIMEO_OLD", 21: "SO_SNDTIMEO_OLD", 25: "SO_BINDTODEVICE", 29: "SO_TIMESTAMP_OLD",
            30: "SO_ACCEPTCONN", 32: "SO_SNDBUFFORCE", 33: "SO_RCVBUFFORCE", 38: "SO_PROTOCOL", 39: "SO_DOMAIN"}
FAMILIES = dict(xlat.ADDRESS_FAMILIES)
NUL = bytes(1)


def sockaddr_text(data: bytes) -> str:
    if len(data) < 2:
        return "{sa_family=AF_UNSPEC}"
    fam = struct.unpack_from("<H", data)[0]
    name = FAMILIES.get(fam, str(fam))
    if fam == 1:
        path = data[2:]
        if path[:1] == NUL:
            return "{sa_family=AF_UNIX, sun_path=@" + quote(path[1:].split(NUL)[0]) + "}"
        return "{sa_family=AF_UNIX, sun_path=" + quote(path.split(NUL)[0]) + "}"
    if fam == 2 and len(data) >= 8:
        port = struct.unpack_from(">H", data, 2)[0]
        import socket  # only when a sockaddr is printed: keeps it off start-up

        addr = socket.inet_ntoa(data[4:8])
        return f'{{sa_family=AF_INET, sin_port=htons({port}), sin_addr=inet_addr("{addr}")}}'
    if fam == 10 and len(data) >= 24:
        port, flow = struct.unpack_from(">HI", data, 2)
        import socket

        addr = socket.inet_ntop(socket.AF_INET6, data[8:24])
        scope = struct.unpack_from("<I", data, 24)[0] if len(data) >= 28 else 0
        return (f'{{sa_family=AF_INET6, sin6_port=htons({port}), sin6_flowinfo=htonl({flow}), '
                f'inet_pton(AF_INET6, "{addr}", &sin6_addr), sin6_scope_id={scope}}}')
    return f"{{sa_family={name}, sa_data={quote(data[2:16])}}}"


class SockAddr(Ptr):
    """A sockaddr the guest passes in; its length is argument `length`."""

    def __init__(self, length: int):
        self.length = length

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        n = s32(t.args[self.length])
        data = t.read(raw, max(0, min(n, 128)))
        return ptr(raw) if data is None else sockaddr_text(data)


class SockAddrOut(Ptr):
    """A sockaddr the kernel fills (accept, recvfrom, getsockname); its length lives at *args[lenptr]."""

    out = True

    def __init__(self, lenptr: int):
        self.lenptr = lenptr

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        if t.failed:
            return ptr(raw)
        ln = t.read(t.args[self.lenptr], 4) if t.args[self.lenptr] else None
        if ln is None:
            return ptr(raw)
        data = t.read(raw, min(struct.unpack("<I", ln)[0], 128))
        return ptr(raw) if data is None else sockaddr_text(data)


class IntRef(StructPtr):
    """An int behind a pointer: [16]; printed on return when `out`."""

    size = 4

    def show(self, t, data):
        return f"[{s32(int.from_bytes(data, 'little'))}]"


class SockProto(Arg):
    """socket's protocol, named by the family (index 0)."""

    def format(self, t, raw):
        raw = s32(raw)
        if t.args[0] & 0xFFFF in (2, 10):
            return IPPROTOS.get(raw, str(raw))
        return str(raw)


class SockOptName(Arg):
    def format(self, t, raw):
        raw = s32(raw)
        if s32(t.args[1]) == 1:
            return SO_NAMES.get(raw, str(raw))
        return str(raw)


class SockOptVal(Ptr):
    """setsockopt's value ([1] for an int), getsockopt's on return; the length is argument 4."""

    def __init__(self, out: bool = False):
        self.out = out

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        if self.out and t.failed:
            return ptr(raw)
        if self.out:
            ln = t.read(t.args[4], 4)
            n = struct.unpack("<I", ln)[0] if ln else 0
        else:
            n = t.args[4] & 0xFFFF_FFFF
        if n == 4:
            data = t.read(raw, 4)
            return ptr(raw) if data is None else f"[{s32(int.from_bytes(data, 'little'))}]"
        data = t.read(raw, min(n, t.strsize))
        return ptr(raw) if data is None else quote(data, t.strsize, n > t.strsize)


SCM_RIGHTS, SCM_CREDENTIALS = 1, 2


def cmsgs_text(data: bytes) -> str:
    """[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[6]}, ...]"""
    items, pos = [], 0
    while pos + 16 <= len(data):
        ln, level, kind = struct.unpack_from("<Qii", data, pos)
        if ln < 16:
            break
        body = data[pos + 16:pos + min(ln, len(data) - pos)]
        text = f"{{cmsg_len={ln}, cmsg_level={'SOL_SOCKET' if level == SOL_SOCKET else level}"
        if level == SOL_SOCKET and kind == SCM_RIGHTS:
            fds = [s32(int.from_bytes(body[i:i + 4], "little")) for i in range(0, len(body) - 3, 4)]
            text += f", cmsg_type=SCM_RIGHTS, cmsg_data=[{', '.join(map(str, fds))}]}}"
        elif level == SOL_SOCKET and kind == SCM_CREDENTIALS and len(body) >= 12:
            pid, uid, gid = struct.unpack_from("<iII", body)
            text += f", cmsg_type=SCM_CREDENTIALS, cmsg_data={{pid={pid}, uid={uid}, gid={gid}}}}}"
        else:
            text += f", cmsg_type={kind:#x}}}"
        items.append(text)
        pos += (ln + 7) & ~7
    return "[" + ", ".join(items) + "]"


MSG_FLAGS = Flags(xlat.MSG_FLAGS)


class Msghdr(StructPtr):
    """struct msghdr as strace prints it; recvmsg's (`out`) after the call, with what arrived."""

    size = 56

    @property
    def io(self):
        return "read" if self.out else "write"

    def io_dump(self, t, raw):
        data = t.read(raw, self.size)
        return "" if data is None else iov_dump(t, *struct.unpack_from("<16xQQ", data))

    def show(self, t, data):
        name, namelen, iov, iovlen, control, controllen, flags = struct.unpack("<QI4xQQQQi4x", data)
        if name and namelen:
            raw_name = t.read(name, min(namelen, 128))
            name_text = ptr(name) if raw_name is None else sockaddr_text(raw_name)
        else:
            name_text = ptr(name)
        parts = [f"msg_name={name_text}", f"msg_namelen={namelen}",
                 f"msg_iov={iovec_text(t, iov, iovlen, t.ret if self.out else None)}", f"msg_iovlen={iovlen}"]
        if control and controllen:
            raw_control = t.read(control, min(controllen, 4096))
            parts.append(f"msg_control={ptr(control) if raw_control is None else cmsgs_text(raw_control)}")
        parts.append(f"msg_controllen={controllen}")
        parts.append(f"msg_flags={MSG_FLAGS.format(t, flags & 0xFFFF_FFFF)}")
        return "{" + ", ".join(parts) + "}"
