"""Snapshots and syscall record/replay: what makes reverse execution deterministic.

A Snapshot holds everything that execution can change: the CPU context (uc.context_save),
the Vma list (mappings come and go with mmap/munmap/brk) and the bytes of every mapping,
split into pages and shared with the previous snapshot when unchanged, so a mostly idle
8 MiB stack costs one page of memory per snapshot. restore() rebuilds Unicorn's mappings to
match the saved Vma list and writes the bytes back.

A SyscallRecord holds what one system call did to the guest: the register context after
it, the bytes the kernel wrote into guest memory, the mapping changes, the program break,
and whether it ended the process. Re-executing forwards through the recorded past replays
these instead of asking the host again, so nothing is printed or read twice.
"""

import ctypes
from dataclasses import dataclass, field

from emulator.machine.memory import PAGE

ZERO_PAGE = bytes(PAGE)
BIG_MAPPING = 256 << 20


@dataclass
class Snapshot:
    icount: int
    context: object  # UcContext
    vmas: list
    pages: dict  # page address -> bytes
    brk: tuple  # (brk_start, brk_cur)
    pc: int
    edit: bool = False  # taken because the user changed state here (must be restored on crossing)


def _key(v) -> object:
    """A Vma without its host address: what must match for the bytes to be restorable in place."""
    return v._replace(host=0)


def take(proc, icount: int, previous: "Snapshot | None" = None, pc: int = 0, edit: bool = False) -> Snapshot:
    """Capture the process state; pages equal to the previous snapshot's are shared, not copied."""
    old = previous.pages if previous is not None else {}
    pages = {}
    for v in proc.mem.vmas:
        size = v.end - v.start
        if size > BIG_MAPPING or not v.host:
            continue  # huge sparse mappings (mmap8g) are not snapshotted
        data = ctypes.string_at(v.host, size)
        for off in range(0, size, PAGE):
            addr = v.start + off
            page = data[off:off + PAGE]
            prev = old.get(addr)
            if prev is not None and prev == page:
                pages[addr] = prev
            elif page == ZERO_PAGE:
                pages[addr] = ZERO_PAGE
            else:
                pages[addr] = page
    return Snapshot(icount, proc.uc.context_save(), [_key(v) for v in proc.mem.vmas], pages,
                    (proc.brk_start, proc.brk_cur), pc, edit)


def set_mappings(proc, vmas: list) -> None:
    """Make the mappings equal `vmas` (host addresses ignored); new mappings start zeroed."""
    mem = proc.mem
    want = {(v.start, v.end): v for v in vmas}
    for v in list(mem.vmas):
        if want.get((v.start, v.end)) != _key(v):
            mem.unmap(v.start, v.end - v.start)
    have = {(v.start, v.end) for v in mem.vmas}
    for v in vmas:
        if (v.start, v.end) not in have:
            info = {f: getattr(v, f) for f in v._fields if f not in ("start", "end", "prot", "name", "host")}
            mem.map(v.start, v.end - v.start, v.prot, v.name, **info)


def restore(proc, snap: Snapshot) -> None:
    """Put the process back into the snapshot's state (registers, mappings, memory, brk)."""
    set_mappings(proc, snap.vmas)
    pages = snap.pages
    for v in proc.mem.vmas:
        if v.start in pages:
            ctypes.memmove(v.host, b"".join(pages[a] for a in range(v.start, v.end, PAGE)), v.end - v.start)
    uc = proc.uc
    uc.context_restore(snap.context)
    proc.brk_start, proc.brk_cur = snap.brk
    proc.pc = snap.pc
    uc.ctl_flush_tb()  # code bytes may differ from what was translated


@dataclass
class SyscallRecord:
    """One recorded system call, keyed by the instruction count of its `syscall` instruction."""

    context: object = None  # UcContext after the call (inside the hook: RIP quirk included)
    writes: list = field(default_factory=list)  # [(addr, bytes)] in order
    vmas: list | None = None  # the mapping list after the call, when it changed
    new_pages: list = field(default_factory=list)  # [(addr, page)] non-zero pages of new/changed mappings
    brk: tuple = (0, 0)
    exit: BaseException | None = None  # ProcessExit/ProcessKilled raised by the call


class Recorder:
    """Capture a live syscall's side effects by wrapping the AddressSpace's write paths."""

    def __init__(self, proc):
        self.proc = proc
        self.rec: SyscallRecord | None = None

    def run(self, dispatch_fn) -> SyscallRecord:
        proc = self.proc
        mem = proc.mem
        rec = self.rec = SyscallRecord()
        before = list(mem.vmas)
        orig_write, orig_poke = mem.write, mem.poke

        def write(addr, data):
            orig_write(addr, data)
            rec.writes.append((addr, bytes(data)))

        def poke(addr, data):
            orig_poke(addr, data)
            rec.writes.append((addr, bytes(data)))

        mem.write, mem.poke = write, poke
        try:
            dispatch_fn()
        except BaseException as exc:
            rec.exit = exc
            raise
        finally:
            del mem.write, mem.poke
            self._finish(rec, before)
        return rec

    def _finish(self, rec: SyscallRecord, before: list) -> None:
        proc = self.proc
        if proc.mem.vmas != before:
            rec.vmas = [_key(v) for v in proc.mem.vmas]
            old = {_key(v) for v in before}
            for v in proc.mem.vmas:  # the bytes of every new or changed mapping, zero pages left out
                if _key(v) not in old and v.host and v.end - v.start <= BIG_MAPPING:
                    data = ctypes.string_at(v.host, v.end - v.start)
                    for off in range(0, len(data), PAGE):
                        if data[off:off + PAGE] != ZERO_PAGE:
                            rec.new_pages.append((v.start + off, data[off:off + PAGE]))
        rec.brk = (proc.brk_start, proc.brk_cur)
        rec.context = proc.uc.context_save()


def replay(proc, rec: SyscallRecord) -> None:
    """Apply a recorded call's effects instead of executing it (called inside the syscall hook)."""
    uc = proc.uc
    if rec.vmas is not None:
        set_mappings(proc, rec.vmas)
        for addr, data in rec.new_pages:
            proc.mem.poke(addr, data)
    for addr, data in rec.writes:
        proc.mem.poke(addr, data)
    proc.brk_start, proc.brk_cur = rec.brk
    if rec.context is not None:
        uc.context_restore(rec.context)
    if rec.exit is not None:
        raise rec.exit
