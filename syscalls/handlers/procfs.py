"""/proc/self for the EMULATED process, not the host Python running it.

Every path-taking file-system handler passes its path through host_path() (and open through
open_virtual(), readlink through readlink_virtual()), so /proc/self/exe means the guest's
program for stat, open, readlink and execve alike. Generated files (maps, auxv, cmdline,
environ, stat, status, comm) are written to a memfd and reopened read-only through
/proc/self/fd, so the guest gets an ordinary fd with its own offset that it can read,
lseek and fstat. Everything else under /proc (fd/, cwd, limits, ...) is the host's answer,
which is right because one guest process is one host process.
Relative paths are recognised too when their directory is under /proc (absolute()).
Generated files are a snapshot taken at open, where Linux generates them at each read.
"""

import fcntl
import os
import re

from emulator.abi.constants import AT_FDCWD, O_ACCMODE, O_CLOEXEC, O_CREAT, O_TRUNC
from emulator.abi.syscall_numbers import NR
from emulator.image import loader
from emulator.machine.libc import host

SCRATCH_FD = 600  # a memfd briefly lives here while its read-only twin is opened
# Patterns stay text: re compiles (and caches) them on first use, not on every start-up.
_SELF = rb"^/+proc/+(self|thread-self|\d+)(?:/+task/+(\d+))?((?:/+[^/]+)*)/*$"


def own_entry(path: bytes) -> bytes | None:
    """'exe' for /proc/self/exe, /proc/<our pid>/exe, /proc/thread-self/exe, ...; else None."""
    if not path.startswith(b"/") or b"proc" not in path[:8]:
        return None
    m = re.match(_SELF, path)
    if m is None:
        return None
    who, tid, rest = m.groups()
    me = str(os.getpid()).encode()
    if who not in (b"self", b"thread-self", me) or (tid is not None and tid != me):
        return None
    return re.sub(rb"/+", b"/", rest).strip(b"/")


def absolute(p, fd: int, path: bytes) -> bytes:
    """A relative path seen from a directory under /proc (`cd /proc/self; cat maps`) as the
    absolute /proc/self/... path when it names one of ours; any other path is returned as is."""
    if path.startswith(b"/") or not path:
        return path
    try:
        base = os.getcwdb() if fd == AT_FDCWD else os.readlink(f"/proc/self/fd/{fd}").encode()
    except OSError:
        return path
    if base != b"/proc" and not base.startswith(b"/proc/"):
        return path
    full = os.path.normpath(base + b"/" + path)
    return full if own_entry(full) is not None else path


def host_path(p, path: bytes, follow: bool = True) -> bytes:
    """The host path behind a guest path: /proc/self/exe (followed) is the guest's program."""
    if follow and own_entry(path) == b"exe":
        return os.fsencode(p.exe)
    return path


def exec_path(p, path: bytes) -> bytes:
    """What execve runs for path: path itself, unless it is /proc/self/exe or a chain of symlinks
    that ends there, which means the guest's program (the host's link names Python)."""
    link = path
    for _ in range(40):  # MAXSYMLINKS
        if own_entry(link) == b"exe":
            return os.fsencode(p.exe)
        try:
            target = os.readlink(link)
        except OSError:
            return path
        link = target if target.startswith(b"/") else os.path.join(os.path.dirname(link), target)
    return path


def readlink_virtual(p, path: bytes) -> bytes | None:
    return os.fsencode(p.exe) if own_entry(path) == b"exe" else None


# ----- generated files -------------------------------------------------------------------------


def _strings_span(p, first: int, count: int) -> bytes:
    """The bytes of `count` consecutive NUL-terminated strings from the pointer array at first
    (argv or envp on the initial stack): what the kernel shows from arg_start..arg_end."""
    ptrs = [p.mem.read_u64(first + 8 * i) for i in range(count)]
    if not ptrs:
        return b""
    end = ptrs[-1] + len(p.mem.read_cstr(ptrs[-1], 1 << 17)) + 1
    return p.mem.read(ptrs[0], end - ptrs[0])


def _argc(p) -> int:
    return p.mem.read_u64(p.rsp0)


def cmdline(p) -> bytes:
    return _strings_span(p, p.rsp0 + 8, _argc(p))


def environ(p) -> bytes:
    envp = p.rsp0 + 8 * (_argc(p) + 2)
    n = 0
    while p.mem.read_u64(envp + 8 * n):
        n += 1
    return _strings_span(p, envp, n)


def comm(p) -> bytes:
    """The task name: what prctl(PR_SET_NAME) set (p.comm, bytes), else the program's name,
    as execve sets it."""
    return p.task_name()


def maps(p) -> bytes:
    return p.mem.maps_text().encode()


def auxv(p) -> bytes:
    return loader.auxv_bytes(p.mem, p.rsp0)


def stat(p) -> bytes:
    """The host's line with the guest's name and code/stack/argument addresses."""
    with open("/proc/self/stat", "rb") as f:
        line = f.read()
    head, rest = line[: line.index(b" (")], line[line.rindex(b") ") + 2:]
    fields = rest.split()  # fields[0] is field 3 (state)
    img = p.image
    text = [s for s in img.plan.segments if s.prot & 4] or list(img.plan.segments)
    data = [s for s in img.plan.segments if s.prot & 2] or text
    argv0 = p.mem.read_u64(p.rsp0 + 8)
    envp = p.rsp0 + 8 * (_argc(p) + 2)
    env0 = p.mem.read_u64(envp)
    args, env = cmdline(p), environ(p)
    for field, value in ((26, img.base + text[0].vaddr), (27, img.base + text[0].vaddr + text[0].filesz),
                         (28, p.rsp0), (45, img.base + data[0].vaddr), (46, img.base + data[0].vaddr + data[0].filesz),
                         (47, p.brk_start), (48, argv0), (49, argv0 + len(args)), (50, env0), (51, env0 + len(env))):
        if len(fields) > field - 3:
            fields[field - 3] = str(value).encode()
    return head + b" (" + comm(p) + b") " + b" ".join(fields) + b"\n"


def status(p) -> bytes:
    with open("/proc/self/status", "rb") as f:
        text = f.read()
    return re.sub(rb"^Name:\t.*$", b"Name:\t" + comm(p), text, count=1, flags=re.M)


GENERATED = {b"maps": maps, b"auxv": auxv, b"cmdline": cmdline, b"environ": environ, b"stat": stat,
             b"status": status, b"comm": lambda p: comm(p) + b"\n"}


def _out_of_the_way(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, SCRATCH_FD)
    os.close(fd)
    return high


def open_virtual(p, path: bytes, flags: int, mode: int) -> int | None:
    """open/openat of one of our generated /proc files: the new fd, or None (not ours)."""
    entry = own_entry(path)
    if entry == b"exe":
        return host(NR["openat"], AT_FDCWD, os.fsencode(p.exe), flags, mode)
    make = GENERATED.get(entry)
    if make is None:
        return None
    if flags & O_ACCMODE != os.O_RDONLY or flags & (O_CREAT | O_TRUNC):
        return None  # let the host refuse (EACCES) exactly as it would
    data = make(p)
    mfd = os.memfd_create("proc-self-" + entry.decode(), os.MFD_CLOEXEC)
    mfd = _out_of_the_way(mfd)  # so the guest's fd is the lowest free one, as natively
    try:
        os.write(mfd, data)
        return host(NR["openat"], AT_FDCWD, f"/proc/self/fd/{mfd}".encode(), os.O_RDONLY | (flags & O_CLOEXEC))
    finally:
        os.close(mfd)
