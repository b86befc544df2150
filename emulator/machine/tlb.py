"""Sizing Unicorn's TLB to the guest's memory.

Unicorn (QEMU 5's softmmu) gives each CPU a 256-entry TLB -- 1 MiB of 4 KiB pages -- and
resizes it only when the whole TLB is flushed: a flush that finds more than 70% of the entries
in use doubles the table (tlb_mmu_resize_locked). A guest kernel flushes all the time; a
user-mode guest never does, so under elfemu the table stayed at 256 entries and a program with
a bigger working set missed on nearly every access (about 50 ns each): a memory-bound sieve over
20 MB spent half its time refilling the TLB.

So when the guest's accessible mappings outgrow what the TLB reaches, elfemu grows the table by
QEMU's own rule: it runs a loop that reads as many distinct pages as the table has entries, then
flushes, and repeats until the table covers the guest's memory (up to MAX_ENTRIES). The pages it
reads are a scratch mapping of zero pages that nothing else sees, made of transparent huge pages
where the host allows (one host fault per 2 MiB instead of per 4 KiB), and unmapped afterwards.
QEMU still shrinks the table itself when a later full flush finds it mostly idle.
"""

import os

from emulator.abi.constants import MADV_HUGEPAGE
from emulator.machine.hostpages import PAGE, host_madvise, host_mmap, host_munmap

FIRST_ENTRIES = 1 << 8  # CPU_TLB_DYN_DEFAULT_BITS
MAX_ENTRIES = 1 << 15  # 128 MiB of pages; a full flush then clears 1 MiB of table
HUGE = 2 << 20

# touch: mov al, [rdi]; add rdi, 0x1000; dec rcx; jnz touch; hlt   (stops at the hlt: `until`)
TOUCH_PAGES = bytes.fromhex("8a07 4881c700100000 48ffc9 75f2 f4")
TOUCH_END = len(TOUCH_PAGES) - 1


def entries_for(nbytes: int) -> int:
    """The TLB size that reaches nbytes of pages: a power of two, within Unicorn's bounds."""
    want = FIRST_ENTRIES
    while want * PAGE < nbytes and want < MAX_ENTRIES:
        want *= 2
    return want


class TlbSizer:
    """Grows one Unicorn instance's TLB as its guest maps more memory (see the module docstring)."""

    def __init__(self, proc):
        self.proc = proc
        # what elfemu last grew the table to; ELFEMU_TLB_GROW=0 (make bench's comparison) leaves it alone
        self.entries = MAX_ENTRIES if os.environ.get("ELFEMU_TLB_GROW") == "0" else FIRST_ENTRIES
        self.due = False

    def outgrown(self) -> None:
        """AddressSpace's growth callback, called from inside a syscall: stop the CPU after it so
        the run loop can grow the table (emu_stop on the CPU thread is safe). Not while a debugger
        holds the engine: its hooks would see the scratch loop run."""
        if self.proc.syscall_interposer is None and self.entries < MAX_ENTRIES:
            self.due = True
            self.proc.uc.emu_stop()

    def grow(self) -> None:
        """Between two emu_start calls: grow the table to reach the guest's accessible memory."""
        self.due = False
        mem, uc = self.proc.mem, self.proc.uc
        want = entries_for(mem.accessible)
        if want <= self.entries:
            return
        data_len = want // 2 * PAGE  # the last round reads want/2 pages and doubles the table to want
        base = mem.find_free(PAGE + data_len)
        if base is None:
            return
        code_host = host_mmap(PAGE)
        data_host = host_mmap(data_len + HUGE)
        aligned = (data_host + HUGE - 1) & ~(HUGE - 1)
        saved = uc.context_save()
        try:
            try:
                host_madvise(aligned, data_len, MADV_HUGEPAGE)
            except OSError:
                pass  # no transparent huge pages here: the same, with more host faults
            uc.mem_map_ptr(base, PAGE, 5, code_host)  # UC_PROT_READ | UC_PROT_EXEC
            uc.mem_map_ptr(base + PAGE, data_len, 1, aligned)  # UC_PROT_READ
            uc.mem_write(base, TOUCH_PAGES)
            while self.entries < want and self._touch(uc, base, self.entries):
                uc.ctl_flush_tlb()
                self.entries *= 2
        finally:
            uc.mem_unmap(base, PAGE + data_len)
            uc.ctl_remove_cache(base, base + PAGE)
            uc.ctl_flush_tlb()  # no scratch page may stay translated
            uc.context_restore(saved)
            host_munmap(code_host, PAGE)
            host_munmap(data_host, data_len + HUGE)
        mem.growth_mark = self.entries * PAGE

    @staticmethod
    def _touch(uc, base: int, pages: int) -> bool:
        """Read `pages` distinct scratch pages; False if something (a signal) stopped the loop early."""
        from emulator.machine.cpu import REG_IDS

        uc.reg_write(REG_IDS["rdi"], base + PAGE)
        uc.reg_write(REG_IDS["rcx"], pages)
        uc.emu_start(base, base + TOUCH_END)
        return uc.reg_read(REG_IDS["rcx"]) == 0
