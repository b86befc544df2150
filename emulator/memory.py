"""AddressSpace: the guest's memory map over Unicorn.

Unicorn holds the bytes and enforces protections on the CPU; this module keeps the
Linux view beside it (one Vma per mapping: range, permissions, name), so that mmap can
place mappings, munmap/mprotect can split them, and /proc/self/maps can be printed.
Every guest pointer a syscall touches goes through read/write here, so a bad pointer
becomes GuestFault (and then -EFAULT) in exactly one place.
"""

import bisect
import struct
from dataclasses import dataclass, replace

from unicorn import UcError
from unicorn.unicorn_const import UC_PROT_EXEC, UC_PROT_NONE, UC_PROT_READ, UC_PROT_WRITE

from syscalls.errors import GuestFault

PAGE = 0x1000
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
# Where anonymous mmaps go when the guest gives no hint: top-down below the stack, as Linux does.
MMAP_TOP = 0x7FFF_F7FF_F000
MMAP_BOTTOM = 0x1_0000
TASK_SIZE = 0x7FFF_FFFF_F000


def page_down(x: int) -> int:
    return x & ~(PAGE - 1)


def page_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


def uc_prot(prot: int) -> int:
    """Linux PROT_* to Unicorn's; x86 has no write-only pages, so W implies R as on real hardware."""
    p = UC_PROT_NONE
    if prot & (PROT_READ | PROT_WRITE | PROT_EXEC):
        p |= UC_PROT_READ
    if prot & PROT_WRITE:
        p |= UC_PROT_WRITE
    if prot & PROT_EXEC:
        p |= UC_PROT_EXEC
    return p


@dataclass(frozen=True)
class Vma:
    """One line of /proc/self/maps."""

    start: int
    end: int
    prot: int
    name: str = ""  # path, "[heap]", "[stack]" or "" for anonymous
    offset: int = 0
    shared: bool = False
    inode: int = 0
    dev: str = "00:00"

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


class AddressSpace:
    """The guest's mappings: Unicorn's memory plus the Vma list that describes it."""

    def __init__(self, uc):
        self.uc = uc
        self.vmas: list[Vma] = []  # sorted by start, non-overlapping

    # ----- the map -----------------------------------------------------------
    def find(self, addr: int) -> Vma | None:
        i = bisect.bisect_right([v.start for v in self.vmas], addr) - 1
        if i >= 0 and addr < self.vmas[i].end:
            return self.vmas[i]
        return None

    def is_free(self, start: int, end: int) -> bool:
        return all(v.end <= start or v.start >= end for v in self.vmas)

    def find_free(self, length: int, hint: int = 0) -> int | None:
        """Linux's top-down search: the hint if it is free, else the highest gap that fits."""
        length = page_up(length)
        if hint and page_down(hint) + length <= TASK_SIZE and self.is_free(page_down(hint), page_down(hint) + length):
            return page_down(hint)
        top = MMAP_TOP
        for v in reversed(self.vmas):
            if v.start >= top:
                continue
            if v.end <= top and top - v.end >= length:
                return top - length
            top = v.start
        return top - length if top - length >= MMAP_BOTTOM else None

    def map(self, start: int, length: int, prot: int, name: str = "", **info) -> Vma:
        """Map fresh zeroed pages at [start, start+length), replacing whatever was there."""
        start, end = page_down(start), page_up(start + length)
        self.unmap(start, end - start)
        self.uc.mem_map(start, end - start, uc_prot(prot))
        vma = Vma(start, end, prot, name, **info)
        self._insert(vma)
        return vma

    def unmap(self, start: int, length: int) -> None:
        start, end = page_down(start), page_up(start + length)
        for v in self._overlapping(start, end):
            lo, hi = max(v.start, start), min(v.end, end)
            self.uc.mem_unmap(lo, hi - lo)
            self._remove(v)
            if v.start < lo:
                self._insert(replace(v, end=lo))
            if hi < v.end:
                self._insert(replace(v, start=hi, offset=v.offset + (hi - v.start)))

    def protect(self, start: int, length: int, prot: int) -> bool:
        """mprotect: False when part of the range is unmapped (Linux says ENOMEM)."""
        start, end = page_down(start), page_up(start + length)
        if not self.covered(start, end):
            return False
        for v in self._overlapping(start, end):
            lo, hi = max(v.start, start), min(v.end, end)
            self.uc.mem_protect(lo, hi - lo, uc_prot(prot))
            self._remove(v)
            if v.start < lo:
                self._insert(replace(v, end=lo))
            self._insert(replace(v, start=lo, end=hi, prot=prot, offset=v.offset + (lo - v.start)))
            if hi < v.end:
                self._insert(replace(v, start=hi, offset=v.offset + (hi - v.start)))
        return True

    def covered(self, start: int, end: int) -> bool:
        pos = start
        for v in self._overlapping(start, end):
            if v.start > pos:
                return False
            pos = v.end
        return pos >= end

    def maps_text(self) -> str:
        return "".join(v.maps_line() for v in self.vmas)

    def _overlapping(self, start: int, end: int) -> list[Vma]:
        return [v for v in self.vmas if v.start < end and v.end > start]

    def _insert(self, vma: Vma) -> None:
        bisect.insort(self.vmas, vma, key=lambda v: v.start)

    def _remove(self, vma: Vma) -> None:
        self.vmas.remove(vma)

    # ----- guest memory access (the argint/argstr of this emulator) -----------
    def check(self, addr: int, size: int, write: bool = False) -> None:
        """Fault like copy_from_user/copy_to_user would, honouring the guest's permissions."""
        pos, end = addr, addr + size
        while pos < end:
            v = self.find(pos)
            if v is None:
                raise GuestFault(pos, write)
            if not v.prot & (PROT_WRITE if write else PROT_READ):
                raise GuestFault(pos, write, mapped=True)
            pos = v.end

    def read(self, addr: int, size: int) -> bytes:
        if size <= 0:
            return b""
        try:
            return bytes(self.uc.mem_read(addr, size))
        except UcError:
            self.check(addr, size)
            raise GuestFault(addr) from None

    def write(self, addr: int, data: bytes) -> None:
        if not data:
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
