"""ETXTBSY: a file that a guest process is running cannot be opened for writing.

Linux denies write access to the file a process executes (fs/exec.c, exe_file_deny_write_access;
checked on this host's 6.18: open(O_WRONLY), open(O_RDONLY|O_TRUNC), creat() and truncate() of
a running program fail with ETXTBSY). Its ELF interpreter and its libraries are not denied
(checked on the same kernel: a running ld.so opens O_WRONLY). Under elfemu the host executes
only python, so the host kernel cannot do it for guests, and the running programs are spread
over host processes (one guest process is one host process).

What all those processes can see is a lock: each guest process keeps its running executable
open (a hidden fd, `hold`) with an open-file-description read lock on one byte at MARK, far
past any real file's end. Before a guest opens a file to write it, `check` asks the host
whether anyone holds that lock (F_OFD_GETLK). OFD locks belong to the open file, so a fork
child shares its parent's, and one dies with the last process that has it open: the host
keeps the set exact, across processes, without a registry.

Limits: only elfemu's guests are seen (a native process running the file is not, and a guest
running a file does not stop a native process from writing it); the look and the open are two
steps, so a file that starts running between them is opened; and execve of a file that is
open for writing succeeds, where Linux answers ETXTBSY.
"""

import errno
import fcntl
import os
import stat
import struct

from emulator.errors import SyscallError

MARK = (1 << 63) - 2  # the locked byte: past any file's end, where no program locks
FLOCK = struct.Struct("<hh4xqqi4x")  # struct flock: l_type, l_whence, l_start, l_len, l_pid
F_RDLCK, F_WRLCK, F_UNLCK, SEEK_SET = 0, 1, 2, 0
O_ACCMODE, O_TRUNC = 3, os.O_TRUNC


def hold(path: str) -> int:
    """Open the executable a process now runs and lock its mark; returns the fd (-1 if the host
    refuses: the file stays writable, as before)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return -1
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, FLOCK.pack(F_RDLCK, SEEK_SET, MARK, 1, 0))
    except OSError:
        os.close(fd)
        return -1
    return fd


def check_open(path: bytes, dir_fd: int, flags: int) -> None:
    """An open that needs write access (the kernel's get_write_access: a write mode or O_TRUNC)
    of a running program fails with ETXTBSY. O_PATH opens nothing; O_CREAT|O_EXCL creates or
    fails with EEXIST first."""
    if flags & O_ACCMODE == os.O_RDONLY and not flags & O_TRUNC or flags & os.O_PATH:
        return
    if flags & (os.O_CREAT | os.O_EXCL) == os.O_CREAT | os.O_EXCL:
        return
    check(path, dir_fd, follow=not flags & os.O_NOFOLLOW)


def check(path: bytes, dir_fd: int | None = None, follow: bool = True) -> None:
    """SyscallError(ETXTBSY) if a guest process runs the file at `path`; anything the look
    cannot see (no such file, no permission) is left to the real call to report."""
    try:
        st = os.stat(path, dir_fd=dir_fd, follow_symlinks=follow)
    except (OSError, ValueError):
        return
    if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o111:  # only executable files run
        return
    if not os.access(path, os.W_OK, dir_fd=dir_fd, effective_ids=True, follow_symlinks=follow):
        return  # EACCES comes first (may_open before the write denial)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW), dir_fd=dir_fd)
    except (OSError, ValueError):
        return
    try:
        got = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, FLOCK.pack(F_WRLCK, SEEK_SET, MARK, 1, 0))
    except OSError:
        return
    finally:
        os.close(fd)
    if FLOCK.unpack(got)[0] != F_UNLCK:
        raise SyscallError(errno.ETXTBSY)
