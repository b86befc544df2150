"""Printers for the descriptor calls' structs, as strace 6.1 prints them: mq_attr and sigevent,
splice's offsets, openat2's open_how, pidfd_open's flags and the mmsghdr arrays of
sendmmsg/recvmmsg."""

from __future__ import annotations

import struct

from emulator.abi.constants import MMSGHDR_SIZE, O_CREAT, O_TMPFILE, OPEN_HOW_SIZE
from syscalls.decode import eventargs, xlat
from syscalls.decode.netargs import Msghdr
from syscalls.decode.structs import IntOut, StructPtr
from syscalls.decode.text import flags_text, ptr
from syscalls.decode.types import OPENFLAGS, Arg, NotedFlags, TraceContext

MQ_FLAGS = [(0o4000, "O_NONBLOCK")]
RESOLVE_FLAGS = [(1, "RESOLVE_NO_XDEV"), (2, "RESOLVE_NO_MAGICLINKS"), (4, "RESOLVE_NO_SYMLINKS"),
                 (8, "RESOLVE_BENEATH"), (0x10, "RESOLVE_IN_ROOT"), (0x20, "RESOLVE_CACHED")]
PIDFD_FLAGS = [(0o4000, "PIDFD_NONBLOCK")]


def mq_attr_text(data: bytes) -> str:
    flags, maxmsg, msgsize, curmsgs = struct.unpack_from("<qqqq", data)
    return (f"{{mq_flags={flags_text(MQ_FLAGS, flags & 0xFFFF_FFFF_FFFF_FFFF)}, mq_maxmsg={maxmsg}, "
            f"mq_msgsize={msgsize}, mq_curmsgs={curmsgs}}}")


class MqAttr(StructPtr):
    """struct mq_attr; mq_open's only with O_CREAT (strace leaves it out otherwise)."""

    size = 32

    def __init__(self, out: bool = False, creat_flags: int | None = None):
        super().__init__(out)
        self.creat_flags = creat_flags

    def format(self, t, raw):
        if self.creat_flags is not None and not t.args[self.creat_flags] & O_CREAT:
            return ""
        return super().format(t, raw)

    def show(self, t, data):
        return mq_attr_text(data)


class Loff(StructPtr):
    """splice's loff_t *: [0], as it was on entry."""

    size = 8

    def show(self, t, data):
        return f"[{struct.unpack('<q', data)[0]}]"


class OpenHow(Arg):
    """openat2's struct open_how, when `args[3]` covers it: {flags=..., mode=..., resolve=...}."""

    def format(self, t, raw):
        size = t.args[3]
        data = t.read(raw, OPEN_HOW_SIZE) if raw and size >= OPEN_HOW_SIZE else None
        if data is None:
            return ptr(raw)
        flags, mode, resolve = struct.unpack("<QQQ", data)
        parts = [f"flags={OPENFLAGS.format(t, flags)}"]
        if flags & (O_CREAT | O_TMPFILE) or mode:
            parts.append(f"mode=0{mode:o}" if mode else "mode=000")
        parts.append(f"resolve={flags_text(RESOLVE_FLAGS, resolve)}")
        return "{" + ", ".join(parts) + "}"


class Mmsgvec(Arg):
    """sendmmsg's and recvmmsg's array, after the call: the entries it handled, each with msg_len
    (recvmmsg's iovecs show what arrived)."""

    out = True

    def __init__(self, received: bool):
        self.hdr = Msghdr(out=received)

    def format(self, t, raw):
        if t.failed or raw == 0:
            return ptr(raw)
        data = t.read(raw, MMSGHDR_SIZE * t.ret)
        if data is None:
            return ptr(raw)
        items = []
        for i in range(min(t.ret, t.strsize)):
            entry = data[i * MMSGHDR_SIZE:(i + 1) * MMSGHDR_SIZE]
            msg_len = struct.unpack_from("<I", entry, 56)[0]
            sub = TraceContext(t.proc, t.args, msg_len, t.opts)
            items.append(f"{{msg_hdr={self.hdr.show(sub, entry[:56])}, msg_len={msg_len}}}")
        return "[" + ", ".join(items) + (", ..." if t.ret > t.strsize else "") + "]"


MQ_ATTR_OPEN = MqAttr(creat_flags=1)
MQ_ATTR_IN, MQ_ATTR_OUT = MqAttr(out=False), MqAttr(out=True)
MQ_PRIO_OUT = IntOut(signed=False)
SIGEVENT = eventargs.Sigevent()  # the same struct sigevent as timer_create's
LOFF = Loff()
OPEN_HOW = OpenHow()
PIDFD_OPEN_FLAGS = NotedFlags(PIDFD_FLAGS, "PIDFD_???")
SPLICE_FLAGS = NotedFlags(xlat.SPLICE_FLAGS, "SPLICE_F_???")
MMSG_SENT, MMSG_RECEIVED = Mmsgvec(received=False), Mmsgvec(received=True)
