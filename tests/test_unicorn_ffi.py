"""Our ctypes binding to libunicorn (emulator/machine/unicorn_ffi.py): the behaviour elfemu relies on."""

import ctypes
import subprocess
import sys

import pytest

from emulator.machine.hostpages import host_mmap, host_munmap
from emulator.machine.unicorn_ffi import (
    UC,
    UC_HOOK_BLOCK,
    UC_HOOK_CODE,
    UC_HOOK_INTR,
    UC_HOOK_MEM_WRITE,
    Uc,
    UcError,
)
from emulator.machine.unicorn_ffi import x86_const as X
from tests.conftest import ROOT

BASE = 0x10000
SYSCALL = b"\x0f\x05"
NOP = b"\x90"


@pytest.fixture
def machine():
    """A fresh engine with one RWX page at BASE backed by host memory; yields (uc, host address)."""
    uc = Uc()
    host = host_mmap(0x1000)
    uc.mem_map_ptr(BASE, 0x1000, UC.UC_PROT_ALL, host)
    yield uc, host
    uc.mem_unmap(BASE, 0x1000)
    host_munmap(host, 0x1000)


class Boom(Exception):
    pass


def test_importing_the_emulator_does_not_import_the_unicorn_package():
    code = "import sys, emulator.task.process, emulator.debug.debugger; print('unicorn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_constants_are_the_official_packages():
    import unicorn
    from unicorn import x86_const

    assert {k: v for k, v in vars(UC).items() if k.startswith("UC_")} == \
        {k: getattr(unicorn, k) for k in vars(UC) if k.startswith("UC_")}
    assert X.UC_X86_REG_FS_BASE == x86_const.UC_X86_REG_FS_BASE and X.UC_X86_INS_SYSCALL == x86_const.UC_X86_INS_SYSCALL


def test_mem_map_ptr_read_write_share_the_host_pages(machine):
    uc, host = machine
    uc.mem_write(BASE + 0x10, b"hello")
    assert ctypes.string_at(host + 0x10, 5) == b"hello"
    ctypes.memmove(host + 0x20, b"world", 5)
    assert uc.mem_read(BASE + 0x20, 5) == b"world"


def test_unmapped_access_is_a_readable_ucerror(machine):
    uc, _ = machine
    with pytest.raises(UcError) as info:
        uc.mem_read(0x900000, 4)
    assert info.value.errno == UC.UC_ERR_READ_UNMAPPED
    assert "UC_ERR_READ_UNMAPPED" in str(info.value)
    with pytest.raises(UcError) as info:
        uc.mem_write(0x900000, b"x")
    assert info.value.errno == UC.UC_ERR_WRITE_UNMAPPED


def test_guest_fault_ends_emu_start_with_ucerror(machine):
    uc, _ = machine
    code = b"\x48\x8b\x04\x25\x00\x00\x90\x00"  # mov rax, [0x900000]
    uc.mem_write(BASE, code)
    with pytest.raises(UcError) as info:
        uc.emu_start(BASE, BASE + len(code))
    assert info.value.errno == UC.UC_ERR_READ_UNMAPPED


def test_register_round_trips(machine):
    uc, _ = machine
    uc.reg_write(X.UC_X86_REG_RAX, -1)
    assert uc.reg_read(X.UC_X86_REG_RAX) == 2**64 - 1
    uc.reg_write(X.UC_X86_REG_FS_BASE, 0x7FFF_1234_5000)
    assert uc.reg_read(X.UC_X86_REG_FS_BASE) == 0x7FFF_1234_5000
    wide = 0x0123_4567_89AB_CDEF_FEDC_BA98_7654_3210
    uc.reg_write(X.UC_X86_REG_XMM3, wide)
    assert uc.reg_read(X.UC_X86_REG_XMM3) == wide
    uc.reg_write(X.UC_X86_REG_YMM3, wide << 128 | wide)
    assert uc.reg_read(X.UC_X86_REG_YMM3) == wide << 128 | wide
    assert uc.reg_read(X.UC_X86_REG_XMM3) == wide  # the low half of ymm3
    uc.reg_write(X.UC_X86_REG_FP0, (0x8000_0000_0000_0000, 0x3FFF))  # 1.0
    assert uc.reg_read(X.UC_X86_REG_FP0) == (0x8000_0000_0000_0000, 0x3FFF)
    uc.reg_write(X.UC_X86_REG_MXCSR, 0x1F80)
    assert uc.reg_read(X.UC_X86_REG_MXCSR) == 0x1F80
    with pytest.raises(UcError):
        uc.reg_read(X.UC_X86_REG_GDTR)  # a struct register: refused, never a buffer overrun


def test_registers_are_seen_by_guest_code(machine):
    uc, _ = machine
    code = b"\x66\x48\x0f\x7e\xc0" + b"\x48\x83\xc0\x01"  # movq rax, xmm0; add rax, 1
    uc.mem_write(BASE, code)
    uc.reg_write(X.UC_X86_REG_XMM0, 41)
    uc.emu_start(BASE, BASE + len(code))
    assert uc.reg_read(X.UC_X86_REG_RAX) == 42
    assert uc.reg_read(X.UC_X86_REG_RIP) == BASE + len(code)


def test_hook_exception_comes_out_of_emu_start_and_stops_the_cpu(machine):
    uc, _ = machine
    uc.mem_write(BASE, SYSCALL + b"\x48\xc7\xc3\x07\x00\x00\x00" + SYSCALL)  # syscall; mov rbx, 7; syscall
    calls = []

    def on_syscall(arg):
        calls.append(arg)
        raise Boom("from the hook")

    uc.hook_syscall(on_syscall, "arg")
    with pytest.raises(Boom, match="from the hook"):
        uc.emu_start(BASE, BASE + 0x100)
    assert calls == ["arg"] and uc.reg_read(X.UC_X86_REG_RBX) == 0  # stopped at the first syscall
    assert uc._hook_exception is None  # nothing kept: no uc -> traceback -> uc cycle


def test_first_hook_exception_wins_and_the_next_run_starts_clean(machine):
    uc, _ = machine
    uc.mem_write(BASE, NOP * 4 + SYSCALL)
    seen = []

    def on_code(uc_, address, size, ud):
        seen.append((uc_ is uc, address, size, ud))
        raise Boom(address)

    h = uc.hook_add(UC_HOOK_CODE, on_code, "ud", BASE, BASE + 3)
    with pytest.raises(Boom) as info:
        uc.emu_start(BASE, BASE + 4)
    assert info.value.args == (BASE,) and seen[0] == (True, BASE, 1, "ud")
    uc.hook_del(h)
    uc.emu_start(BASE, BASE + 4)  # no hook, no stale exception
    assert uc.reg_read(X.UC_X86_REG_RIP) == BASE + 4


def test_block_intr_and_write_hooks(machine):
    uc, _ = machine
    # mov qword [BASE+0x800], 5; int3
    code = b"\x48\xc7\x04\x25\x00\x08\x01\x00\x05\x00\x00\x00" + b"\xcc"
    uc.mem_write(BASE, code)
    events = []
    uc.hook_add(UC_HOOK_BLOCK, lambda u, a, s, d: events.append(("block", a)))
    uc.hook_add(UC_HOOK_MEM_WRITE, lambda u, acc, a, s, v, d: events.append(("write", a, s, v)), None,
                BASE + 0x800, BASE + 0x807)
    uc.hook_add(UC_HOOK_INTR, lambda u, n, d: (events.append(("intr", n)), u.emu_stop()))
    uc.emu_start(BASE, BASE + 0x100)
    assert events == [("block", BASE), ("write", BASE + 0x800, 8, 5), ("intr", 3)]


def test_context_save_restore(machine):
    uc, _ = machine
    uc.reg_write(X.UC_X86_REG_RAX, 1)
    uc.reg_write(X.UC_X86_REG_XMM1, 1 << 100)
    ctx = uc.context_save()
    uc.reg_write(X.UC_X86_REG_RAX, 2)
    uc.reg_write(X.UC_X86_REG_XMM1, 0)
    uc.context_restore(ctx)
    assert uc.reg_read(X.UC_X86_REG_RAX) == 1 and uc.reg_read(X.UC_X86_REG_XMM1) == 1 << 100


def test_controls(machine):
    uc, _ = machine
    uc.mem_write(BASE, b"\xb8\x01\x00\x00\x00")  # mov eax, 1
    uc.emu_start(BASE, BASE + 5)
    uc.ctl_set_tlb_mode(UC.UC_TLB_VIRTUAL)
    uc.ctl_flush_tlb()
    uc.ctl_flush_tb()
    uc.mem_write(BASE, b"\xb8\x02\x00\x00\x00")  # mov eax, 2 (a write through Unicorn invalidates)
    uc.ctl_remove_cache(BASE, BASE + 5)
    uc.emu_start(BASE, BASE + 5)
    assert uc.reg_read(X.UC_X86_REG_RAX) == 2


def test_engine_with_hooks_closes_once_dropped():
    """exec.retire: after drop_hooks no reference cycle is left, so the engine closes (and
    after_close runs) as soon as the last reference goes, without a garbage collection."""
    import gc

    closed = []
    uc = Uc()
    uc.after_close(closed.append, "closed")
    uc.hook_add(UC_HOOK_CODE, lambda *a: None)
    uc.hook_syscall(print, None)
    uc.drop_hooks()
    gc.disable()
    try:
        del uc
        assert closed == ["closed"]
    finally:
        gc.enable()


def test_emu_stop_from_another_thread_ends_a_busy_guest(machine):
    """signals.py's watcher thread relies on it: the GIL is released while the CPU runs."""
    import threading
    import time

    uc, _ = machine
    uc.mem_write(BASE, b"\xeb\xfe")  # jmp $
    threading.Timer(0.1, uc.emu_stop).start()
    t0 = time.monotonic()
    uc.emu_start(BASE, BASE + 0x100, timeout=10_000_000)  # microseconds: a safety net only
    assert time.monotonic() - t0 < 5
    assert uc.reg_read(X.UC_X86_REG_RIP) == BASE
