"""Signals, native vs elfemu: handlers and their flags, masks, the real Linux signal frame
(ucontext edited by the handler, FPU state kept across a handler), the alternate stack,
SA_RESTART vs EINTR, timers, SIGCHLD and SIGPIPE; plus the Unicorn quirk delivery relies on.
"""

import subprocess

import pytest
from unicorn import UC_ARCH_X86, UC_HOOK_INSN, UC_MODE_64, Uc
from unicorn.x86_const import UC_X86_INS_SYSCALL, UC_X86_REG_RBX, UC_X86_REG_RIP

from tests.conftest import LIBCS, ROOT, assert_same, build_static, need_tool, run_emu, run_native, sample

MODES = ["wait_eintr", "wait_restart", "nanosleep", "altstack", "ucontext", "fpu", "nodefer", "defer",
         "resethand", "sigsuspend", "timedwait", "ignore", "itimer", "sigchld", "sigpipe", "sigpipe_ign"]


@pytest.fixture(scope="module")
def sigtest(tmp_path_factory):
    d = tmp_path_factory.mktemp("sigtest")
    src = ROOT / "tests" / "progs" / "sigtest.c"
    subprocess.run([need_tool("gcc"), "-static", "-O1", "-o", d / "glibc", src, "-lm"], check=True)
    subprocess.run([need_tool("musl-gcc"), "-static", "-O1", "-o", d / "musl", src], check=True)
    return d


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("mode", MODES)
def test_sigtest(sigtest, libc, mode):
    prog = sigtest / libc
    # own session: `ignore` sends to its whole process group
    native = run_native([prog, mode], start_new_session=True)
    emu = run_emu([prog, mode], start_new_session=True)
    assert native.returncode in (0, -10, -13), native  # resethand dies by SIGUSR1, sigpipe by SIGPIPE
    assert_same(native, emu)


@pytest.mark.parametrize("libc", LIBCS)
def test_kill_process_group(sigtest, libc):
    """kill(0, sig) goes through the host kernel and comes back to us as a host signal."""
    prog = sigtest / libc
    native = run_native([prog, "killpg"], start_new_session=True)
    emu = run_emu([prog, "killpg"], start_new_session=True)
    assert native.returncode == 0 and b"handled" in native.stdout
    assert_same(native, emu)


SAMPLE_RUNS = [("sig_self_kill", []), ("sig_self_kill", ["usr1"]), ("sig_self_kill", ["handled"]),
               ("sig_segv_recover", []), ("sig_alarm_pause", []), ("sig_pending", [])]


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("name,args", SAMPLE_RUNS)
def test_samples(libc, name, args):
    prog = sample(libc, name)
    assert_same(run_native([prog, *args]), run_emu([prog, *args]))


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
    assert native.stdout == b"term: 143\n"
    for _ in range(6):
        assert_same(native, run_emu([bash, script]))


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_execve_flushes_signal_actions(tmp_path, cc):
    from tests.conftest import build_static

    exe = build_static(cc, ROOT / "tests" / "progs" / "exec_sigactions.c", tmp_path / "exec_sigactions")
    native, emu = run_native([exe]), run_emu([exe])
    assert_same(native, emu)
    assert b"10: h=DFL flags=0 mask=0" in emu.stdout and b"3: h=IGN flags=0 mask=0" in emu.stdout


def test_inherited_ignored_sigint_stays_ignored(tmp_path):
    """A background job starts with SIGINT ignored; the guest must inherit that, as natively."""
    import signal as host_signal

    from tests.conftest import build_static

    exe = build_static("gcc", ROOT / "tests" / "progs" / "exec_sigactions.c", tmp_path / "exec_sigactions")

    def ignore_int():
        host_signal.signal(host_signal.SIGINT, host_signal.SIG_IGN)

    native, emu = run_native([exe, "child"], preexec_fn=ignore_int), run_emu([exe, "child"], preexec_fn=ignore_int)
    assert_same(native, emu)
    assert b"2: h=IGN" in emu.stdout


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_signal_right_after_fork(tmp_path, cc):
    """A signal sent to a child before its elfemu has set up its own wake-up pipes waits for them
    (it used to wake the parent's watcher instead, and the parent then waited forever)."""
    exe = build_static(cc, ROOT / "tests" / "progs" / "kill_after_fork.c", tmp_path / "kill_after_fork")
    native = run_native([exe])
    assert native.stdout == b"1 15\n" * 5
    assert_same(native, run_emu([exe], timeout=60), stderr=True)
