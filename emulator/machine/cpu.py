"""Fast register access for the syscall path.

A general reg_read costs about 1 us per register; a syscall needs seven. Reading them with one
raw uc_reg_read_batch call is several times cheaper, which is what makes 200k+ syscalls/s
possible. Everything else may use Uc.reg_read/reg_write as usual.
"""

import ctypes
import struct

from emulator.machine.unicorn_ffi import Uc, lib
from emulator.machine.unicorn_ffi import x86_const as X

# The syscall ABI: rax holds the number; rdi, rsi, rdx, r10, r8, r9 the arguments.
SYSCALL_REGS = (X.UC_X86_REG_RAX, X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX,
                X.UC_X86_REG_R10, X.UC_X86_REG_R8, X.UC_X86_REG_R9)

_RAX = X.UC_X86_REG_RAX
_unpack7 = struct.Struct("<7Q").unpack_from

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
        n = len(SYSCALL_REGS)
        self._ids = (ctypes.c_int * n)(*SYSCALL_REGS)
        self._vals = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(self._vals)
        self._ptrs = (ctypes.c_void_p * n)(*[base + 8 * i for i in range(n)])
        self._rax = ctypes.c_uint64(0)
        self._rax_ref = ctypes.byref(self._rax)
        self._handle = uc.handle
        # Prototype-free entry points: ctypes' per-call argument conversion costs more than the call.
        self._read_batch = lib.uc_reg_read_batch
        self._write = lib.uc_reg_write

    def syscall_regs(self) -> tuple[int, ...]:
        """(nr, a0, a1, a2, a3, a4, a5) as unsigned 64-bit values."""
        self._read_batch(self._handle, self._ids, self._ptrs, 7)
        return _unpack7(self._vals)

    def on_syscall(self, fn, arg) -> None:
        """Call fn(arg) at every `syscall` instruction; exceptions come out of emu_start."""
        self.uc.hook_syscall(fn, arg)

    def set_rax(self, value: int) -> None:
        self._rax.value = value & 0xFFFF_FFFF_FFFF_FFFF
        self._write(self._handle, _RAX, self._rax_ref)

    def __getitem__(self, name: str) -> int:
        return self.uc.reg_read(REG_IDS[name])

    def __setitem__(self, name: str, value: int) -> None:
        self.uc.reg_write(REG_IDS[name], value & 0xFFFF_FFFF_FFFF_FFFF)

    def reset_fpu(self) -> None:
        """The FPU as execve leaves it (Linux's fpstate_init): x87 control word 0x37f and MXCSR
        0x1f80, all exceptions masked. Unicorn starts both at 0."""
        self.uc.reg_write(X.UC_X86_REG_FPCW, 0x37F)
        self.uc.reg_write(X.UC_X86_REG_MXCSR, 0x1F80)

    def snapshot(self) -> dict[str, int]:
        return {name: self[name] for name in REG_IDS}
