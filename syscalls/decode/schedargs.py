"""Printers for scheduling, capability and memory-policy arguments, as strace 6.1 prints them.

sched_attr, the capability header and data sets, NUMA node masks, ioprio values, and the
return values strace annotates (sched_getscheduler's policy, ioprio_get's class, membarrier's
query mask).
"""

from __future__ import annotations

import struct

from emulator.abi.constants import CAP_V1, CAP_V2, CAP_V3
from syscalls.decode import xlat
from syscalls.decode.structs import StructPtr
from syscalls.decode.text import flags_text, ptr, s32
from syscalls.decode.types import Arg, Enum, NotedFlags, Ret

POLICY_NAMES = dict(xlat.SCHED_POLICIES)
MPOL_NAMES = dict(xlat.MPOL_MODES)
SCHED_ATTR_VER0, SCHED_ATTR_VER1 = 48, 56
MEMBARRIER_QUERY = 0


def xval(names: dict, raw: int, unknown: str) -> str:
    """strace's printxval: the name, else the value in hex with a /* X_??? */ note."""
    name = names.get(raw)
    return name if name else f"{raw:#x} /* {unknown} */" if raw else f"0 /* {unknown} */"


def policy_text(raw: int) -> str:
    """SCHED_BATCH, SCHED_OTHER|SCHED_RESET_ON_FORK."""
    raw &= 0xFFFF_FFFF
    text = xval(POLICY_NAMES, raw & ~xlat.SCHED_RESET_ON_FORK, "SCHED_???")
    return text + "|SCHED_RESET_ON_FORK" if raw & xlat.SCHED_RESET_ON_FORK else text


class SchedPolicy(Arg):
    def format(self, t, raw):
        return policy_text(raw)


class PolicyOnly(Arg):
    """sched_get_priority_max/min's policy: no SCHED_RESET_ON_FORK there."""

    def format(self, t, raw):
        return xval(POLICY_NAMES, raw & 0xFFFF_FFFF, "SCHED_???")


class MembarrierCpu(Arg):
    """membarrier's cpu_id: shown only with MEMBARRIER_CMD_FLAG_CPU."""

    def format(self, t, raw):
        return str(s32(raw)) if t.args[1] & 1 else ""


class PolicyRet(Ret):
    """sched_getscheduler: 0 (SCHED_OTHER)."""

    def format(self, t, value):
        return f"{value} ({policy_text(value)})"


class SchedParam(StructPtr):
    """struct sched_param: [0]."""

    size = 4

    def show(self, t, data):
        return f"[{s32(int.from_bytes(data, 'little'))}]"


def sched_attr_text(data: bytes, size: int, more: bool) -> str:
    parts = [f"size={size}"]
    if size >= SCHED_ATTR_VER0:
        data = data.ljust(SCHED_ATTR_VER1, b"\0")
        _, policy, flags, nice, prio, runtime, deadline, period, umin, umax = struct.unpack("<IIQiIQQQII", data[:56])
        parts += [f"sched_policy={xval(POLICY_NAMES, policy, 'SCHED_???')}",
                  f"sched_flags={flags_text(xlat.SCHED_FLAGS, flags)}", f"sched_nice={nice}",
                  f"sched_priority={prio}", f"sched_runtime={runtime}", f"sched_deadline={deadline}",
                  f"sched_period={period}"]
        if size >= SCHED_ATTR_VER1:
            parts += [f"sched_util_min={umin}", f"sched_util_max={umax}"]
    if more:
        parts.append("...")
    return "{" + ", ".join(parts) + "}"


class SchedAttrOut(Arg):
    """sched_getattr's struct: as many fields as the kernel wrote (its size field), after the call."""

    out = True

    def format(self, t, raw):
        usize = t.args[2] & 0xFFFF_FFFF
        if raw == 0 or t.failed or not usize:
            return ptr(raw)
        data = t.read(raw, min(usize, SCHED_ATTR_VER1))
        if data is None:
            return ptr(raw)
        size = struct.unpack_from("<I", data.ljust(4, b"\0"))[0]
        return sched_attr_text(data, size, False)


class SchedAttrIn(Arg):
    """sched_setattr's struct: its own size field says how much of it there is."""

    def format(self, t, raw):
        head = t.read(raw, 4) if raw else None
        if head is None:
            return ptr(raw)
        usize = struct.unpack("<I", head)[0] or SCHED_ATTR_VER0
        size = min(usize, SCHED_ATTR_VER1)
        data = head
        if size >= SCHED_ATTR_VER0:
            data = t.read(raw, size)
            if data is None:
                return ptr(raw)
        return sched_attr_text(data, size if size >= SCHED_ATTR_VER0 else struct.unpack("<I", head)[0], usize > size)


def ioprio_text(raw: int) -> str:
    cls, data = (raw >> 13) & 0x7, raw & 0x1FFF
    return f"IOPRIO_PRIO_VALUE({xval(dict(xlat.IOPRIO_CLASSES), cls, 'IOPRIO_CLASS_???')}, {data})"


class Ioprio(Arg):
    def format(self, t, raw):
        return ioprio_text(raw & 0xFFFF_FFFF)


class IoprioRet(Ret):
    def format(self, t, value):
        return f"{value} ({ioprio_text(value)})"


# ----- capabilities ---------------------------------------------------------------------------
def cap_bits_text(lo: int, hi: int) -> str:
    parts = []
    if lo or not hi:
        parts.append(flags_text(xlat.CAP_BITS[:32], lo))
    if hi:
        parts.append(flags_text([(v >> 32, n) for v, n in xlat.CAP_BITS[32:]], hi))
    return "|".join(parts)


class CapHeader(StructPtr):
    """{version=_LINUX_CAPABILITY_VERSION_3, pid=0}"""

    size = 8

    def show(self, t, data):
        version, pid = struct.unpack("<Ii", data)
        return f"{{version={xval(dict(xlat.CAP_VERSIONS), version, '_LINUX_CAPABILITY_VERSION_???')}, pid={pid}}}"


class CapData(Arg):
    """The capability sets, one 32-bit word (version 1) or two per set; capget's after the call."""

    def __init__(self, out: bool):
        self.out = out

    def format(self, t, raw):
        head = t.read(t.args[0], 8) if t.args[0] else None
        if raw == 0 or head is None or (self.out and t.failed):
            return ptr(raw)
        version = struct.unpack_from("<I", head)[0]
        n = 2 if version in (CAP_V2, CAP_V3) else 1 if version == CAP_V1 else 0
        data = t.read(raw, 12 * n) if n else None
        if data is None:
            return ptr(raw)
        words = struct.unpack(f"<{3 * n}I", data) + (0, 0, 0)
        sets = [cap_bits_text(words[i], words[3 + i] if n == 2 else 0) for i in range(3)]
        return f"{{effective={sets[0]}, permitted={sets[1]}, inheritable={sets[2]}}}"


# ----- memory policies ------------------------------------------------------------------------
def mpol_text(raw: int) -> str:
    """strace's print_mode: MPOL_BIND|MPOL_F_STATIC_NODES; an unknown mode with flags is all flags."""
    flags = raw & 0xE000
    if not flags:
        return xval(MPOL_NAMES, raw, "MPOL_???")
    if raw & ~0xE000 not in MPOL_NAMES:
        return flags_text(xlat.MPOL_MODE_FLAGS, raw)
    return MPOL_NAMES[raw & ~0xE000] + "|" + flags_text(xlat.MPOL_MODE_FLAGS, flags)


class MpolMode(Arg):
    """set_mempolicy's int mode, or mbind's full 64-bit one."""

    def __init__(self, bits: int = 32):
        self.mask = (1 << bits) - 1

    def format(self, t, raw):
        return mpol_text(raw & self.mask)


class MpolModeOut(StructPtr):
    """get_mempolicy's int *mode: [MPOL_DEFAULT] (or a node number under MPOL_F_NODE)."""

    size = 4
    out = True

    def show(self, t, data):
        return "[" + xval(MPOL_NAMES, int.from_bytes(data, "little"), "MPOL_???") + "]"


def _long_text(v: int) -> str:
    return f"{v:#016x}" if v else "0" * 16


class NodeMask(Arg):
    """A node bitmap of `args[maxnode]` - 1 bits, printed as an array of longs (on failure too)."""

    def __init__(self, maxnode: int, out: bool = False):
        self.maxnode = maxnode
        self.out = out

    def format(self, t, raw):
        maxnode = t.args[self.maxnode]
        nlongs = ((maxnode + 62) & 0xFFFF_FFFF_FFFF_FFFF) // 64  # C's arithmetic, wrap included
        if nlongs < maxnode // 64 or (maxnode and not nlongs):
            return ptr(raw)
        if raw == 0 or nlongs == 0:
            return "NULL" if raw == 0 else "[]"
        if self.out and t.failed:
            return ptr(raw)
        shown = min(nlongs, t.strsize)
        data = t.read(raw, 8 * shown)
        if data is None:
            return ptr(raw)
        items = [_long_text(v) for v in struct.unpack(f"<{shown}Q", data)]
        return "[" + ", ".join(items) + (", ..." if shown < nlongs else "") + "]"


# ----- membarrier -----------------------------------------------------------------------------
class MembarrierRet(Ret):
    """MEMBARRIER_CMD_QUERY returns the supported commands: 0x3ff (MEMBARRIER_CMD_GLOBAL|...)."""

    def format(self, t, value):
        if t.args[0] & 0xFFFF_FFFF != MEMBARRIER_QUERY:
            return str(value)
        return f"{value:#x} ({flags_text(xlat.MEMBARRIER_CMDS[1:], value)})" if value else "0"


PRIO_WHICH = Enum(xlat.PRIO_WHICH, default="hex", suffix="PRIO_???")
SCHED_POLICY = SchedPolicy()
RET_POLICY = PolicyRet()
SCHED_PARAM_IN, SCHED_PARAM_OUT = SchedParam(out=False), SchedParam(out=True)
SCHED_ATTR_IN, SCHED_ATTR_OUT = SchedAttrIn(), SchedAttrOut()
IOPRIO_WHO = Enum(xlat.IOPRIO_WHO, default="hex", suffix="IOPRIO_WHO_???")
IOPRIO = Ioprio()
RET_IOPRIO = IoprioRet()
CAP_HEADER = CapHeader()
CAP_DATA_IN, CAP_DATA_OUT = CapData(out=False), CapData(out=True)
MPOL_MODE, MPOL_MODE64 = MpolMode(), MpolMode(bits=64)
POLICY_ONLY = PolicyOnly()
MEMBARRIER_FLAGS = NotedFlags([(1, "MEMBARRIER_CMD_FLAG_CPU")], "MEMBARRIER_CMD_FLAG_???")
MEMBARRIER_CPU = MembarrierCpu()
MPOL_MODE_OUT = MpolModeOut()
MPOL_GET_FLAGS = NotedFlags(xlat.MPOL_GET_FLAGS, "MPOL_???", bits=64)
MPOL_MBIND_FLAGS = NotedFlags(xlat.MPOL_MBIND_FLAGS, "MPOL_???")
MEMBARRIER = Enum(xlat.MEMBARRIER_CMDS, default="hex", suffix="MEMBARRIER_CMD_???")
RET_MEMBARRIER = MembarrierRet()
