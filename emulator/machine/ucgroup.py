"""One address space seen by several Unicorn instances: the CPUs of a guest's threads.

Each guest thread runs on its own Unicorn instance (docs/ARCHITECTURE.md, Threads), and every instance maps the
same host pages (guest memory lives in host mmaps elfemu owns: memory.py). So the bytes are shared
for free; what is not shared is each instance's view of the map: its regions, their protections
and its translated code. UcGroup stands where AddressSpace keeps its `uc` and sends every change of
the map (mem_map_ptr, mem_unmap, mem_protect, ctl_remove_cache) to all instances, so a thread's
mmap, munmap, mprotect or brk reaches the others before they next run: only one guest thread runs
at a time (the baton, emulator/task/threads.py), and the one that changes the map holds it.

Reads and writes through Unicorn go to one instance (the pages are the same); a write may land on
translated code, so the others forget their translations of the range (QEMU's
tb_invalidate_phys_range, which uc_mem_write runs only in the instance it was called on).
"""

from emulator.machine.memory import PAGE, page_down, page_up, uc_prot
from emulator.machine.unicorn_ffi import UC


class UcGroup:
    """The Unicorn instances of one thread group, behind the few calls AddressSpace makes."""

    def __init__(self, first):
        self.members = [first]  # every live thread's Unicorn instance; members[0] serves reads and writes

    def add(self, uc, vmas) -> None:
        """A new thread's instance: give it the current map (one region per Vma, as AddressSpace made them)."""
        for v in vmas:
            uc.mem_map_ptr(v.start, v.end - v.start, UC.UC_PROT_NONE if v.sigbus else uc_prot(v.prot), v.host)
        self.members.append(uc)

    def remove(self, uc) -> None:
        if uc in self.members and len(self.members) > 1:
            self.members.remove(uc)

    # ----- the map: every instance ------------------------------------------------
    def mem_map_ptr(self, start: int, size: int, prot: int, host: int) -> None:
        for uc in self.members:
            uc.mem_map_ptr(start, size, prot, host)

    def mem_unmap(self, start: int, size: int) -> None:
        for uc in self.members:
            uc.mem_unmap(start, size)

    def mem_protect(self, start: int, size: int, prot: int) -> None:
        for uc in self.members:
            uc.mem_protect(start, size, prot)

    def ctl_remove_cache(self, begin: int, end: int) -> None:
        for uc in self.members:
            uc.ctl_remove_cache(begin, end)

    # ----- the bytes: one instance ------------------------------------------------
    def mem_read(self, addr: int, size: int):
        return self.members[0].mem_read(addr, size)

    def mem_write(self, addr: int, data: bytes) -> None:
        self.members[0].mem_write(addr, data)
        for uc in self.members[1:]:
            uc.ctl_remove_cache(page_down(addr), page_up(addr + len(data)) or PAGE)
