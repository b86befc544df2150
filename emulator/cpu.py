"""Fast register access for the syscall path.

The Unicorn binding's reg_read costs about 4 us per register; a syscall needs seven.
Reading them with one raw uc_reg_read_batch call through ctypes is ~10x cheaper, which is
what makes 200k+ syscalls/s possible. Everything else may use the binding as usual.
"""

import ctypes

from unicorn import Uc
from unicorn import x86_const as X
from unicorn.unicorn_py3.unicorn import uclib

# The syscall ABI: rax holds the number; rdi, rsi, rdx, r10, r8, r9 the arguments.
SYSCALL_REGS = (X.UC_X86_REG_RAX, X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX,
                X.UC_X86_REG_R10, X.UC_X86_REG_R8, X.UC_X86_REG_R9)

# Names for the general registers, in gdb's order (used by the stepper, gdbstub and signal frames).
GPR_NAMES = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags")
REG_IDS = {name: getattr(X, f"UC_X86_REG_{name.upper()}") for name in GPR_NAMES}
REG_IDS.update(cs=X.UC_X86_REG_CS, ss=X.UC_X86_REG_SS, ds=X.UC_X86_REG_DS, es=X.UC_X86_REG_ES,
               fs=X.UC_X86_REG_FS, gs=X.UC_X86_REG_GS, fs_base=X.UC_X86_REG_FS_BASE,
               gs_base=X.UC_X86_REG_GS_BASE)


class Cpu:
    """The CPU half of a process: one Unicorn instance plus cheap syscall-register access."""

    def __init__(self, uc: Uc):
        self.uc = uc
        self._handle = uc._uch
        n = len(SYSCALL_REGS)
        self._ids = (ctypes.c_int * n)(*SYSCALL_REGS)
        self._vals = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(self._vals)
        self._ptrs = (ctypes.c_void_p * n)(*[base + 8 * i for i in range(n)])
        self._rax = ctypes.c_uint64(0)
        self._rax_ref = ctypes.byref(self._rax)
        self._read_batch = uclib.uc_reg_read_batch
        self._write = uclib.uc_reg_write

    def syscall_regs(self) -> tuple[int, ...]:
        """(nr, a0, a1, a2, a3, a4, a5) as unsigned 64-bit values."""
        self._read_batch(self._handle, self._ids, self._ptrs, 7)
        return tuple(self._vals)

    def set_rax(self, value: int) -> None:
        self._rax.value = value & 0xFFFF_FFFF_FFFF_FFFF
        self._write(self._handle, X.UC_X86_REG_RAX, self._rax_ref)

    def __getitem__(self, name: str) -> int:
        return self.uc.reg_read(REG_IDS[name])

    def __setitem__(self, name: str, value: int) -> None:
        self.uc.reg_write(REG_IDS[name], value & 0xFFFF_FFFF_FFFF_FFFF)

    def snapshot(self) -> dict[str, int]:
        return {name: self[name] for name in REG_IDS}
