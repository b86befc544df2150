"""Struct arguments, printed whole as strace prints them without -v ({st_mode=S_IFREG|0644, ...}).

Every type here decodes to the raw address (handlers read and write guest memory themselves).
A NULL pointer prints as NULL; an output struct of a failed call, or unreadable memory,
prints as the bare pointer, as strace does.
"""

from __future__ import annotations

import struct

from emulator.errors import GuestFault
from syscalls.decode import xlat
from syscalls.decode.types import (
    Arg,
    Ptr,
    UInt,
    buf_text,
    flags_text,
    iov_dump,
    mode_text,
    named,
    ptr,
    quote,
    s32,
    signal_text,
)

SIGNAMES = xlat.SIGNAL_NAMES


class StructPtr(Ptr):
    """A pointer to a struct of `size` bytes, rendered by `show(t, data) -> str`."""

    size = 0
    out = False

    def __init__(self, out: bool | None = None):
        if out is not None:
            self.out = out

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        if self.out and t.failed:
            return ptr(raw)
        data = t.read(raw, self.size)
        if data is None:
            return ptr(raw)
        return self.show(t, data)

    def show(self, t, data: bytes) -> str:
        raise NotImplementedError


def dev_text(dev: int) -> str:
    major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF)
    minor = (dev & 0xFF) | ((dev >> 12) & ~0xFF)
    return named(f"{dev:#x}" if dev else "0", f"makedev({_hex0(major)}, {_hex0(minor)})")


def _hex0(n: int) -> str:
    return f"{n:#x}" if n else "0"


def time_text(sec: int, nsec: int) -> str:
    """-v's seconds with strace's ISO 8601 comment: 1795166173 /* 2026-11-20T09:16:13.102135859+0000 */."""
    import time

    try:
        tm = time.localtime(sec)
    except (OverflowError, OSError, ValueError):
        return str(sec)
    frac = f".{nsec:09d}" if nsec else ""
    return f"{sec} /* {time.strftime('%Y-%m-%dT%H:%M:%S', tm)}{frac}{time.strftime('%z', tm)} */"


class StatBuf(StructPtr):
    """struct stat (144 bytes on x86-64)."""

    size = 144
    out = True

    def show(self, t, data):
        dev, ino, nlink, mode, uid, gid, _pad, rdev, size = struct.unpack_from("<QQQIIIIQq", data)
        fmt = mode & 0o170000
        tail = f"st_rdev={dev_text(rdev)}" if fmt in (0o20000, 0o60000) else f"st_size={size}"
        if t.opts is None or not t.opts.verbose:
            return f"{{st_mode={mode_text(mode)}, {tail}, ...}}"
        blksize, blocks, *times = struct.unpack_from("<qq6q", data, 56)
        stamps = [f"st_{n}time={time_text(times[2 * i], times[2 * i + 1])}, st_{n}time_nsec={times[2 * i + 1]}"
                  for i, n in enumerate("amc")]
        return (f"{{st_dev={dev_text(dev)}, st_ino={ino}, st_mode={mode_text(mode)}, st_nlink={nlink}, st_uid={uid}, "
                f"st_gid={gid}, st_blksize={blksize}, st_blocks={blocks}, {tail}, {', '.join(stamps)}}}")


class StatxBuf(StructPtr):
    size = 0x100
    out = True

    def show(self, t, data):
        mask, _blksize, attrs, _nlink, _uid, _gid, mode = struct.unpack_from("<IIQIIIH", data)
        size = struct.unpack_from("<Q", data, 40)[0]
        return (f"{{stx_mask={statx_mask_text(mask)}, stx_attributes={attrs_text(attrs)}, "
                f"stx_mode={mode_text(mode)}, stx_size={size}, ...}}")


def statx_mask_text(mask: int) -> str:
    if mask & 0xFFF == 0xFFF:
        rest = mask & ~0xFFF
        return "STATX_ALL" + ("|" + flags_text(xlat.STATX_MASK, rest) if rest else "")
    if mask & 0x7FF == 0x7FF:
        rest = mask & ~0x7FF
        return "STATX_BASIC_STATS" + ("|" + flags_text(xlat.STATX_MASK, rest) if rest else "")
    return flags_text(xlat.STATX_MASK, mask)


def attrs_text(attrs: int) -> str:
    names = [(0x4, "STATX_ATTR_COMPRESSED"), (0x10, "STATX_ATTR_IMMUTABLE"), (0x20, "STATX_ATTR_APPEND"),
             (0x40, "STATX_ATTR_NODUMP"), (0x800, "STATX_ATTR_ENCRYPTED"), (0x1000, "STATX_ATTR_AUTOMOUNT"),
             (0x2000, "STATX_ATTR_MOUNT_ROOT"), (0x100000, "STATX_ATTR_VERITY"), (0x200000, "STATX_ATTR_DAX")]
    return flags_text(names, attrs)


class StatxMask(Arg):
    def format(self, t, raw):
        return statx_mask_text(raw & 0xFFFF_FFFF)


class StatxFlags(Arg):
    """statx's flags: the sync type (AT_STATX_SYNC_AS_STAT when 0) first, then the AT_ flags."""

    def format(self, t, raw):
        raw &= 0xFFFF_FFFF
        sync = raw & 0x6000
        head = dict(xlat.AT_STATX_SYNC).get(sync, "AT_STATX_SYNC_AS_STAT")
        rest = raw & ~0x6000
        return head + ("|" + flags_text(xlat.AT_FLAGS, rest) if rest else "")


def rlim_text(v: int, inf: str) -> str:
    if v == 0xFFFF_FFFF_FFFF_FFFF:
        return named(str(v), inf)
    if v > 1024 and v % 1024 == 0:
        return named(str(v), f"{v // 1024}*1024")
    return str(v)


class Rlimit(StructPtr):
    size = 16

    def __init__(self, out=None, inf="RLIM64_INFINITY"):
        super().__init__(out)
        self.inf = inf

    def show(self, t, data):
        cur, mx = struct.unpack("<QQ", data)
        return f"{{rlim_cur={rlim_text(cur, self.inf)}, rlim_max={rlim_text(mx, self.inf)}}}"


class Timespec(StructPtr):
    size = 16

    def show(self, t, data):
        sec, nsec = struct.unpack("<qq", data)
        return f"{{tv_sec={sec}, tv_nsec={nsec}}}"


class Timeval(StructPtr):
    size = 16

    def show(self, t, data):
        sec, usec = struct.unpack("<qq", data)
        return f"{{tv_sec={sec}, tv_usec={usec}}}"


class Itimerval(StructPtr):
    size = 32

    def show(self, t, data):
        a, b, c, d = struct.unpack("<qqqq", data)
        return f"{{it_interval={{tv_sec={a}, tv_usec={b}}}, it_value={{tv_sec={c}, tv_usec={d}}}}}"


class Utsname(StructPtr):
    size = 65 * 6
    out = True

    def show(self, t, data):
        sysname = data[:65].split(b"\0")[0]
        node = data[65:130].split(b"\0")[0]
        return f"{{sysname={quote(sysname)}, nodename={quote(node)}, ...}}"


class Sysinfo(StructPtr):
    size = 112
    out = True

    def show(self, t, data):
        up, l1, l2, l3, tot, free, shared, buf, tswap, fswap, procs = struct.unpack_from("<q3Q6QH", data)
        th, fh, unit = struct.unpack_from("<QQI", data, 88)
        return (f"{{uptime={up}, loads=[{l1}, {l2}, {l3}], totalram={tot}, freeram={free}, sharedram={shared}, "
                f"bufferram={buf}, totalswap={tswap}, freeswap={fswap}, procs={procs}, totalhigh={th}, "
                f"freehigh={fh}, mem_unit={unit}}}")


def sigset_text(mask: int, nbits: int = 64) -> str:
    """[USR1 TERM], or ~[...] when more than half the signals are set, as strace prints it."""
    sigs = [i + 1 for i in range(nbits) if mask >> i & 1]
    if len(sigs) > nbits // 2:
        inv = [i + 1 for i in range(nbits) if not mask >> i & 1]
        return "~[" + " ".join(named(str(s), xlat.signame(s)[3:]) for s in inv) + "]"
    return "[" + " ".join(named(str(s), xlat.signame(s)[3:]) for s in sigs) + "]"


class Sigset(StructPtr):
    """A sigset_t of `size` bytes given by argument `size_index` (8 for rt_sig*)."""

    size = 8

    def __init__(self, out=None, size_index: int | None = None):
        super().__init__(out)
        self.size_index = size_index

    def format(self, t, raw):
        if self.size_index is not None and t.args[self.size_index] != 8:
            return ptr(raw)
        return super().format(t, raw)

    def show(self, t, data):
        return sigset_text(int.from_bytes(data, "little"))


class Sigaction(StructPtr):
    size = 32

    def show(self, t, data):
        handler, flags, restorer, mask = struct.unpack("<QQQQ", data)
        h = dict(xlat.SIG_HANDLERS).get(handler) or f"{handler:#x}"
        text = f"{{sa_handler={h}, sa_mask={sigset_text(mask)}, sa_flags={flags_text(xlat.SA_FLAGS, flags & 0xFFFF_FFFF)}"
        if flags & 0x04000000:
            text += f", sa_restorer={ptr(restorer)}"
        return text + "}"


class Stack(StructPtr):
    size = 24

    def show(self, t, data):
        sp, flags, size = struct.unpack("<Qi4xQ", data)
        return f"{{ss_sp={ptr(sp)}, ss_flags={flags_text(xlat.SS_FLAGS, flags & 0xFFFF_FFFF)}, ss_size={size}}}"


class IntOut(StructPtr):
    """An int the kernel stores ([1206]), or an unsigned one (mq_timedreceive's priority)."""

    size = 4
    out = True

    def __init__(self, out: bool | None = None, signed: bool = True):
        super().__init__(out)
        self.signed = signed

    def show(self, t, data):
        value = int.from_bytes(data, "little")
        return f"[{s32(value) if self.signed else value}]"


class IntPair(StructPtr):
    """pipe's and socketpair's two fds: [3, 4]."""

    size = 8
    out = True

    def show(self, t, data):
        a, b = struct.unpack("<ii", data)
        return f"[{a}, {b}]"


class WaitStatus(StructPtr):
    size = 4
    out = True

    def format(self, t, raw):
        if raw and not t.failed and t.ret == 0:  # WNOHANG with nothing to report: untouched
            return ptr(raw)
        return super().format(t, raw)

    def show(self, t, data):
        return "[" + wait_status_text(int.from_bytes(data, "little")) + "]"


def wait_status_text(s: int) -> str:
    if s & 0x7F == 0:
        return f"{{WIFEXITED(s) && WEXITSTATUS(s) == {s >> 8 & 0xFF}}}"
    if s & 0xFF == 0x7F:
        return f"{{WIFSTOPPED(s) && WSTOPSIG(s) == {xlat.signame(s >> 8 & 0xFF)}}}"
    if s == 0xFFFF:
        return "{WIFCONTINUED(s)}"
    core = " && WCOREDUMP(s)" if s & 0x80 else ""
    return f"{{WIFSIGNALED(s) && WTERMSIG(s) == {xlat.signame(s & 0x7F)}{core}}}"


class Iovec(Ptr):
    """An iovec array; `count` is the index of its length argument. Out arrays print `ret` bytes."""

    def __init__(self, count: int, out: bool = False):
        self.count = count
        self.out = out
        self.io = "read" if out else "write"

    def format(self, t, raw):
        if self.out and t.failed:
            return ptr(raw)
        return iovec_text(t, raw, t.args[self.count], t.ret if self.out else None)

    def io_dump(self, t, raw):
        return iov_dump(t, raw, t.args[self.count])


def iovec_text(t, raw: int, n: int, left: int | None = None) -> str:
    """[{iov_base="...", iov_len=N}, ...]; with `left`, only that many bytes have content (a read)."""
    if raw == 0:
        return "NULL"
    if n > 1024:
        return ptr(raw)
    data = t.read(raw, 16 * n)
    if data is None:
        return ptr(raw)
    items = []
    for i in range(n):
        if i >= t.strsize:
            items.append("...")
            break
        base, ln = struct.unpack_from("<QQ", data, 16 * i)
        shown = ln if left is None else max(0, min(ln, left))
        if left is not None:
            left -= shown
        items.append(f"{{iov_base={buf_text(t, base, shown) if base else 'NULL'}, iov_len={ln}}}")
    return "[" + ", ".join(items) + "]"


class StrArray(Ptr):
    """execve's argv: ["a", "b"], each string cut at -s."""

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        try:
            ptrs = t.proc.mem.read_ptr_array(raw, 4096)
        except GuestFault:  # a bad guest pointer prints as the pointer
            return ptr(raw)
        items = []
        for i, p in enumerate(ptrs):
            if i >= t.strsize:
                items.append("...")
                break
            try:
                items.append(quote(t.proc.mem.read_cstr(p, t.strsize + 1), t.strsize))
            except GuestFault:
                items.append(ptr(p))
        return "[" + ", ".join(items) + "]"


class EnvArray(Ptr):
    """execve's envp, as strace prints it without -v: 0x7ffc... /* 35 vars */."""

    def format(self, t, raw):
        if raw == 0:
            return "NULL"
        try:
            n = len(t.proc.mem.read_ptr_array(raw, 4096))
        except GuestFault:
            return ptr(raw)
        return f"{raw:#x} /* {n} var{'s' if n != 1 else ''} */"


class PollFds(Ptr):
    """poll's array on entry: [{fd=0, events=POLLIN}]; the count is argument `count`."""

    def __init__(self, count: int):
        self.count = count

    def format(self, t, raw):
        n = t.args[self.count] & 0xFFFF_FFFF
        data = t.read(raw, 8 * min(n, 1024)) if raw else None
        if data is None:
            return ptr(raw)
        items = []
        for i in range(min(n, 1024)):
            if i >= t.strsize:
                items.append("...")
                break
            fd, ev, _rev = struct.unpack_from("<ihh", data, 8 * i)
            items.append(f"{{fd={fd}, events={flags_text(xlat.POLL_EVENTS, ev & 0xFFFF)}}}")
        return "[" + ", ".join(items) + "]"


def poll_result(t, raw, n) -> str:
    """poll's return note: ([{fd=0, revents=POLLIN}]) or (Timeout)."""
    if t.ret == 0:
        return " (Timeout)"
    data = t.read(raw, 8 * n)
    if data is None:
        return ""
    items = []
    for i in range(n):
        fd, _ev, rev = struct.unpack_from("<ihh", data, 8 * i)
        if rev:
            items.append(f"{{fd={fd}, revents={flags_text(xlat.POLL_EVENTS, rev & 0xFFFF)}}}")
    return " ([" + ", ".join(items) + "])"


class CpuSet(StructPtr):
    """sched_getaffinity's mask: [0 1], `ret` bytes long."""

    out = True

    def format(self, t, raw):
        if t.failed or raw == 0:
            return ptr(raw)
        data = t.read(raw, t.ret)
        if data is None:
            return ptr(raw)
        mask = int.from_bytes(data, "little")
        return "[" + " ".join(str(i) for i in range(len(data) * 8) if mask >> i & 1) + "]"


class Dirents(Ptr):
    """getdents64's buffer without -v: 0x... /* N entries */."""

    out = True

    def format(self, t, raw):
        if t.failed:
            return ptr(raw)
        data = t.read(raw, t.ret)
        if data is None:
            return ptr(raw)
        n = off = 0
        while off + 19 <= len(data):
            reclen = struct.unpack_from("<H", data, off + 16)[0]
            if reclen == 0:
                break
            n += 1
            off += reclen
        return f"{raw:#x} /* {n} entries */"


def siginfo_text(info: dict) -> str:
    """{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10}, for --- lines."""
    signo = info.get("si_signo", 0)
    code = s32(info.get("si_code", 0))
    name = dict(xlat.SI_CODES).get(code)
    if name is None or (code > 0 and code != 0x80):
        name = dict(xlat.SI_CODES_BY_SIGNAL.get(signo, [])).get(code, name or str(code))
    parts = [f"si_signo={signal_text(signo)}", f"si_code={named(f'{code & 0xFFFF_FFFF:#x}' if code else '0', name)}"]
    if "si_errno" in info and info["si_errno"]:
        parts.insert(1, f"si_errno={info['si_errno']}")
    if signo in (11, 7, 4, 8, 5) and code > 0:  # faults carry an address, SI_KERNEL ones too (NULL)
        parts.append(f"si_addr={ptr(info.get('si_addr', 0))}")
    elif signo == 17 and code > 0:
        st = info.get("si_status", 0)
        status = xlat.signame(st) if code in (2, 3, 5, 6) else str(st)
        parts += [f"si_pid={info.get('si_pid', 0)}", f"si_uid={info.get('si_uid', 0)}",
                  f"si_status={status}", f"si_utime={info.get('si_utime', 0)}", f"si_stime={info.get('si_stime', 0)}"]
    elif code == -2:  # SI_TIMER
        value = info.get("si_value", 0)
        parts += [f"si_timerid={info.get('si_timerid', 0)}", f"si_overrun={info.get('si_overrun', 0)}",
                  f"si_int={s32(value)}", f"si_ptr={ptr(value)}"]
    elif code <= 0:
        parts += [f"si_pid={info.get('si_pid', 0)}", f"si_uid={info.get('si_uid', 0)}"]
        if code == -1 or code == -2:
            parts.append(f"si_int={info.get('si_int', 0)}")
            parts.append(f"si_ptr={ptr(info.get('si_ptr', 0))}")
    return "{" + ", ".join(parts) + "}"




def _utc(sec: int, nsec: int) -> str:
    import time as _time

    try:
        return _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(sec)) + f".{nsec:09d}+0000"
    except (OverflowError, OSError, ValueError):
        return ""


class UtimeSpecs(StructPtr):
    """utimensat's two timespecs, with strace's date comments and UTIME_NOW/UTIME_OMIT."""

    size = 32

    def show(self, t, data):
        items = []
        for sec, nsec in struct.iter_unpack("<qq", data):
            if nsec == (1 << 30) - 1:
                items.append(f"{{tv_sec={sec}, tv_nsec=UTIME_NOW}}")
            elif nsec == (1 << 30) - 2:
                items.append(f"{{tv_sec={sec}, tv_nsec=UTIME_OMIT}}")
            else:
                items.append(f"{{tv_sec={sec}, tv_nsec={nsec}}} /* {_utc(sec, nsec)} */")
        return "[" + ", ".join(items) + "]"


FS_MAGIC = {0xEF53: "EXT2_SUPER_MAGIC", 0x01021994: "TMPFS_MAGIC", 0x9FA0: "PROC_SUPER_MAGIC",
            0x794C7630: "OVERLAYFS_SUPER_MAGIC", 0x62656572: "SYSFS_MAGIC", 0x9123683E: "BTRFS_SUPER_MAGIC",
            0x58465342: "XFS_SUPER_MAGIC", 0x1CD1: "DEVPTS_SUPER_MAGIC", 0x6969: "NFS_SUPER_MAGIC",
            0x65735546: "FUSE_SUPER_MAGIC", 0x27E0EB: "CGROUP_SUPER_MAGIC", 0x63677270: "CGROUP2_SUPER_MAGIC"}
ST_FLAGS = [(1, "ST_RDONLY"), (2, "ST_NOSUID"), (4, "ST_NODEV"), (8, "ST_NOEXEC"), (16, "ST_SYNCHRONOUS"),
            (32, "ST_VALID"), (64, "ST_MANDLOCK"), (1024, "ST_NOATIME"), (2048, "ST_NODIRATIME"),
            (4096, "ST_RELATIME"), (8192, "ST_NOSYMFOLLOW")]


class Statfs(StructPtr):
    size = 120
    out = True

    def show(self, t, data):
        ftype, bsize, blocks, bfree, bavail, files, ffree, f0, f1, namelen, frsize, flags = \
            struct.unpack_from("<qqQQQQQiiqqq", data)
        typ = FS_MAGIC.get(ftype, f"{ftype:#x}")
        return (f"{{f_type={typ}, f_bsize={bsize}, f_blocks={blocks}, f_bfree={bfree}, f_bavail={bavail}, "
                f"f_files={files}, f_ffree={ffree}, f_fsid={{val=[{f0 & 0xFFFF_FFFF:#x}, {f1 & 0xFFFF_FFFF:#x}]}}, "
                f"f_namelen={namelen}, f_frsize={frsize}, f_flags={flags_text(ST_FLAGS, flags)}}}")


class Tms(StructPtr):
    size = 32
    out = True

    def show(self, t, data):
        u, s, cu, cs = struct.unpack("<qqqq", data)
        return f"{{tms_utime={u}, tms_stime={s}, tms_cutime={cu}, tms_cstime={cs}}}"


class Rusage(StructPtr):
    size = 32
    out = True

    def show(self, t, data):
        us, uu, ss, su = struct.unpack("<qqqq", data)
        return f"{{ru_utime={{tv_sec={us}, tv_usec={uu}}}, ru_stime={{tv_sec={ss}, tv_usec={su}}}, ...}}"


class MknodDev(UInt):
    """mknod's dev, an unsigned int: printed only for character and block devices (the mode is
    argument `mode`)."""

    def __init__(self, mode: int):
        self.mode = mode

    def format(self, t, raw):
        if t.args[self.mode] & 0o170000 in (0o20000, 0o60000):
            return dev_text(raw)
        return ""
