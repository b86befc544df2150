"""Struct arguments, printed whole as strace prints them without -v ({st_mode=S_IFREG|0644, ...}).

This module holds StructPtr, the base of every struct printer, and the file, time and system
structs (stat, statx, statfs, timespec, timeval, itimerval, rlimit, utsname, sysinfo, tms,
rusage); the signal structs are in sigstructs.py, the arrays (iovecs, argv, pollfds, dirents)
in arrays.py. Every type here decodes to the raw address (handlers read and write guest memory themselves).
A NULL pointer prints as NULL; an output struct of a failed call, or unreadable memory,
prints as the bare pointer, as strace does.
"""

from __future__ import annotations

import struct

from syscalls.decode import xlat
from syscalls.decode.text import flags_text, mode_text, named, ptr, quote, s32
from syscalls.decode.types import Arg, Ptr, UInt


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
