"""Signals, native vs elfemu: handlers and their flags, masks, the real Linux signal frame
(ucontext edited by the handler, FPU state kept across a handler), the alternate stack,
SA_RESTART vs EINTR, timers, SIGCHLD and SIGPIPE; plus the Unicorn quirk delivery relies on.
"""

import pytest
from unicorn import UC_ARCH_X86, UC_HOOK_INSN, UC_MODE_64, Uc
from unicorn.x86_const import UC_X86_INS_SYSCALL, UC_X86_REG_RBX, UC_X86_REG_RIP

from tests.conftest import (
    COMPILERS,
    LIBCS,
    PROGS,
    assert_same,
    contains,
    need_tool,
    run_both,
    run_emu,
    run_native,
    sample,
)

MODES = ["wait_eintr", "wait_restart", "nanosleep", "altstack", "ucontext", "fpu", "nodefer", "defer",
         "resethand", "sigsuspend", "timedwait", "ignore", "itimer", "sigchld", "sigpipe", "sigpipe_ign"]


@pytest.fixture(scope="module")
def sigtest(build):
    return {libc: build(PROGS / "sigtest.c", cc, "-lm") for libc, cc in COMPILERS.items()}


DIES_BY = {"resethand": -10, "sigpipe": -13}  # SIGUSR1 the second time; SIGPIPE


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("mode", MODES)
def test_sigtest(sigtest, libc, mode):
    # own session: `ignore` sends to its whole process group
    run_both([sigtest[libc], mode], start_new_session=True, status=DIES_BY.get(mode, 0),
             stdout=None if mode == "sigpipe" else bool)


@pytest.mark.parametrize("libc", LIBCS)
def test_kill_process_group(sigtest, libc):
    """kill(0, sig) goes through the host kernel and comes back to us as a host signal."""
    run_both([sigtest[libc], "killpg"], start_new_session=True, status=0, stdout=contains(b"handled"))


SAMPLE_RUNS = [("sig_self_kill", []), ("sig_self_kill", ["usr1"]), ("sig_self_kill", ["handled"]),
               ("sig_segv_recover", []), ("sig_alarm_pause", []), ("sig_pending", [])]


SAMPLE_STATUS = {("sig_self_kill",): -15, ("sig_self_kill", "usr1"): -10}


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("name,args", SAMPLE_RUNS)
def test_samples(libc, name, args):
    run_both([sample(libc, name), *args], status=SAMPLE_STATUS.get((name, *args), 0), stdout=bool)


def test_unicorn_resumes_at_written_rip_plus_2():
    """Pinned quirk (docs/ARCHITECTURE.md, "Unicorn facts"): from the syscall hook, writing
    RIP = T - 2 continues at T; after emu_stop in the hook, RIP reads T. Signal delivery and
    rt_sigreturn rely on both."""
    base = 0x10000
    code = bytearray(b"\x90" * 0x40)
    code[0:2] = b"\x0f\x05"  # syscall
    code[2:4] = b"\xeb\xfe"  # jmp $ (must not be reached)
    code[0x20:0x25] = b"\xbb\x07\x00\x00\x00"  # T: mov ebx, 7
    code[0x25:0x27] = b"\x0f\x05"  # syscall: stops
    for stop_in_first in (False, True):
        uc = Uc(UC_ARCH_X86, UC_MODE_64)
        uc.mem_map(base, 0x1000)
        uc.mem_write(base, bytes(code))
        seen = []

        def hook(uc, _ud, seen=seen, stop=stop_in_first):
            seen.append(uc.reg_read(UC_X86_REG_RIP) - base)
            if len(seen) == 1:
                uc.reg_write(UC_X86_REG_RIP, base + 0x20 - 2)
                if stop:
                    uc.emu_stop()
            else:
                uc.emu_stop()

        uc.hook_add(UC_HOOK_INSN, hook, None, 1, 0, UC_X86_INS_SYSCALL)
        uc.emu_start(base, 0xFFFF_FFFF_FFFF_FFFF)
        if stop_in_first:
            assert seen == [0] and uc.reg_read(UC_X86_REG_RIP) == base + 0x20
        else:
            assert seen == [0, 0x25] and uc.reg_read(UC_X86_REG_RBX) == 7


def test_fatal_signal_is_never_lost(tmp_path):
    """A SIGTERM whose default action kills, arriving at any moment (here while the child is busy
    in Python code after a SIGSTOP/SIGCONT), ends the child every time, as natively."""
    script = tmp_path / "race.sh"
    script.write_text("sleep 5 & p=$!; kill -STOP $p; sleep 0.1; kill -CONT $p; kill -TERM $p; wait $p; "
                      'echo "term: $?"\n')
    bash = need_tool("bash-static")
    native = run_native([bash, script])
    for _ in range(6):
        assert_same(native, run_emu([bash, script]), status=0, stdout=b"term: 143\n")


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_execve_flushes_signal_actions(build, cc):
    run_both([build(PROGS / "exec_sigactions.c", cc)], status=0,
             stdout=contains(b"10: h=DFL flags=0 mask=0", b"3: h=IGN flags=0 mask=0"))


def test_inherited_ignored_sigint_stays_ignored(build):
    """A background job starts with SIGINT ignored; the guest must inherit that, as natively."""
    import signal as host_signal

    exe = build(PROGS / "exec_sigactions.c")

    def ignore_int():
        host_signal.signal(host_signal.SIGINT, host_signal.SIG_IGN)

    run_both([exe, "child"], preexec_fn=ignore_int, status=0, stdout=contains(b"2: h=IGN"))


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_signal_right_after_fork(build, cc):
    """A signal sent to a child before its elfemu has set up its own wake-up pipes waits for them
    (it used to wake the parent's watcher instead, and the parent then waited forever)."""
    exe = build(PROGS / "kill_after_fork.c", cc)
    assert_same(run_native([exe]), run_emu([exe], timeout=60), status=0, stdout=b"1 15\n" * 5, stderr=True)
