"""Where the tracer's lines go, and what every traced process shares about them.

Output is the line writer: stderr unbuffered (so the trace keeps its order with the guest's own
stderr, as strace's does), an -o file buffered, or unbuffered with -f because several processes
write the same file. Shared is the page all traced processes of one -f run see: how many are
alive (strace adds `[pid N] ` prefixes only then) and which one left a line unfinished (so
another one's line first ends it with ` <unfinished ...>`). The page is created before the first
fork and guarded by a POSIX record lock on a temporary file (record locks are per process, which
is exactly the exclusion needed between forked guests). stamp_text is the -t/-tt/-ttt/-r part of
a line's leader.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import struct
import tempfile
import time

NPROCS, UNFINISHED = 0, 1  # slots (int64) in the shared page


def fraction(ns: int, digits: int) -> str:
    """strace's sub-second part at a precision of s/ms/us/ns (truncated, as strace's is)."""
    return "." + f"{ns % 1_000_000_000:09d}"[:digits] if digits else ""


def stamp_text(opts, now: int, last: int | None) -> str:
    """-t/-tt/-ttt/-r and their long forms: nanoseconds since the epoch in (and the previous
    line's, for -r), the leader's time part out."""
    text = ""
    if opts.stamp_format == "unix":
        text = f"{now // 1_000_000_000}{fraction(now, opts.stamp_digits)} "
    elif opts.stamp_format == "time":
        secs = time.strftime("%H:%M:%S", time.localtime(now // 1_000_000_000))
        text = f"{secs}{fraction(now, opts.stamp_digits)} "
    if opts.relative:
        d = max(now - (last if last is not None else now), 0)
        rel = f"{d // 1_000_000_000:6d}{fraction(d, opts.relative_digits)}"
        return f"{text}(+{rel}) " if text else rel + " "  # -t -r: 16:15:42 (+     0.000255)
    return text


class Output:
    """Where lines go: stderr unbuffered (keeps order with the guest's own stderr), -o files buffered."""

    def __init__(self, path: str | None, buffered: bool = True, append: bool = False):
        self.path = path or "stderr"  # named in the message when a write fails
        if path is None:
            self.fd, self.buffered = 2, False
        else:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | (0 if append else os.O_TRUNC)
            self.fd = os.open(path, flags, 0o666)
            self.buffered = buffered  # with -f, lines of several processes interleave: no buffering
        self.buf: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        if self.buffered:
            self.buf.append(text)
            self.size += len(text)
            if self.size > 65536:
                self.flush()
        else:
            self._write(text.encode(errors="surrogateescape"))

    def flush(self) -> None:
        if self.buf:
            data = "".join(self.buf).encode(errors="surrogateescape")
            self.buf, self.size = [], 0
            self._write(data)

    def _write(self, data: bytes) -> None:
        """A failed write (-o /dev/full: ENOSPC; a closed pipe) costs the lines, not the guest:
        strace says `strace: /dev/full: No space left on device` for each line it could not
        flush and goes on tracing, and exits with the tracee's status (checked with strace 6.1)."""
        while data:
            try:
                n = os.write(self.fd, data)
            except OSError as exc:
                message = f"elfemu: {self.path}: {os.strerror(exc.errno or errno.EIO)}\n"
                for _line in range(max(data.count(b"\n"), 1)):
                    write_all(2, message.encode())
                return
            data = data[n:]

    def drop(self) -> None:
        """Forget buffered lines (a forked child that is not traced: they are the parent's)."""
        self.buf, self.size = [], 0


def write_all(fd: int, data: bytes) -> None:
    while data:
        n = os.write(fd, data)
        data = data[n:]


class Shared:
    """State every traced process sees: how many are alive, who has an unfinished line."""

    def __init__(self):
        self.page = mmap.mmap(-1, 4096)
        tmp = tempfile.TemporaryFile()
        self.lockfd = os.dup(tmp.fileno())
        tmp.close()
        self.set(NPROCS, 1)

    def get(self, slot: int) -> int:
        return struct.unpack_from("<q", self.page, slot * 8)[0]

    def set(self, slot: int, value: int) -> None:
        struct.pack_into("<q", self.page, slot * 8, value)

    def add_procs(self, delta: int) -> None:
        """A child starts being traced (+1) or a traced process ends (-1)."""
        self.lock()
        try:
            self.set(NPROCS, max(self.get(NPROCS) + delta, 0))
        finally:
            self.unlock()

    def append(self, text: str) -> None:
        """Children's -c counts, kept in the lock file until the main process prints the table."""
        self.lock()
        try:
            os.lseek(self.lockfd, 0, os.SEEK_END)
            write_all(self.lockfd, text.encode())
        finally:
            self.unlock()

    def read_all(self) -> str:
        size = os.fstat(self.lockfd).st_size
        return os.pread(self.lockfd, size, 0).decode() if size else ""

    def lock(self) -> None:
        fcntl.lockf(self.lockfd, fcntl.LOCK_EX)

    def unlock(self) -> None:
        fcntl.lockf(self.lockfd, fcntl.LOCK_UN)
