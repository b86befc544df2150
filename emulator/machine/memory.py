"""AddressSpace: the guest's memory map over Unicorn.

Unicorn holds the bytes and enforces protections on the CPU; this module keeps the
Linux view beside it (one Vma per mapping: range, permissions, name), so that mmap can
place mappings, munmap/mprotect can split them, and /proc/self/maps can be printed.
Every guest pointer a syscall touches goes through read/write here, so a bad pointer
becomes GuestFault (and then -EFAULT) in exactly one place.

Guest pages live in host mmaps that we own (uc.mem_map_ptr; hostpages.py makes them), never
in Unicorn's own allocations: Unicorn copies a whole region to split it (an mprotect of one
page of the 8 GiB sparse mapping would touch 16 GiB), but it splits pointer-backed regions for
free. Owning the host pages also lets the host kernel do the real work: munmap releases RSS,
mremap moves page tables, MADV_DONTNEED zero-fills, and MAP_SHARED mappings (anonymous or
of a writable file) are really shared with the file and across fork.
"""

import bisect
import ctypes
import errno
import struct
from collections import namedtuple

from emulator.abi.constants import PROT_EXEC, PROT_READ, PROT_WRITE, TASK_SIZE
from emulator.errors import GuestFault
from emulator.machine.hostpages import PAGE, host_mmap, host_mremap, host_munmap, lowest_resident
from emulator.machine.unicorn_ffi import UC, UcError

# Where mmaps go when the guest gives no hint: top-down below the stack, as Linux does.
MMAP_TOP = 0x7FFF_F7FF_F000
MMAP_BOTTOM = 0x1_0000  # vm.mmap_min_addr


def page_down(x: int) -> int:
    return x & ~(PAGE - 1)


def page_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


def uc_prot(prot: int) -> int:
    """Linux PROT_* to Unicorn's; x86 has no write-only pages, so W implies R as on real hardware."""
    p = UC.UC_PROT_NONE
    if prot & (PROT_READ | PROT_WRITE | PROT_EXEC):
        p |= UC.UC_PROT_READ
    if prot & PROT_WRITE:
        p |= UC.UC_PROT_WRITE
    if prot & PROT_EXEC:
        p |= UC.UC_PROT_EXEC
    return p


_VMA_FIELDS = "start end prot name offset shared inode dev host fd_mode sigbus growsdown account"


class Vma(namedtuple("Vma", _VMA_FIELDS, defaults=("", 0, False, 0, "00:00", 0, -1, False, False, False))):
    """One mapping: a line of /proc/self/maps, plus where its bytes live on the host.

    start, end, prot; name: path, "[heap]", "[stack]" or "" for anonymous; offset: file offset
    of start (file mappings only); host: host address of start; fd_mode: O_ACCMODE of the fd a
    file mapping came from (mprotect's EACCES check); sigbus: file pages past the end of the
    file, any access is SIGBUS (BUS_ADRERR); growsdown: the stack's reserve below its initial
    pages (see merged()); account: Linux's VM_ACCOUNT, private and writable at some point
    (blocks merging). A named tuple, immutable like the frozen dataclass it was, but without
    @dataclass's start-up cost."""

    __slots__ = ()

    @property
    def is_file(self) -> bool:
        return self.inode != 0

    def piece(self, lo: int, hi: int, **changes) -> "Vma":
        """The part [lo, hi) of this mapping, with offsets and host address following along."""
        delta = lo - self.start
        return self._replace(start=lo, end=hi, offset=self.offset + delta if self.is_file else 0,
                       host=self.host + delta if self.host else 0, **changes)

    def joins(self, nxt: "Vma") -> bool:
        """Would Linux show this and the next mapping as one line (vma_merge)?"""
        return (self.end == nxt.start and self.prot == nxt.prot and self.name == nxt.name
                and self.shared == nxt.shared and self.inode == nxt.inode and self.dev == nxt.dev
                and self.account == nxt.account
                and (not self.is_file or self.offset + (self.end - self.start) == nxt.offset))

    def maps_line(self) -> str:
        perms = "".join(
            (
                "r" if self.prot & PROT_READ else "-",
                "w" if self.prot & PROT_WRITE else "-",
                "x" if self.prot & PROT_EXEC else "-",
                "s" if self.shared else "p",
            )
        )
        head = f"{self.start:08x}-{self.end:08x} {perms} {self.offset:08x} {self.dev} {self.inode}"
        return f"{head:<72} {self.name}".rstrip() + "\n" if self.name else head + " \n"


def _release(vmas: list) -> None:
    """When a Unicorn instance is closed (execve replaced it), free the host pages behind it.
    Only then: Unicorn must not outlive the pages it points at."""
    for v in vmas:
        host_munmap(v.host, v.end - v.start)
    vmas.clear()


class AddressSpace:
    """The guest's mappings: Unicorn's memory plus the Vma list that describes it."""

    def __init__(self, uc):
        self.uc = uc
        self.vmas: list[Vma] = []  # sorted by start, non-overlapping; never rebound (see _release)
        self._last: Vma | None = None  # the mapping the previous read/write hit (syscall buffers repeat)
        self._starts: list[int] = []  # vmas' start addresses, for bisect without a key function
        # Bytes of accessible (not PROT_NONE) mappings; on_growth() runs when they first pass
        # growth_mark, so that Unicorn's TLB can be sized to them (emulator/machine/tlb.py).
        self.accessible = 0
        self.growth_mark = 1 << 20
        self.on_growth = None
        uc.after_close(_release, self.vmas)

    # ----- the map -----------------------------------------------------------
    def find(self, addr: int) -> Vma | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.vmas[i].end:
            return self.vmas[i]
        return None

    def is_free(self, start: int, end: int) -> bool:
        return not self._overlapping(start, end)

    def find_free(self, length: int, hint: int = 0, low: int = MMAP_BOTTOM, high: int = MMAP_TOP) -> int | None:
        """Linux's top-down search: the hint if it is free, else the highest gap in [low, high) that fits."""
        length = page_up(length)
        if hint:
            hint = max(page_down(hint), MMAP_BOTTOM)
            if hint + length <= TASK_SIZE and self.is_free(hint, hint + length):
                return hint
        top = high
        for v in reversed(self.vmas):
            if v.start >= top:
                continue
            if v.end <= top and top - v.end >= length:
                return top - length if top - length >= low else None
            top = min(top, v.start)
        return top - length if top - length >= low else None

    def map(self, start: int, length: int, prot: int, name: str = "", *, host: int = 0, **info) -> Vma:
        """Map fresh zeroed pages at [start, start+length) (or the given host pages), replacing what was there."""
        start, end = page_down(start), page_up(start + length)
        size = end - start
        if not host:
            host = host_mmap(size)
        self.unmap(start, size)
        if prot & PROT_WRITE and not info.get("shared"):
            info.setdefault("account", True)
        try:
            self.uc.mem_map_ptr(start, size, UC.UC_PROT_NONE if info.get("sigbus") else uc_prot(prot), host)
        except UcError:
            host_munmap(host, size)
            raise OSError(errno.ENOMEM, "cannot map guest memory") from None
        vma = Vma(start, end, prot, name, host=host, **info)
        self._insert(vma)
        if prot & PROT_EXEC:
            self.forget_code(start, end)  # a previous mapping's code may still be translated
        return vma

    def map_file(self, start: int, length: int, prot: int, fd: int, offset: int, shared: bool,
                 name: str, inode: int, dev: str, file_size: int, fd_mode: int = -1,
                 host_shared: bool | None = None) -> Vma:
        """A view of host fd at offset. Pages past the end of the file are SIGBUS pages, as on Linux
        (host pages stay behind them, so elfemu itself can never take the SIGBUS)."""
        size = page_up(length)
        host_shared = shared if host_shared is None else host_shared
        in_file = size if fd < 0 else min(size, max(0, page_up(file_size - offset)))
        host = host_mmap(size, shared=host_shared and fd < 0)
        info = dict(shared=shared, inode=inode, dev=dev, fd_mode=fd_mode)
        try:
            if in_file and fd >= 0:
                host_mmap(in_file, fd, offset, host_shared, at=host)
            self.unmap(start, size)
            if in_file:
                self.map(start, in_file, prot, name, host=host, offset=offset, **info)
            if in_file < size:
                self.map(start + in_file, size - in_file, prot, name, host=host + in_file, offset=offset + in_file,
                         sigbus=True, **info)
            return self.find(start)
        except BaseException:
            host_munmap(host, size)
            raise

    def unmap(self, start: int, length: int) -> None:
        start, end = page_down(start), page_up(start + length)
        for v in self._overlapping(start, end):
            lo, hi = max(v.start, start), min(v.end, end)
            self.uc.mem_unmap(lo, hi - lo)
            host_munmap(v.host + (lo - v.start), hi - lo)
            self._remove(v)
            if v.start < lo:
                self._insert(v.piece(v.start, lo))
            if hi < v.end:
                self._insert(v.piece(hi, v.end))

    def protect(self, start: int, length: int, prot: int) -> bool:
        """mprotect: False when part of the range is unmapped (Linux says ENOMEM)."""
        start, end = page_down(start), page_up(start + length)
        if not self.covered(start, end):
            return False
        for v in self._overlapping(start, end):
            lo, hi = max(v.start, start), min(v.end, end)
            self.uc.mem_protect(lo, hi - lo, UC.UC_PROT_NONE if v.sigbus else uc_prot(prot))
            self._remove(v)
            if v.start < lo:
                self._insert(v.piece(v.start, lo))
            self._insert(v.piece(lo, hi, prot=prot, account=v.account or bool(prot & PROT_WRITE and not v.shared)))
            if hi < v.end:
                self._insert(v.piece(hi, v.end))
        if prot & PROT_EXEC:
            self.forget_code(start, end)
        return True

    def forget_code(self, start: int, end: int) -> None:
        """Drop Unicorn's translations of [start, end): bytes written straight into host pages
        (write() into a non-executable page that is made executable later) must be re-read."""
        self.uc.ctl_remove_cache(start, end)

    def resize(self, v: Vma, new_len: int, new_start: int | None = None) -> Vma:
        """mremap of the whole mapping v: grow or shrink it, moving it to new_start if given.
        The host kernel moves the pages (no copying); Unicorn is re-pointed at them."""
        new_len = page_up(new_len)
        old_len = v.end - v.start
        start = v.start if new_start is None else new_start
        if new_len <= old_len and start == v.start:
            self.unmap(v.start + new_len, old_len - new_len)
            return self.find(v.start)
        host = host_mremap(v.host, old_len, new_len)
        self.uc.mem_unmap(v.start, old_len)
        self._remove(v)
        self.unmap(start, new_len)  # MREMAP_FIXED replaces whatever was at the target
        nv = v._replace(start=start, end=start + new_len, host=host)
        self.uc.mem_map_ptr(start, new_len, UC.UC_PROT_NONE if v.sigbus else uc_prot(v.prot), host)
        self._insert(nv)
        return nv

    def alias(self, v: Vma, at: int, length: int, start: int) -> Vma:
        """mremap(old_size=0) of a shared mapping: the same pages once more, at start."""
        host = host_mremap(v.host + (at - v.start), 0, length)
        self.unmap(start, length)
        self.uc.mem_map_ptr(start, length, uc_prot(v.prot), host)
        nv = v.piece(at, at + length)
        nv = nv._replace(start=start, end=start + length, host=host)
        self._insert(nv)
        return nv

    def host_range(self, start: int, end: int):
        """(vma, host address, length) for each mapped piece of [start, end)."""
        for v in self._overlapping(start, end):
            lo, hi = max(v.start, start), min(v.end, end)
            yield v, v.host + (lo - v.start), hi - lo

    def covered(self, start: int, end: int) -> bool:
        pos = start
        for v in self._overlapping(start, end):
            if v.start > pos:
                return False
            pos = v.end
        return pos >= end

    def merged(self) -> list[Vma]:
        """The mappings as Linux shows them: adjacent compatible ones are one vma. The stack's
        reserve (mapped up front, so growth needs no fault handling) shows from the lowest page
        the guest has touched, which is where Linux's stack vma would have grown to."""
        out: list[Vma] = []
        for v in self.vmas:
            if v.growsdown:
                low = lowest_resident(v.host, v.end - v.start)
                if low is None:
                    continue
                v = v.piece(v.start + low, v.end)._replace(growsdown=False)
            if out and out[-1].joins(v):
                out[-1] = out[-1]._replace(end=v.end)
            else:
                out.append(v)
        return out

    def maps_text(self) -> str:
        return "".join(v.maps_line() for v in self.merged())

    def _overlapping(self, start: int, end: int) -> list[Vma]:
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        out = []
        for v in self.vmas[i:]:
            if v.start >= end:
                break
            if v.end > start:
                out.append(v)
        return out

    def _insert(self, vma: Vma) -> None:
        self._last = None
        i = bisect.bisect_right(self._starts, vma.start)
        self._starts.insert(i, vma.start)
        self.vmas.insert(i, vma)
        if vma.prot and not vma.growsdown:
            self.accessible += vma.end - vma.start
            self._check_growth()

    def watch_growth(self, callback) -> None:
        """Call callback() whenever the accessible bytes pass growth_mark (now, if they already have)."""
        self.on_growth = callback
        self._check_growth()

    def _check_growth(self) -> None:
        if self.accessible > self.growth_mark and self.on_growth is not None:
            self.on_growth()

    def _remove(self, vma: Vma) -> None:
        self._last = None  # its host pages may be about to go: never read through a stale Vma
        i = bisect.bisect_left(self._starts, vma.start)
        del self.vmas[i]
        del self._starts[i]
        if vma.prot and not vma.growsdown:
            self.accessible -= vma.end - vma.start

    # ----- guest memory access (the argint/argstr of this emulator) -----------
    def check(self, addr: int, size: int, write: bool = False) -> None:
        """Fault like copy_from_user/copy_to_user would, honouring the guest's permissions."""
        pos, end = addr, addr + size
        while pos < end:
            v = self.find(pos)
            if v is None:
                raise GuestFault(pos, write)
            if v.sigbus or not v.prot & (PROT_WRITE if write else PROT_READ | PROT_WRITE | PROT_EXEC):
                raise GuestFault(pos, write, mapped=True)
            pos = v.end

    def _vma_for(self, addr: int, size: int) -> Vma | None:
        """The one mapping holding all of [addr, addr+size), trying the last one used first."""
        v = self._last
        if v is None or not v.start <= addr or addr + size > v.end:
            v = self.find(addr)
            if v is None or addr + size > v.end:
                return None
            self._last = v
        return v

    def read(self, addr: int, size: int) -> bytes:
        if size <= 0:
            return b""
        v = self._vma_for(addr, size)
        if v is not None and v.prot and not v.sigbus and v.host:
            return ctypes.string_at(v.host + (addr - v.start), size)  # straight from the host pages
        self.check(addr, size)
        try:
            return bytes(self.uc.mem_read(addr, size))
        except UcError:
            raise GuestFault(addr) from None

    def write(self, addr: int, data: bytes) -> None:
        if not data:
            return
        v = self._vma_for(addr, len(data))
        # Executable pages go through Unicorn so that translated code is invalidated.
        if v is not None and v.prot & PROT_WRITE and not v.prot & PROT_EXEC and not v.sigbus and v.host:
            ctypes.memmove(v.host + (addr - v.start), bytes(data), len(data))
            return
        self.check(addr, len(data), write=True)
        try:
            self.uc.mem_write(addr, bytes(data))
        except UcError:
            raise GuestFault(addr, write=True) from None

    def poke(self, addr: int, data: bytes) -> None:
        """Write ignoring page permissions, as ptrace and the loader may."""
        try:
            self.uc.mem_write(addr, bytes(data))
        except UcError:
            raise GuestFault(addr, write=True) from None

    def read_cstr(self, addr: int, limit: int = 4096) -> bytes:
        """A NUL-terminated string, read a page at a time so it may end just before unmapped memory."""
        out = bytearray()
        while len(out) < limit:
            chunk = min(PAGE - (addr % PAGE), limit - len(out))
            data = self.read(addr, chunk)
            nul = data.find(b"\0")
            if nul >= 0:
                return bytes(out + data[:nul])
            out += data
            addr += chunk
        return bytes(out)

    def read_u64(self, addr: int) -> int:
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def write_u64(self, addr: int, value: int) -> None:
        self.write(addr, struct.pack("<Q", value & 0xFFFF_FFFF_FFFF_FFFF))

    def read_ptr_array(self, addr: int, limit: int = 0x10000) -> list[int]:
        """A NULL-terminated array of pointers (argv, envp)."""
        out = []
        while len(out) < limit:
            p = self.read_u64(addr + 8 * len(out))
            if p == 0:
                return out
            out.append(p)
        return out
