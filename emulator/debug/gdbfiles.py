"""gdb's host I/O (vFile packets): the target's files, as the guest sees them.

gdb reads the program, /proc/PID/maps (`info proc mappings`), cmdline, exe and cwd through
these packets. The gdb stub runs inside the guest's own host process, so /proc/<that pid>/...
must mean the emulated process: generated files come from syscalls/handlers/procfs.py, exactly what the
guest itself would read. A file is read whole when gdb opens it and served from memory, so
gdb never holds a host fd that would shift the guest's own fd numbers.
"""

import errno
import os
import stat
import struct

from syscalls.handlers import procfs

# gdb's File-I/O protocol values (gdb/include/gdb/fileio.h), not the host's.
FILEIO_O_ACCMODE, FILEIO_O_CREAT, FILEIO_O_TRUNC = 0x3, 0x200, 0x400
FILEIO_ERRNO = {errno.EPERM: 1, errno.ENOENT: 2, errno.EINTR: 4, errno.EBADF: 9, errno.EACCES: 13,
                errno.EFAULT: 14, errno.EBUSY: 16, errno.EEXIST: 17, errno.ENODEV: 19, errno.ENOTDIR: 20,
                errno.EISDIR: 21, errno.EINVAL: 22, errno.ENFILE: 23, errno.EMFILE: 24, errno.EFBIG: 27,
                errno.ENOSPC: 28, errno.ESPIPE: 29, errno.EROFS: 30, errno.ENAMETOOLONG: 91}
FILEIO_EUNKNOWN = 9999
MAX_CHUNK = 0x2000  # escaped, it still fits the stub's PacketSize


def _error(err: int) -> str:
    return f"F-1,{FILEIO_ERRNO.get(err, FILEIO_EUNKNOWN):x}"


def _fio_stat(st_mode: int, size: int, st=None) -> bytes:
    """struct fio_stat: big-endian, 32-bit except size, blksize and blocks."""
    g = (lambda name: getattr(st, name, 0) & 0xFFFF_FFFF) if st is not None else (lambda name: 0)
    return struct.pack(">IIIIIIIQQQIII", g("st_dev"), g("st_ino"), st_mode, g("st_nlink") or 1, g("st_uid"),
                       g("st_gid"), g("st_rdev"), size, 4096, (size + 511) // 512,
                       int(getattr(st, "st_atime", 0)), int(getattr(st, "st_mtime", 0)),
                       int(getattr(st, "st_ctime", 0)))


class HostIO:
    """The open files of one gdb connection: handle -> (bytes, fio_stat)."""

    def __init__(self, proc):
        self.proc = proc
        self.files: dict[int, tuple[bytes, bytes]] = {}
        self.next_handle = 3

    def handle(self, packet: bytes) -> str | tuple[str, bytes]:
        """One `vFile:...` packet (without the prefix): a reply, or (reply head, attachment) for
        the stub to escape; "" for operations we do not offer."""
        op, _, args = packet.partition(b":")
        if op == b"setfs":
            return "F0"  # one process: every pid names the same file system
        if op == b"open":
            path, flags, _mode = args.split(b",")
            return self.open(bytes.fromhex(path.decode()), int(flags, 16))
        if op == b"pread":
            fd, count, offset = (int(x, 16) for x in args.split(b","))
            if fd not in self.files:
                return _error(errno.EBADF)
            data = self.files[fd][0][offset:offset + min(count, MAX_CHUNK)]
            return f"F{len(data):x};", data
        if op == b"fstat":
            fd = int(args, 16)
            if fd not in self.files:
                return _error(errno.EBADF)
            st = self.files[fd][1]
            return f"F{len(st):x};", st
        if op == b"close":
            return "F0" if self.files.pop(int(args, 16), None) is not None else _error(errno.EBADF)
        if op == b"readlink":
            return self.readlink(bytes.fromhex(args.decode()))
        if op in (b"pwrite", b"unlink"):
            return _error(errno.EROFS)  # gdb gets to look, not to change the guest's files
        return ""

    def open(self, path: bytes, flags: int) -> str:
        if flags & FILEIO_O_ACCMODE or flags & (FILEIO_O_CREAT | FILEIO_O_TRUNC):
            return _error(errno.EROFS)
        p = self.proc
        entry = procfs.own_entry(path)
        make = procfs.GENERATED.get(entry) if entry is not None else None
        try:
            if make is not None:
                data, st = make(p), _fio_stat(stat.S_IFREG | 0o444, 0)
            else:
                real = procfs.host_path(p, path)
                with open(real, "rb") as f:
                    data = f.read()
                    info = os.fstat(f.fileno())
                st = _fio_stat(info.st_mode, info.st_size, info)
        except OSError as exc:
            return _error(exc.errno or errno.EIO)
        handle = self.next_handle
        self.next_handle += 1
        self.files[handle] = (data, st)
        return f"F{handle:x}"

    def readlink(self, path: bytes) -> str | tuple[str, bytes]:
        target = procfs.readlink_virtual(self.proc, path)
        if target is None:
            try:
                target = os.readlink(path)
            except OSError as exc:
                return _error(exc.errno or errno.EIO)
        return f"F{len(target):x};", target
