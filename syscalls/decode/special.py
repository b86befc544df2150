"""strace's own special cases: arguments whose meaning depends on another one (clone, fcntl,
ioctl, futex, select, poll). These are the only per-syscall printers, as in strace itself."""

from __future__ import annotations

import struct

from emulator.abi.constants import (
    FUTEX_CLOCK_REALTIME,
    FUTEX_CMD_MASK,
    FUTEX_CMP_REQUEUE,
    FUTEX_CMP_REQUEUE_PI,
    FUTEX_LOCK_PI,
    FUTEX_PRIVATE_FLAG,
    FUTEX_REQUEUE,
    FUTEX_TRYLOCK_PI,
    FUTEX_UNLOCK_PI,
    FUTEX_WAIT,
    FUTEX_WAIT_BITSET,
    FUTEX_WAIT_REQUEUE_PI,
    FUTEX_WAKE,
    FUTEX_WAKE_BITSET,
    FUTEX_WAKE_OP,
)
from syscalls.decode import xlat
from syscalls.decode.arrays import poll_result
from syscalls.decode.structs import StructPtr, Timespec
from syscalls.decode.text import flags_names, flags_text, ptr, s32, signal_text
from syscalls.decode.types import OPENFLAGS, Arg, Ptr


class CloneArgs(Arg):
    """clone's flags argument carries the call's entry half as strace prints it:
    child_stack=..., flags=CLONE_...|SIGCHLD (CloneTail prints the rest when it returns)."""

    def format(self, t, raw):
        flags, stack = t.args[0], t.args[1]
        sig = flags & 0xFF
        fl = flags_text(xlat.CLONE_FLAGS, flags & ~0xFF & 0xFFFF_FFFF, "")
        if sig:
            fl = (fl + "|" if fl else "") + signal_text(sig)
        return f"child_stack={ptr(stack)}, flags={fl or '0'}"


class CloneTail(Arg):
    """clone's exit half, as strace decodes it once the call returns: parent_tid=[the tid written],
    tls=..., child_tidptr=... (each only when its flag is set); empty otherwise."""

    out = True
    sep_at_exit = True  # an unfinished line reads `clone(child_stack=NULL, flags=... <unfinished ...>`

    def format(self, t, raw):
        flags, _stack, ptid, ctid, tls = t.args[:5]
        parts = []
        if flags & 0x100000:  # CLONE_PARENT_SETTID
            data = None if t.failed else t.read(ptid, 4)
            parts.append(f"parent_tid=[{int.from_bytes(data, 'little')}]" if data else f"parent_tid={ptr(ptid)}")
        if flags & 0x80000:  # CLONE_SETTLS: before child_tidptr, as strace's clone.c prints them
            parts.append(f"tls={ptr(tls)}")
        if flags & (0x1000000 | 0x200000):  # CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID
            parts.append(f"child_tidptr={ptr(ctid)}")
        return ", ".join(parts)


class Clone3Args(StructPtr):
    size = 64

    def show(self, t, data):
        flags, pidfd, ctid, ptid, esig, stack, ssize, tls = struct.unpack_from("<8Q", data)
        parts = [f"flags={flags_text(xlat.CLONE_FLAGS, flags)}"]
        if flags & 0x1000:
            parts.append(f"pidfd={ptr(pidfd)}")
        if flags & (0x1000000 | 0x200000):
            parts.append(f"child_tid={ptr(ctid)}")
        if flags & 0x100000:
            parts.append(f"parent_tid={ptr(ptid)}")
        parts.append(f"exit_signal={xlat.signame(esig) if esig else 0}")
        parts += [f"stack={ptr(stack)}", f"stack_size={ssize:#x}"]
        if flags & 0x80000:
            parts.append(f"tls={ptr(tls)}")
        return "{" + ", ".join(parts) + "}"


F_NOARG = {1, 3, 9, 11, 16, 17, 1025, 1032, 1034}
F_FLOCK = {5, 6, 7, 36, 37, 38}


class FcntlArg(Arg):
    """fcntl's third argument, by command (index 1)."""

    def format(self, t, raw):
        cmd = t.args[1] & 0xFFFF_FFFF
        if cmd in F_NOARG:
            return ""
        if cmd == 2:
            return flags_text(xlat.FD_FLAGS, raw & 0xFFFF_FFFF)
        if cmd == 4:
            return OPENFLAGS.format(t, raw)
        if cmd in F_FLOCK:
            data = t.read(raw, 32)
            if data is None or (cmd in (5, 36) and t.failed):
                return ptr(raw)
            typ, whence, start, ln, pid = struct.unpack("<hh4xqqi4x", data)  # struct flock: 32 bytes
            lt = {0: "F_RDLCK", 1: "F_WRLCK", 2: "F_UNLCK"}.get(typ, str(typ))
            tail = f", l_pid={pid}" if cmd in (5, 36) else ""
            return (f"{{l_type={lt}, l_whence={dict(xlat.SEEK_WHENCE).get(whence, whence)}, "
                    f"l_start={start}, l_len={ln}{tail}}}")
        if cmd in (0, 1030, 8, 10, 1024, 1031, 1033, 1026):
            return str(s32(raw))
        return f"{raw:#x}"


class FcntlRet:
    def format(self, t, value):
        cmd = t.args[1] & 0xFFFF_FFFF
        if value <= 0:
            return str(value)
        if cmd == 1:
            return f"{value:#x} (flags {flags_names(xlat.FD_FLAGS, value)})"
        if cmd == 3:
            return f"{value:#x} (flags {OPENFLAGS.names(value & 0xFFFF_FFFF)})"
        return str(value)


class IoctlArg(Arg):
    """ioctl's argument, by request (index 1): the structs strace decodes, else the pointer."""

    out = True

    def format(self, t, raw):
        req = t.args[1] & 0xFFFF_FFFF
        if req in (0x5421, 0x541B, 0x540F, 0x5410, 0x5429, 0x80045430, 0x40045431, 0x5425):
            if req in (0x541B, 0x540F, 0x5429, 0x80045430, 0x5425) and t.failed:
                return ptr(raw)
            data = t.read(raw, 4)
            return ptr(raw) if data is None else f"[{s32(int.from_bytes(data, 'little'))}]"
        if req in (0x5413, 0x5414):
            if req == 0x5413 and t.failed:
                return ptr(raw)
            data = t.read(raw, 8)
            if data is None:
                return ptr(raw)
            r, c, x, y = struct.unpack("<HHHH", data)
            return f"{{ws_row={r}, ws_col={c}, ws_xpixel={x}, ws_ypixel={y}}}"
        if req in (0x5401, 0x5402, 0x5403, 0x5404):
            if req == 0x5401 and t.failed:
                return ptr(raw)
            data = t.read(raw, 36)
            if data is None:
                return ptr(raw)
            i, o, c, lf = struct.unpack_from("<IIII", data)
            speeds = {0o17: "B38400", 0o15: "B9600", 0o10017: "B4000000", 0o10002: "B115200", 0: "B0"}
            sp = speeds.get(c & 0o10017, f"B{c & 0o10017:#o}")
            bits = [("opost", o & 1), ("isig", lf & 1), ("icanon", lf & 2), ("echo", lf & 8)]
            return "{" + " ".join([sp] + [n if v else "-" + n for n, v in bits]) + " ...}"
        if req in (0x5409, 0x540A, 0x540B):
            return str(s32(raw))
        return ptr(raw) if raw else "0" if req in (0x540C, 0x540D, 0x5422, 0x5450, 0x5451) else ptr(raw)


FUTEX_CMD_ARGS = {FUTEX_WAIT: 2, FUTEX_WAKE: 1, FUTEX_WAIT_BITSET: 4, FUTEX_WAKE_BITSET: 4, FUTEX_LOCK_PI: 1,
                  FUTEX_UNLOCK_PI: 0, FUTEX_TRYLOCK_PI: 0, FUTEX_REQUEUE: 3, FUTEX_CMP_REQUEUE: 4, FUTEX_WAKE_OP: 5,
                  FUTEX_WAIT_REQUEUE_PI: 4, FUTEX_CMP_REQUEUE_PI: 5}


class FutexOp(Arg):
    def format(self, t, raw):
        op = raw & 0xFFFF_FFFF
        cmd = op & FUTEX_CMD_MASK
        name = dict(xlat.FUTEX_OPS).get(cmd, f"{cmd:#x}")
        if op & FUTEX_PRIVATE_FLAG:
            name += "_PRIVATE"
        if op & FUTEX_CLOCK_REALTIME:
            name += "|FUTEX_CLOCK_REALTIME"
        return name


class FutexRest(Arg):
    """futex's val, timeout, uaddr2, val3: as many as the command uses (index 2 prints them all)."""

    def format(self, t, raw):
        cmd = t.args[1] & FUTEX_CMD_MASK
        val, tmo, uaddr2, val3 = t.args[2:6]
        if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI):
            ts = Timespec().format(t, tmo)
            if cmd == FUTEX_WAIT:
                return f"{s32(val)}, {ts}"
            bits = "FUTEX_BITSET_MATCH_ANY" if val3 & 0xFFFF_FFFF == 0xFFFF_FFFF else f"{val3:#x}"
            return f"{s32(val)}, {ts}, {bits}" if cmd == FUTEX_WAIT_BITSET else f"{s32(val)}, {ts}, {ptr(uaddr2)}"
        if cmd in (FUTEX_WAKE, FUTEX_LOCK_PI):
            return str(s32(val))
        if cmd in (FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI):
            return ""
        if cmd == FUTEX_WAKE_BITSET:
            bits = "FUTEX_BITSET_MATCH_ANY" if val3 & 0xFFFF_FFFF == 0xFFFF_FFFF else f"{val3:#x}"
            return f"{s32(val)}, NULL, {bits}"
        if cmd == FUTEX_REQUEUE:
            return f"{s32(val)}, {tmo}, {ptr(uaddr2)}"
        return f"{s32(val)}, {tmo}, {ptr(uaddr2)}, {s32(val3)}"


class FdSet(Ptr):
    """select's fd_set: [0 1], `nfds` (index 0) bits long."""

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        n = max(0, min(s32(t.args[0]), 1024))
        data = t.read(raw, (n + 63) // 64 * 8)
        if data is None:
            return ptr(raw)
        mask = int.from_bytes(data, "little")
        return "[" + " ".join(str(i) for i in range(n) if mask >> i & 1) + "]"


class PollRet:
    def format(self, t, value):
        if value < 0:
            return str(value)
        return f"{value}{poll_result(t, t.args[0], t.args[1] & 0xFFFF_FFFF)}"


class SelectRet:
    def format(self, t, value):
        return f"{value} (Timeout)" if value == 0 else str(value)
