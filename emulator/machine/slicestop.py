"""Stopping a running CPU from another host thread, safely: a flag its own block hook reads.

uc_emu_stop from another thread is not safe in Unicorn 2.1.4: measured here, two guest threads
each doing 1,000,000 `lock xadd` increments, stopped every 50 ms from a slicer thread, ended
with 2,000,004 (unicorn#1355: the interrupted instruction runs again). uc_emu_stop from inside
a hook, on the CPU's own thread, is the path Unicorn's own `count` and elfemu's stepper use.

So a thread that must give up the CPU is asked through a flag: a UC_HOOK_BLOCK hook tests it at
the start of every translated block and, when it is set, clears it and tail-calls uc_emu_stop
on its own thread. The hook is native code (13 instructions written into an executable host
page, below), not a Python callback: a Python block hook costs ~1 us per block, and Unicorn's
`count` (a per-instruction hook) made a compute loop ~57x slower; this one costs a call and a
load per block. It is installed only once a process has a second thread.

    mov eax, [rcx]        ; rcx: user_data, the flag's address (SysV: uc, address, size, user_data)
    test eax, eax
    jnz stop
    ret
stop:
    mov dword [rcx], 0
    movabs rax, uc_emu_stop
    jmp rax               ; rdi is still uc: uc_emu_stop(uc)
"""

import ctypes
import mmap
import struct

from emulator.machine.unicorn_ffi import UC_HOOK_BLOCK, lib

_code: mmap.mmap | None = None  # the hook's machine code, made once per host process


def _hook_address() -> int:
    global _code
    if _code is None:
        stop = ctypes.cast(lib.uc_emu_stop, ctypes.c_void_p).value
        code = (bytes.fromhex("8b01 85c0 7501 c3 c70100000000 48b8") + struct.pack("<Q", stop)
                + bytes.fromhex("ffe0"))
        _code = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        _code.write(code)
    return ctypes.addressof(ctypes.c_char.from_buffer(_code))


class SliceStop:
    """One CPU's stop request: request() from any thread; the CPU stops at its next block."""

    def __init__(self, uc):
        self.flag = ctypes.c_int(0)  # set by request(), cleared by the hook as it stops the CPU
        self.hook = uc.hook_native(UC_HOOK_BLOCK, _hook_address(), ctypes.addressof(self.flag))

    def request(self) -> None:
        self.flag.value = 1

    def clear(self) -> None:
        self.flag.value = 0
