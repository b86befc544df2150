"""The stopped guest's registers and memory, as the stepper and gdb read and write them (a Debugger mixin).

Register names are gdb's amd64-linux ones: rax..r15, rip, eflags, the selectors (Unicorn leaves
cs and ss 0; Linux user mode has 0x33 and 0x2b), fs_base/gs_base, x87 (st0..st7 as 80-bit
ints, fctrl..fop), SSE (xmm0..xmm15, mxcsr) and orig_rax, which ptrace shows as the number of
the syscall being made (-1 elsewhere). At a caught syscall's entry stop RIP and RAX read as
ptrace shows them there. Every write is an edit the history must pin (History._edited).
"""

import errno

from emulator.machine.cpu import REG_IDS
from emulator.machine.unicorn_ffi import x86_const as X

REG_IDS = dict(REG_IDS)
REG_IDS.update({f"st{i}": getattr(X, f"UC_X86_REG_FP{i}") for i in range(8)})
REG_IDS.update({f"xmm{i}": getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16)})
REG_IDS.update(fctrl=X.UC_X86_REG_FPCW, fstat=X.UC_X86_REG_FPSW, ftag=X.UC_X86_REG_FPTAG,
               fiseg=X.UC_X86_REG_FCS, fioff=X.UC_X86_REG_FIP, foseg=X.UC_X86_REG_FDS,
               fooff=X.UC_X86_REG_FDP, fop=X.UC_X86_REG_FOP, mxcsr=X.UC_X86_REG_MXCSR)
REGISTER_NAMES = tuple(REG_IDS) + ("orig_rax",)
LINUX_SELECTORS = {"cs": 0x33, "ss": 0x2B}


def uc_register(uc, name: str) -> int:
    """A register of one Unicorn instance as gdb and the stepper show it."""
    v = uc.reg_read(REG_IDS[name])
    if not v and name in LINUX_SELECTORS:  # Unicorn leaves them 0; show what Linux user mode has
        return LINUX_SELECTORS[name]
    if isinstance(v, tuple):  # x87: (mantissa, exponent) -> one 80-bit int
        v = v[0] | (v[1] << 64)
    return v


class GuestState:
    """Expects Debugger's proc, _uc, orig_rax, _entry_view, _blocks and History._edited."""

    @property
    def pc(self) -> int:
        return self.proc.pc

    def read_register(self, name: str) -> int:
        if name == "orig_rax":
            return self.orig_rax & 0xFFFF_FFFF_FFFF_FFFF
        if self._entry_view is not None and name in ("rip", "rax"):
            # At a syscall-entry stop ptrace shows RIP past the instruction and RAX = -ENOSYS (the
            # number is in orig_rax); here the instruction itself is still to run.
            return self.proc.pc + 2 if name == "rip" else -errno.ENOSYS & 0xFFFF_FFFF_FFFF_FFFF
        if name == "rip":
            return self.proc.pc
        return uc_register(self._uc, name)

    def threads(self) -> list:
        """The process's threads, leader first (one until the program makes a second: threads.py)."""
        group = self.proc.group
        if group is None:
            return [self.proc]
        with group.lock:
            return [self.proc, *(t for t in group.tasks.values() if t is not self.proc)]

    def thread_register(self, task, name: str) -> int:
        """A register of another thread, as it stands while the leader is stopped (the others
        wait for the baton: all-stop). Its orig_rax is not tracked: -1, as ptrace shows outside a call."""
        if task is self.proc:
            return self.read_register(name)
        if name == "orig_rax":
            return 0xFFFF_FFFF_FFFF_FFFF
        return uc_register(task.uc, name)

    def write_register(self, name: str, value: int) -> None:
        if name == "orig_rax":
            self.orig_rax = value
            return
        rid = REG_IDS[name]
        if name.startswith("st"):
            self._uc.reg_write(rid, (value & (2**64 - 1), (value >> 64) & 0xFFFF))
        elif name.startswith("xmm"):
            self._uc.reg_write(rid, value & (2**128 - 1))
        else:
            self._uc.reg_write(rid, value & 0xFFFF_FFFF_FFFF_FFFF)
        if name == "rip":
            self.proc.pc = value
            self._entry_view = None  # execution moved away: the caught syscall will not run
        self._edited()

    def registers(self) -> dict[str, int]:
        return {name: self.read_register(name) for name in REGISTER_NAMES}

    def read_memory(self, addr: int, n: int) -> bytes:
        """Raises GuestFault for unmapped memory (permissions are ignored, as for ptrace)."""
        return self.proc.mem.read(addr, n)

    def write_memory(self, addr: int, data: bytes) -> None:
        """Write even into read-only text, as ptrace does; stale translated code is dropped."""
        self.proc.mem.poke(addr, data)
        self._uc.ctl_remove_cache(addr, addr + max(1, len(data)))
        self._blocks.clear()
        self._edited()
