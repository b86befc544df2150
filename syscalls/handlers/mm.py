"""Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync, mincore, mlock*.

Argument checks follow mm/mmap.c and mm/mremap.c in their order, so the errno is Linux's.
The pages themselves are host mmaps (see emulator/machine/memory.py): MAP_SHARED is real sharing
for anonymous memory and for files opened read-write; a shared mapping of a read-only fd
is a private view (the guest cannot write it anyway). As on Linux, the pages of a file mapping
past the end of the file are SIGBUS (BUS_ADRERR) to the CPU and EFAULT to a syscall; the rest
of the file's last page reads as zeros (AddressSpace.map_file).
"""

import errno
import fcntl
import os
import stat

from emulator.abi.constants import (
    MADV_DONTNEED,
    MADV_FREE,
    MADV_REMOVE,
    MAP_32BIT,
    MAP_ANONYMOUS,
    MAP_DENYWRITE,
    MAP_EXECUTABLE,
    MAP_FIXED,
    MAP_FIXED_NOREPLACE,
    MAP_GROWSDOWN,
    MAP_HUGETLB,
    MAP_LOCKED,
    MAP_NONBLOCK,
    MAP_NORESERVE,
    MAP_POPULATE,
    MAP_PRIVATE,
    MAP_SHARED,
    MAP_SHARED_VALIDATE,
    MAP_STACK,
    MAP_SYNC,
    MAP_TYPE,
    MAP_UNINITIALIZED,
    MCL_CURRENT,
    MCL_FUTURE,
    MCL_ONFAULT,
    MREMAP_DONTUNMAP,
    MREMAP_FIXED,
    MREMAP_MAYMOVE,
    MS_ASYNC,
    MS_INVALIDATE,
    MS_SYNC,
    O_ACCMODE,
    O_RDWR,
    O_WRONLY,
    PROT_GROWSDOWN,
    PROT_GROWSUP,
    PROT_SEM,
)
from emulator.errors import SyscallError
from emulator.machine.hostpages import host_madvise, host_msync
from emulator.machine.memory import PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, TASK_SIZE, page_up
from emulator.task.limits import RLIM_INFINITY, RLIMIT_AS

LEGACY_MAP_MASK = (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE
                   | MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE
                   | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT | 0xFC000000)  # + hugetlb size bits
MADV_OK = {0, 1, 2, 3, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25}  # accepted, no effect
LOW_2G = 0x8000_0000
SHMEM_DEV = "00:01"


def brk(p, addr):
    """Move the program break; like Linux, a failed move returns the old break, never -errno.
    The heap stays one mapping (grown by host mremap), so /proc/self/maps shows one [heap]."""
    if addr < p.brk_start:
        return p.brk_cur
    old_end, new_end = page_up(p.brk_cur), page_up(addr)
    if new_end > TASK_SIZE:
        return p.brk_cur
    if new_end > old_end:
        if not p.mem.is_free(old_end, new_end):
            return p.brk_cur
        heap = p.mem.find(old_end - 1) if old_end > page_up(p.brk_start) else None
        if heap is not None and heap.name == "[heap]" and heap.end == old_end:
            p.mem.resize(heap, new_end - heap.start)
        else:
            p.mem.map(old_end, new_end - old_end, PROT_READ | PROT_WRITE, "[heap]")
    elif new_end < old_end:
        p.mem.unmap(new_end, old_end - new_end)
    p.brk_cur = addr
    return addr


def _check_prot(prot: int) -> None:
    if prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP):
        raise SyscallError(errno.EINVAL)


def _placement(p, addr: int, length: int, flags: int) -> int:
    """get_unmapped_area: where a new mapping of `length` bytes goes (ENOMEM if nowhere)."""
    if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
        if addr % PAGE:
            raise SyscallError(errno.EINVAL)
        if addr + length > TASK_SIZE:
            raise SyscallError(errno.ENOMEM)
        if addr < _mmap_min_addr() and os.geteuid() != 0:  # root has CAP_SYS_RAWIO
            raise SyscallError(errno.EPERM)
        if flags & MAP_FIXED_NOREPLACE and not flags & MAP_FIXED and not p.mem.is_free(addr, addr + length):
            raise SyscallError(errno.EEXIST)
        return addr
    if flags & MAP_32BIT:
        where = p.mem.find_free(length, 0, 0x4000_0000, LOW_2G)
    else:
        where = p.mem.find_free(length, addr if addr + length <= TASK_SIZE else 0)
    if where is None:
        raise SyscallError(errno.ENOMEM)
    return where


def mmap(p, addr, length, prot, flags, fd, offset):
    """do_mmap: anonymous or file-backed, private or shared, with Linux's argument checks."""
    offset &= 0xFFFF_FFFF_FFFF_FFFF
    if offset % PAGE:
        raise SyscallError(errno.EINVAL)
    if not flags & MAP_ANONYMOUS and offset > (1 << 63):
        raise SyscallError(errno.EOVERFLOW)
    if length == 0:
        raise SyscallError(errno.EINVAL)
    size = page_up(length)
    if size == 0 or size > TASK_SIZE:
        raise SyscallError(errno.ENOMEM)
    kind = flags & MAP_TYPE
    if kind not in (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE):
        raise SyscallError(errno.EINVAL)
    if kind == MAP_SHARED_VALIDATE and flags & ~(LEGACY_MAP_MASK | MAP_SYNC | MAP_FIXED_NOREPLACE):
        raise SyscallError(errno.EOPNOTSUPP)
    if flags & MAP_SYNC and kind != MAP_SHARED_VALIDATE:
        flags &= ~MAP_SYNC
    if flags & MAP_HUGETLB:
        raise SyscallError(errno.ENOMEM if flags & MAP_ANONYMOUS else errno.EINVAL)  # no huge pages reserved
    shared = kind != MAP_PRIVATE
    if flags & MAP_ANONYMOUS:
        start = _placement(p, addr, size, flags)
        _check_rlimit_as(p, size, start)
        if shared:
            vma = p.mem.map_file(start, size, prot & 7, -1, 0, True, "/dev/zero (deleted)", _shmem_inode(),
                                 SHMEM_DEV, size)
        else:
            vma = p.mem.map(start, size, prot & 7)  # MAP_GROWSDOWN: accepted, does not grow
        return vma.start
    host_fd = p.fds.host(fd)
    st = os.fstat(host_fd)
    mode = _fd_mode(host_fd)
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISBLK(st.st_mode) or stat.S_ISCHR(st.st_mode)):
        raise SyscallError(errno.ENODEV)
    if mode == O_WRONLY:
        raise SyscallError(errno.EACCES)
    if shared and prot & PROT_WRITE and mode != O_RDWR:
        raise SyscallError(errno.EACCES)
    if stat.S_ISCHR(st.st_mode):
        return _map_char_device(p, addr, size, prot, flags, host_fd, st)
    start = _placement(p, addr, size, flags)
    _check_rlimit_as(p, size, start)
    name = _fd_path(host_fd)
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}"
    # A shared mapping of a read-only fd is a private view underneath; Linux still shows it as shared.
    p.mem.map_file(start, size, prot & 7, host_fd, offset, shared, name, st.st_ino, dev, st.st_size,
                   fd_mode=mode, host_shared=shared and mode == O_RDWR)
    return start


def _map_char_device(p, addr, size, prot, flags, host_fd, st):
    """/dev/zero maps as anonymous memory; other devices cannot be emulated."""
    if os.major(st.st_rdev) == 1 and os.minor(st.st_rdev) == 5:
        return mmap(p, addr, size, prot, (flags & ~0xF) | MAP_ANONYMOUS | (flags & MAP_TYPE), -1, 0)
    raise SyscallError(errno.ENODEV)


def _mmap_min_addr() -> int:
    try:
        with open("/proc/sys/vm/mmap_min_addr") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 0x10000


def _fd_mode(host_fd: int) -> int:
    return fcntl.fcntl(host_fd, fcntl.F_GETFL) & O_ACCMODE


def _fd_path(host_fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{host_fd}")
    except OSError:
        return ""


_shm_counter = [0]


def _shmem_inode() -> int:
    _shm_counter[0] += 1
    return 0x1000 + _shm_counter[0]


def _check_rlimit_as(p, size: int, start: int) -> None:
    limit = p.rlimits[RLIMIT_AS][0]
    if limit != RLIM_INFINITY and sum(v.end - v.start for v in p.mem.vmas) + size > limit:
        raise SyscallError(errno.ENOMEM)


def munmap(p, addr, length):
    if addr % PAGE or length == 0 or addr + length > TASK_SIZE:
        raise SyscallError(errno.EINVAL)
    p.mem.unmap(addr, length)
    return 0


def mprotect(p, addr, length, prot):
    if addr % PAGE:
        raise SyscallError(errno.EINVAL)
    _check_prot(prot)
    if prot & PROT_GROWSDOWN and prot & PROT_GROWSUP:
        raise SyscallError(errno.EINVAL)
    size = page_up(length)
    if addr + size < addr or addr + size > TASK_SIZE:
        raise SyscallError(errno.ENOMEM)
    if size == 0:
        return 0
    if not p.mem.covered(addr, addr + size):
        raise SyscallError(errno.ENOMEM)
    if prot & PROT_WRITE:
        for v in p.mem._overlapping(addr, addr + size):
            if v.shared and v.fd_mode >= 0 and v.fd_mode != O_RDWR:
                raise SyscallError(errno.EACCES)
    p.mem.protect(addr, size, prot & 7)
    return 0


def mremap(p, old_addr, old_len, new_len, flags, new_addr):
    """Grow, shrink or move one mapping; the host kernel moves the pages, so contents follow."""
    if flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) or old_addr % PAGE:
        raise SyscallError(errno.EINVAL)
    if flags & MREMAP_FIXED and not flags & MREMAP_MAYMOVE:
        raise SyscallError(errno.EINVAL)
    if flags & MREMAP_DONTUNMAP:
        raise SyscallError(errno.EINVAL)  # needs page-table tricks we do not model
    old_len, new_len = page_up(old_len), page_up(new_len)
    if new_len == 0 or new_len > TASK_SIZE:
        raise SyscallError(errno.EINVAL)
    vma = _one_vma(p, old_addr, old_len)
    if old_len == 0:  # a second mapping of the same shared pages
        if not vma.shared or not flags & MREMAP_MAYMOVE:
            raise SyscallError(errno.EINVAL if not vma.shared else errno.ENOMEM)
        where = new_addr if flags & MREMAP_FIXED else p.mem.find_free(new_len)
        if where is None:
            raise SyscallError(errno.ENOMEM)
        return p.mem.alias(vma, old_addr, new_len, where).start
    if flags & MREMAP_FIXED:
        if new_addr % PAGE:
            raise SyscallError(errno.EINVAL)
        if new_addr + new_len > TASK_SIZE:
            raise SyscallError(errno.EINVAL)
        if new_addr < old_addr + old_len and old_addr < new_addr + new_len:
            raise SyscallError(errno.EINVAL)
        vma = _isolate(p, vma, old_addr, old_len)
        p.mem.unmap(new_addr, new_len)
        return p.mem.resize(vma, new_len, new_addr).start
    if new_len <= old_len:
        p.mem.unmap(old_addr + new_len, old_len - new_len)
        return old_addr
    vma = _isolate(p, vma, old_addr, old_len)
    if vma.end == old_addr + old_len and p.mem.is_free(vma.end, vma.start + new_len) \
            and vma.start + new_len <= TASK_SIZE and vma.start == old_addr:
        return p.mem.resize(vma, new_len).start
    if not flags & MREMAP_MAYMOVE:
        raise SyscallError(errno.ENOMEM)
    where = p.mem.find_free(new_len)
    if where is None:
        raise SyscallError(errno.ENOMEM)
    return p.mem.resize(vma, new_len, where).start


def _one_vma(p, addr: int, length: int):
    """The mapping holding [addr, addr+length), which must lie in one vma as Linux sees it (else EFAULT)."""
    for v in p.mem.merged():
        if v.start <= addr < v.end:
            if addr + max(length, 1) > v.end:
                raise SyscallError(errno.EFAULT)
            return v
    raise SyscallError(errno.EFAULT)


def _isolate(p, merged_vma, addr: int, length: int):
    """Make [addr, addr+length) exactly one of our Vmas: split without copying when it lies in one,
    else (several host mappings behind one Linux vma) copy the pieces into one fresh mapping."""
    mem = p.mem
    end = addr + max(length, PAGE)
    pieces = mem._overlapping(addr, end)
    if len(pieces) == 1:
        mem.protect(addr, end - addr, pieces[0].prot)  # splits at the boundaries, nothing else
        return mem.find(addr)
    whole = pieces[0].piece(addr, end)
    data = bytes(mem.uc.mem_read(addr, end - addr))
    mem.unmap(addr, end - addr)
    nv = mem.map(addr, end - addr, whole.prot, whole.name, offset=whole.offset, shared=whole.shared,
                 inode=whole.inode, dev=whole.dev, fd_mode=whole.fd_mode)
    mem.poke(addr, data)
    return nv


def madvise(p, addr, length, advice):
    if addr % PAGE:
        raise SyscallError(errno.EINVAL)
    size = page_up(length)
    if advice not in MADV_OK and advice not in (MADV_DONTNEED, MADV_REMOVE):
        raise SyscallError(errno.EINVAL)
    if size == 0:
        return 0
    if not p.mem.covered(addr, addr + size):
        raise SyscallError(errno.ENOMEM)
    if advice in (MADV_DONTNEED, MADV_REMOVE, MADV_FREE):
        for v, host, n in list(p.mem.host_range(addr, addr + size)):
            if advice == MADV_REMOVE and not v.shared:
                raise SyscallError(errno.EINVAL)
            host_madvise(host, n, advice)
    return 0


def msync(p, addr, length, flags):
    if addr % PAGE or flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) or (flags & MS_ASYNC and flags & MS_SYNC):
        raise SyscallError(errno.EINVAL)
    size = page_up(length)
    if not p.mem.covered(addr, addr + size):
        raise SyscallError(errno.ENOMEM)
    for v, host, n in list(p.mem.host_range(addr, addr + size)):
        if v.shared and v.is_file:
            host_msync(host, n, flags or MS_ASYNC)
    return 0


def mincore(p, addr, length, vec):
    """Every mapped page reports resident: the guest cannot tell the difference that matters."""
    if addr % PAGE:
        raise SyscallError(errno.EINVAL)
    size = page_up(length)
    if addr + size > TASK_SIZE:
        raise SyscallError(errno.ENOMEM)
    if not p.mem.covered(addr, addr + size):
        raise SyscallError(errno.ENOMEM)
    p.mem.write(vec, b"\x01" * (size // PAGE))
    return 0


def mlock(p, addr, length):
    if not p.mem.covered(addr & ~(PAGE - 1), page_up(addr + length)):
        raise SyscallError(errno.ENOMEM)
    return 0


def mlock2(p, addr, length, flags):
    if flags & ~1:
        raise SyscallError(errno.EINVAL)
    return mlock(p, addr, length)


def munlock(p, addr, length):
    return mlock(p, addr, length)


def mlockall(p, flags):
    if not flags or flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) or flags == MCL_ONFAULT:
        raise SyscallError(errno.EINVAL)
    return 0


def munlockall(p):
    return 0
