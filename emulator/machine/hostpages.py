"""The host pages behind guest memory: elfemu's own mmaps, and what the host kernel does with them.

Guest pages live in host mappings elfemu makes itself and hands to Unicorn (uc.mem_map_ptr; see
memory.py for why). This module is the one place that calls the host's mmap family for them:
fresh zeroed pages or a view of a file, munmap, mremap (the kernel moves page tables instead of
copying), madvise, msync, and mincore (which pages are resident). All are MAP_NORESERVE: a guest's
8 GiB sparse reservation costs what it touches. Linux's commit accounting, which MAP_NORESERVE
turns off, is asked separately (commit_refused), where the guest's own kernel would apply it.
A failed call raises OSError with the host's errno.
"""

import ctypes
import errno
import mmap as _mmap
import os

PAGE = 0x1000
MAP_NORESERVE, MAP_FIXED_HOST, MREMAP_MAYMOVE = 0x4000, 0x10, 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mremap.restype = ctypes.c_void_p
_libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int]
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.msync.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
_MAP_FAILED = ctypes.c_void_p(-1).value
_HOST_PROT = _mmap.PROT_READ | _mmap.PROT_WRITE


def _check(ret, what: str):
    if ret is None or ret == _MAP_FAILED or (isinstance(ret, int) and ret < 0 and what != "mmap"):
        err = ctypes.get_errno() or errno.ENOMEM
        raise OSError(err, f"host {what}: {os.strerror(err)}")
    return ret


def host_mmap(length: int, fd: int = -1, offset: int = 0, shared: bool = False, at: int | None = None) -> int:
    """Fresh host pages (zeroed, or a view of fd at offset); always host-readable and writable."""
    flags = (_mmap.MAP_SHARED if shared else _mmap.MAP_PRIVATE) | MAP_NORESERVE
    if fd < 0:
        flags |= _mmap.MAP_ANONYMOUS
    if at is not None:
        flags |= MAP_FIXED_HOST
    return _check(_libc.mmap(at, length, _HOST_PROT, flags, fd, offset), "mmap")


def host_munmap(addr: int, length: int) -> None:
    if addr and length:
        _libc.munmap(addr, length)


def host_mremap(addr: int, old_len: int, new_len: int) -> int:
    """The same pages at new_len, moved wherever the host finds room (old_len 0: a second view)."""
    return _check(_libc.mremap(addr, old_len, new_len, MREMAP_MAYMOVE), "mremap")


def host_madvise(addr: int, length: int, advice: int) -> None:
    _check(_libc.madvise(addr, length, advice), "madvise")


def host_msync(addr: int, length: int, flags: int) -> None:
    _check(_libc.msync(addr, length, flags), "msync")


def lowest_resident(host: int, length: int) -> int | None:
    """Offset of the first host page in [host, host+length) that is resident, else None."""
    vec = ctypes.create_string_buffer(length // PAGE)
    if _libc.mincore(host, length, vec) != 0:
        return 0
    first = next((i for i, b in enumerate(vec.raw) if b & 1), None)
    return None if first is None else first * PAGE


def _meminfo() -> dict[str, int]:
    """/proc/meminfo in bytes."""
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            name, _, rest = line.partition(":")
            fields = rest.split()
            if fields:
                out[name] = int(fields[0]) * (1024 if fields[1:] == ["kB"] else 1)
    return out


def commit_refused(nbytes: int) -> bool:
    """Would Linux refuse to commit a private writable mapping of nbytes (__vm_enough_memory,
    mm/util.c; Documentation/mm/overcommit-accounting.rst)? Mode 0, the default heuristic, refuses
    one larger than RAM plus swap; mode 1 never refuses; mode 2 keeps to CommitLimit. elfemu's
    own host pages are MAP_NORESERVE, so without this check a huge bss would simply be mapped
    (or fail later for want of host address space) where Linux says ENOMEM."""
    try:
        with open("/proc/sys/vm/overcommit_memory") as f:
            mode = int(f.read())
        if mode == 1 or (mode == 0 and nbytes <= os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")):
            return False
        info = _meminfo()
    except (OSError, ValueError):
        return False
    if mode == 2:
        return nbytes > info.get("CommitLimit", 0) - info.get("Committed_AS", 0)
    return nbytes > info.get("MemTotal", 0) + info.get("SwapTotal", 0)
