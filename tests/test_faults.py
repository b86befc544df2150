"""CPU faults end the guest as Linux would: SIGSEGV / SIGILL / SIGFPE / SIGTRAP, and elfemu dies by
the same signal (the returncode subprocess sees is -signo, as for the native run).

The siginfo a fault produces (si_code, si_addr) is checked in-process: SEGV_MAPERR for unmapped
memory, SEGV_ACCERR for writes to text and execution of non-executable pages (Unicorn honours NX),
SI_KERNEL for a non-canonical address (#GP), ILL_ILLOPN for ud2, FPE_INTDIV for #DE.
"""

import signal

import pytest

from tests.conftest import run_emu, run_native

SRC = r"""
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
void f(void) { __asm__ volatile(""); }
static void say(const void *p) { printf("%lx\n", (unsigned long)p); fflush(stdout); }
int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    volatile int z = 0;
    if (!strcmp(m, "null")) { say(0); return *(volatile int *)0; }
    if (!strcmp(m, "wnull")) { say((void *)8); *(volatile int *)8 = 1; return 0; }
    if (!strcmp(m, "wtext")) { say((void *)f); *(volatile char *)f = 0xc3; return 0; }
    if (!strcmp(m, "ud2")) { __asm__ volatile("ud2"); return 0; }
    if (!strcmp(m, "div")) { return 10 / z; }
    if (!strcmp(m, "divov")) { volatile long a = -9223372036854775807L - 1, b = -1; return a / b; }
    if (!strcmp(m, "nx")) {
        char *p = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
        p[0] = 0xc3; say(p); ((void (*)(void))p)(); return 0; }
    if (!strcmp(m, "stacknx")) { char buf[16]; buf[0] = 0xc3; say(buf); ((void (*)(void))buf)(); return 0; }
    if (!strcmp(m, "protnone")) {
        char *p = mmap(0, 4096, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); say(p); return p[0]; }
    if (!strcmp(m, "wro")) {
        char *p = mmap(0, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); say(p); p[0] = 1; return 0; }
    if (!strcmp(m, "unmapped")) {
        char *p = mmap(0, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
        munmap(p + 4096, 4096); say(p + 4100); return p[4100]; }
    if (!strcmp(m, "jmp0")) { say(0); ((void (*)(void))0)(); return 0; }
    if (!strcmp(m, "int3")) { __asm__ volatile("int3"); return 0; }
    if (!strcmp(m, "hlt")) { say(0); __asm__ volatile("hlt"); return 0; }
    if (!strcmp(m, "noncanon")) { say(0); return *(volatile int *)0x8000000000000000UL; }
    puts("ok");
    return 0;
}
"""

SEGV_MAPERR, SEGV_ACCERR, SI_KERNEL, ILL_ILLOPN, FPE_INTDIV = 1, 2, 0x80, 2, 1
# mode -> (signal, si_code, where si_addr comes from: "printed" (the program says), "rip", or None)
CASES = {
    "null": (signal.SIGSEGV, SEGV_MAPERR, "printed"),
    "wnull": (signal.SIGSEGV, SEGV_MAPERR, "printed"),
    "wtext": (signal.SIGSEGV, SEGV_ACCERR, "printed"),
    "nx": (signal.SIGSEGV, SEGV_ACCERR, "printed"),
    "stacknx": (signal.SIGSEGV, SEGV_ACCERR, "printed"),
    "protnone": (signal.SIGSEGV, SEGV_ACCERR, "printed"),
    "wro": (signal.SIGSEGV, SEGV_ACCERR, "printed"),
    "unmapped": (signal.SIGSEGV, SEGV_MAPERR, "printed"),
    "jmp0": (signal.SIGSEGV, SEGV_MAPERR, "printed"),
    "noncanon": (signal.SIGSEGV, SI_KERNEL, "printed"),
    "ud2": (signal.SIGILL, ILL_ILLOPN, "rip"),
    "div": (signal.SIGFPE, FPE_INTDIV, "rip"),
    "divov": (signal.SIGFPE, FPE_INTDIV, "rip"),
    "int3": (signal.SIGTRAP, SI_KERNEL, None),
    "hlt": (signal.SIGSEGV, SI_KERNEL, "printed"),  # privileged in user mode: #GP
}


@pytest.fixture(scope="module")
def faults(build):
    return build(SRC)


@pytest.mark.parametrize("mode", sorted(CASES))
def test_fault_kills_like_native(faults, mode):
    signo = CASES[mode][0]
    native = run_native([faults, mode])
    emu = run_emu([faults, mode])
    assert b"Traceback" not in emu.stderr
    assert native.returncode == -signo
    assert emu.returncode == -signo, emu.stderr.decode(errors="replace")
    if mode not in ("stacknx", "nx", "protnone", "wro", "unmapped"):  # stack/mmap addresses differ (ASLR)
        assert emu.stdout == native.stdout


def test_no_fault_exits_normally(faults):
    emu = run_emu([faults])
    assert (emu.returncode, emu.stdout) == (0, b"ok\n")


class Caught(Exception):
    pass


@pytest.mark.parametrize("mode", sorted(CASES))
def test_fault_siginfo(faults, mode, capfd):
    """The Fault the CPU hooks build (what delivery turns into siginfo): signal, si_code, si_addr."""
    from emulator.task.process import Process
    from syscalls import dispatch

    signo, code, addr_from = CASES[mode]
    p = Process(dispatch.on_syscall, report_unimplemented=False)
    p.load(str(faults), [b"faults", mode.encode()], [])

    def caught(fault):
        raise Caught(fault)

    p.deliver_fault = caught  # classification only: delivery belongs to the signal code
    with pytest.raises(Caught) as info:
        p.run()
    out = capfd.readouterr().out
    si = info.value.args[0].siginfo()
    assert (si["si_signo"], si["si_code"]) == (signo, code)
    if addr_from == "printed":
        assert si["si_addr"] == int(out.split()[-1], 16)
    elif addr_from == "rip":
        assert si["si_addr"] == p.cpu["rip"]
        insn = p.mem.read(si["si_addr"], 2)
        assert insn == b"\x0f\x0b" if mode == "ud2" else insn[0] in (0xF7, 0x48)  # ud2 / idiv


HANDLER_SRC = r"""
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
void f(void) { __asm__ volatile(""); }
static void on_segv(int signo, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    printf("signal %d code %d trapno %lld write %lld user %lld\n", signo, si->si_code,
           (long long)uc->uc_mcontext.gregs[REG_TRAPNO], (long long)(uc->uc_mcontext.gregs[REG_ERR] & 2) >> 1,
           (long long)(uc->uc_mcontext.gregs[REG_ERR] & 4) >> 2);
    fflush(stdout);
    _exit(0);
}
int main(int argc, char **argv) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    if (!strcmp(argv[1], "read")) return *(volatile int *)16;
    if (!strcmp(argv[1], "write")) *(volatile int *)16 = 1;
    if (!strcmp(argv[1], "wtext")) *(volatile char *)f = 0xc3;
    return 1;
}
"""


@pytest.fixture(scope="module")
def segv_handler(build):
    return build(HANDLER_SRC)


@pytest.mark.parametrize("mode,write", [("read", 0), ("write", 1), ("wtext", 1)])
def test_fault_frame_error_code(segv_handler, mode, write):
    """The signal frame's page-fault error code (uc_mcontext REG_ERR) says whether the access was
    a write, as the CPU's does: a handler that retries or emulates the access reads it."""
    native, emu = run_native([segv_handler, mode]), run_emu([segv_handler, mode])
    code = SEGV_ACCERR if mode == "wtext" else SEGV_MAPERR
    assert native.stdout == f"signal 11 code {code} trapno 14 write {write} user 1\n".encode()
    assert (emu.returncode, emu.stdout) == (native.returncode, native.stdout), emu.stderr
