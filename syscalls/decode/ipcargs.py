"""Printers for System V IPC arguments, as strace 6.1 prints them: keys, get-flags with their
permission bits, the per-family ctl commands and buffers, sembuf arrays and msgbufs."""

from __future__ import annotations

import struct

from emulator.abi.constants import IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT
from syscalls.decode.text import flags_text, ptr, quote
from syscalls.decode.types import Arg, Enum, NotedFlags

IPC_64 = 0x100
SHM_STAT, SHM_INFO, SHM_STAT_ANY = 13, 14, 15
SEM_STAT, SEM_INFO, SEM_STAT_ANY = 18, 19, 20
MSG_STAT, MSG_INFO, MSG_STAT_ANY = 11, 12, 13
SHMGET_FLAGS = [(0o1000, "IPC_CREAT"), (0o2000, "IPC_EXCL"), (0o4000, "SHM_HUGETLB"), (0o10000, "SHM_NORESERVE")]
IPC_GET_FLAGS = [(0o1000, "IPC_CREAT"), (0o2000, "IPC_EXCL"), (0o4000, "IPC_NOWAIT")]
SHM_HUGE_SHIFT = 26
IPC_BASE_CMDS = [(IPC_RMID, "IPC_RMID"), (IPC_SET, "IPC_SET"), (IPC_STAT, "IPC_STAT"), (IPC_INFO, "IPC_INFO")]
SHM_CMDS = IPC_BASE_CMDS + [(11, "SHM_LOCK"), (12, "SHM_UNLOCK"), (13, "SHM_STAT"), (14, "SHM_INFO"),
                            (15, "SHM_STAT_ANY")]
SEM_CMDS = IPC_BASE_CMDS + [(11, "GETPID"), (12, "GETVAL"), (13, "GETALL"), (14, "GETNCNT"), (15, "GETZCNT"),
                            (16, "SETVAL"), (17, "SETALL"), (18, "SEM_STAT"), (19, "SEM_INFO"), (20, "SEM_STAT_ANY")]
MSG_CMDS = IPC_BASE_CMDS + [(11, "MSG_STAT"), (12, "MSG_INFO"), (13, "MSG_STAT_ANY")]
SHMAT_FLAGS = [(0o10000, "SHM_RDONLY"), (0o20000, "SHM_RND"), (0o40000, "SHM_REMAP"), (0o100000, "SHM_EXEC")]
SEM_FLAGS = [(0x1000, "SEM_UNDO"), (0o4000, "IPC_NOWAIT")]
MSG_FLAGS = [(0o10000, "MSG_NOERROR"), (0o20000, "MSG_EXCEPT"), (0o40000, "MSG_COPY"), (0o4000, "IPC_NOWAIT")]


class IpcKey(Arg):
    def format(self, t, raw):
        raw &= 0xFFFF_FFFF
        return "IPC_PRIVATE" if raw == 0 else f"{raw:#x}"


class IpcGetFlags(Arg):
    """IPC_CREAT|IPC_EXCL|0600: the flags (shmget's with its huge page size), then the mode in octal."""

    def __init__(self, table, huge: bool = False):
        self.table = table
        self.huge = huge

    def format(self, t, raw):
        raw &= 0xFFFF_FFFF
        huge = raw >> SHM_HUGE_SHIFT if self.huge else 0
        rest = raw & ~0o777 & ~(huge << SHM_HUGE_SHIFT)
        parts = [flags_text(self.table, rest)] if rest else []
        if huge:
            parts.append(f"{huge}<<SHM_HUGE_SHIFT")
        return "|".join([*parts, f"0{raw & 0o777:02o}"])  # C's %#03o


class IpcCmd(Enum):
    """A ctl command, with IPC_64 when the caller asked for the 64-bit structs."""

    def format(self, t, raw):
        raw &= 0xFFFF_FFFF
        text = super().format(t, raw & ~IPC_64)
        return "IPC_64|" + text if raw & IPC_64 else text


def perm_text(data: bytes, full: bool) -> str:
    key, uid, gid, cuid, cgid, mode = struct.unpack_from("<iIIIII", data)
    text = f"uid={uid}, gid={gid}, mode=" + (f"0{mode & 0o777:o}" if mode & 0o777 else "000")
    return "{" + text + (f", key={key}, cuid={cuid}, cgid={cgid}" if full else "") + "}"


SHMID_DS = struct.Struct("<48sQqqqiiQ16x")  # perm, segsz, atime, dtime, ctime, cpid, lpid, nattch
SEMID_DS = struct.Struct("<48sq8xq8xQ16x")  # perm, otime, ctime, nsems
MSQID_DS = struct.Struct("<48sqqqQQQii16x")  # perm, stime, rtime, ctime, cbytes, qnum, qbytes, lspid, lrpid
MSGINFO = struct.Struct("<7iH2x")
SEMINFO = struct.Struct("<10i")
SHMINFO = struct.Struct("<5Q32x")  # shminfo64: 4 unused longs
SHM_INFO_S = struct.Struct("<i4x5Q")


def ds_text(family: str, cmd: int, data: bytes) -> str:
    """The struct behind a ctl buffer: full after a STAT, the settable fields for IPC_SET."""
    full = cmd != IPC_SET
    if family == "shm":
        perm, segsz, atime, dtime, ctime, cpid, lpid, nattch = SHMID_DS.unpack(data)
        head = f"shm_perm={perm_text(perm, full)}"
        if not full:
            return "{" + head + "}"
        return (f"{{{head}, shm_segsz={segsz}, shm_cpid={cpid}, shm_lpid={lpid}, shm_nattch={nattch}, "
                f"shm_atime={atime}, shm_dtime={dtime}, shm_ctime={ctime}}}")
    if family == "sem":
        perm, otime, ctime, nsems = SEMID_DS.unpack(data)
        head = f"sem_perm={perm_text(perm, full)}"
        if not full:
            return "{" + head + "}"
        return f"{{{head}, sem_otime={otime}, sem_ctime={ctime}, sem_nsems={nsems}}}"
    perm, stime, rtime, ctime, _cbytes, qnum, qbytes, lspid, lrpid = MSQID_DS.unpack(data)
    head = f"msg_perm={perm_text(perm, full)}"
    if not full:
        return f"{{{head}, msg_qbytes={qbytes}}}"
    return (f"{{{head}, msg_stime={stime}, msg_rtime={rtime}, msg_ctime={ctime}, msg_qnum={qnum}, "
            f"msg_qbytes={qbytes}, msg_lspid={lspid}, msg_lrpid={lrpid}}}")


def info_text(family: str, cmd: int, data: bytes) -> str | None:
    if family == "msg" and cmd in (IPC_INFO, MSG_INFO):
        names = ("msgpool", "msgmap", "msgmax", "msgmnb", "msgmni", "msgssz", "msgtql", "msgseg")
        return "{" + ", ".join(f"{n}={v}" for n, v in zip(names, MSGINFO.unpack(data[:MSGINFO.size]))) + "}"
    if family == "sem" and cmd in (IPC_INFO, SEM_INFO):
        names = ("semmap", "semmni", "semmns", "semmnu", "semmsl", "semopm", "semume", "semusz", "semvmx", "semaem")
        return "{" + ", ".join(f"{n}={v}" for n, v in zip(names, SEMINFO.unpack(data[:SEMINFO.size]))) + "}"
    if family == "shm" and cmd == IPC_INFO:
        names = ("shmmax", "shmmin", "shmmni", "shmseg", "shmall")
        return "{" + ", ".join(f"{n}={v}" for n, v in zip(names, SHMINFO.unpack(data[:SHMINFO.size]))) + "}"
    if family == "shm" and cmd == SHM_INFO:
        names = ("used_ids", "shm_tot", "shm_rss", "shm_swp", "swap_attempts", "swap_successes")
        return "{" + ", ".join(f"{n}={v}" for n, v in zip(names, SHM_INFO_S.unpack(data[:SHM_INFO_S.size]))) + "}"
    return None


STRUCT_SIZES = {"shm": SHMID_DS.size, "sem": SEMID_DS.size, "msg": MSQID_DS.size}
STAT_CMDS = {"shm": (IPC_STAT, SHM_STAT, SHM_STAT_ANY), "sem": (IPC_STAT, SEM_STAT, SEM_STAT_ANY),
             "msg": (IPC_STAT, MSG_STAT, MSG_STAT_ANY)}
INFO_CMDS = {"shm": (IPC_INFO, SHM_INFO), "sem": (IPC_INFO, SEM_INFO), "msg": (IPC_INFO, MSG_INFO)}


def buf_size(family: str, cmd: int) -> int:
    """Bytes of the ctl buffer the kernel reads or writes for cmd (0: it takes no buffer)."""
    if cmd in STAT_CMDS[family] or cmd == IPC_SET:
        return STRUCT_SIZES[family]
    if cmd in INFO_CMDS[family]:
        return {"msg": MSGINFO.size, "sem": SEMINFO.size}.get(family, SHMINFO.size if cmd == IPC_INFO else 48)
    return 0


class IpcBuf(Arg):
    """A ctl call's buffer: printed after the call for STAT and INFO commands, on entry for IPC_SET,
    as a pointer otherwise (semctl's SETVAL value included, as strace does)."""

    out = True

    def __init__(self, family: str, cmd: int):
        self.family = family
        self.cmd = cmd

    def format(self, t, raw):
        cmd = t.args[self.cmd] & 0xFFFF_FFFF & ~IPC_64
        fam = self.family
        if raw == 0 or cmd not in STAT_CMDS[fam] + INFO_CMDS[fam] + (IPC_SET,):
            return ptr(raw)
        if cmd != IPC_SET and t.failed:
            return ptr(raw)
        data = t.read(raw, buf_size(fam, cmd))
        if data is None:
            return ptr(raw)
        if cmd in INFO_CMDS[fam]:
            return info_text(fam, cmd, data) or ptr(raw)
        return ds_text(fam, cmd, data)


class Sembufs(Arg):
    """[{sem_num=0, sem_op=-1, sem_flg=SEM_UNDO}, ...]: `args[count]` of them, cut at -s."""

    def __init__(self, count: int):
        self.count = count

    def format(self, t, raw):
        n = t.args[self.count] & 0xFFFF_FFFF
        if raw and not n:
            return "[]"
        shown = min(n, t.strsize)
        data = t.read(raw, 6 * shown) if raw and shown else None
        if data is None:
            return ptr(raw)
        items = []
        for i in range(shown):
            num, op, flg = struct.unpack_from("<Hhh", data, 6 * i)
            flg &= 0xFFFF
            known = flg & (0x1000 | 0o4000)
            ftext = flags_text(SEM_FLAGS, flg) if known or not flg else f"{flg:#x} /* SEM_??? */"
            items.append(f"{{sem_num={num}, sem_op={op}, sem_flg={ftext}}}")
        return "[" + ", ".join(items) + (", ..." if shown < n else "") + "]"


class Msgbuf(Arg):
    """{mtype=1, mtext="..."}: msgsnd's on entry; msgrcv's after the call (strace shows `msgsz`
    bytes of mtext, whatever arrived)."""

    def __init__(self, out: bool):
        self.out = out

    def format(self, t, raw):
        if raw == 0 or (self.out and t.failed):
            return ptr(raw)
        head = t.read(raw, 8)
        if head is None:
            return ptr(raw)
        n = t.args[2]
        lim = t.strsize
        text = t.read(raw + 8, min(n, lim)) if n else b""
        mtype = struct.unpack("<q", head)[0]
        body = ptr(raw + 8) if text is None else quote(text, lim, n > lim)
        return f"{{mtype={mtype}, mtext={body}}}"


IPC_KEY = IpcKey()
IPC_GET, SHMGET_FLAGS_T = IpcGetFlags(IPC_GET_FLAGS), IpcGetFlags(SHMGET_FLAGS, huge=True)
SHM_CMD = IpcCmd(SHM_CMDS, default="hex", suffix="SHM_???")
SEM_CMD = IpcCmd(SEM_CMDS, default="hex", suffix="SEM_???")
MSG_CMD = IpcCmd(MSG_CMDS, default="hex", suffix="MSG_???")
SHMCTL_BUF = IpcBuf("shm", 1)
SEMCTL_ARG = IpcBuf("sem", 2)
MSGCTL_BUF = IpcBuf("msg", 1)
SHMAT_FLAGS_T = NotedFlags(SHMAT_FLAGS, "SHM_???")
SEMBUFS = Sembufs(2)
MSGBUF_IN, MSGBUF_OUT = Msgbuf(out=False), Msgbuf(out=True)
MSG_FLAGS_T = NotedFlags(MSG_FLAGS, "MSG_???")
