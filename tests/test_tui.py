"""`elfemu step --tui` (emulator/debug/tui): the panes after steps forwards and back, headless
(textual's Pilot, tests/conftest.py drive_tui), snapshots of the 80x24 screen, and the issue's
scenario in a real tmux.

Snapshots (tests/snapshots/tui_*.txt) are the screen as text from a real run, reviewed by hand;
when one is missing or differs, the test writes the screen beside it as .new to review, and fails.
"""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, SAMPLES, drive_tui, need_tool, run_native, sample

SNAPSHOTS = ROOT / "tests" / "snapshots"
WRITE_LINE = 'write(1, "Hello world\\n", 12) = 12'
ENTRY = 0x10078  # hello178's entry point (samples/hello178/hello178.S)


@pytest.fixture
def in_samples(monkeypatch):
    """Relative program paths: the stack (AT_EXECFN) is the same in every checkout."""
    monkeypatch.chdir(SAMPLES)


def check_snapshot(name: str, screen: str) -> None:
    path = SNAPSHOTS / f"tui_{name}.txt"
    if not path.exists() or path.read_text() != screen:
        path.with_suffix(".new").write_text(screen)
        pytest.fail(f"{path.name} missing or different: review {path.with_suffix('.new').name}")


def test_hello178_panes_forwards_and_back(in_samples):
    async def scenario(t):
        shown = t.shown
        assert shown["regs"].startswith(f"rip {ENTRY:016x}")
        assert shown["code"].splitlines()[0] == " => 0x10078: mov rax, 1"
        assert "0x10094: syscall" in shown["code"]
        assert shown["stack"].startswith("rsp 7fffffff") and shown["stack"].split(": ")[1].startswith("0" * 15 + "1")
        assert shown["syscalls"] == "" and shown["output"] == ""

        await t.run("si 4")  # at the syscall: the call about to run, decoded
        assert shown["syscalls"] == 'write(1, "Hello world\\n", 12) ...'
        changed = {shown["regs"][s.start:s.end] for s in panes_registers(t)}
        assert changed == {f"{0x10094:016x}", f"{1:016x}", f"{0x100a6:016x}", f"{12:016x}"}

        await t.run("si 2")
        assert shown["syscalls"] == WRITE_LINE
        assert shown["output"] == "Hello world"
        assert shown["regs"].startswith(f"rip {0x1009d:016x}")
        assert shown["code"].splitlines()[0].startswith(" => 0x1009d: mov rdi, 0")

        await t.run("mem $rsi")
        assert shown["memory"].startswith("0000000100a6 48 65 6c 6c 6f 20 77 6f")
        await t.press("f6")
        assert re.search(r"^00010000-00011000 r-xp .*/hello178$", shown["memory"], re.M)
        await t.press("f6")

        await t.run("rsi 6")
        assert shown["regs"].startswith(f"rip {ENTRY:016x}")
        assert shown["syscalls"] == ""  # the write is in the future again
        assert shown["output"] == "Hello world"  # what was printed stays printed
        assert shown["memory"] == "000000000000 (not mapped)"  # rsi is 0 again

        await t.press("f7")  # the keys: F7 si, shift+F7 rsi, F9 c
        assert shown["regs"].startswith(f"rip {0x1007f:016x}")
        await t.press("shift+f7")
        assert shown["regs"].startswith(f"rip {ENTRY:016x}")
        await t.press("f9")
        assert shown["syscalls"].splitlines() == [WRITE_LINE, "exit_group(0) = ?", "+++ exited with 0 +++"]
        assert shown["regs"] == "(the program exited with status 0)"
        assert t.app.replies.endswith("[Inferior 1 exited normally]\n")

    drive_tui("hello178", ["hello178"], scenario)


def panes_registers(t):
    """The highlighted spans of the registers pane, as drawn now."""
    from emulator.debug.tui import panes

    return [s for s in panes.registers(t.app.st, t.app.before).spans if s.style]


def test_snapshots_80x24(in_samples):
    async def scenario(t):
        check_snapshot("hello178_start", t.screen())
        await t.run("si 6")
        check_snapshot("hello178_si6", t.screen())
        await t.run("rsi 6")
        check_snapshot("hello178_rsi6", t.screen())

    drive_tui("hello178", ["hello178"], scenario)


def test_breakpoints_watch_scanner_and_reverse_finish(in_samples):
    """b (F2), watch, find and rfinish go through the stepper's own commands."""
    prog = os.path.relpath(sample("glibc", "scanner_target"), SAMPLES)

    async def scenario(t):
        await t.run("b spend")
        await t.run("c")
        assert re.search(r"^b=> 0x401615 <spend\+0>:", t.shown["code"], re.M), t.shown["code"]
        await t.run("find 1000")
        assert t.app.replies.splitlines()[-3:] == ["There are 2 match(es).", "  0x4a40d0 <gold>", "  0x7fffffffeba8"]
        assert t.shown["console"].splitlines()[-1] == "  0x7fffffffeba8"
        await t.run("rfinish")
        at = [line for line in t.shown["code"].splitlines() if line.startswith(" =>") or line.startswith("b=>")]
        assert at and "call" in at[0] and "<spend>" in at[0], t.shown["code"]
        await t.press("f2")  # F2 toggles a breakpoint at rip
        assert t.app.st.user_bp_at(t.app.st.dbg.pc)
        await t.press("f2")
        assert not t.app.st.user_bp_at(t.app.st.dbg.pc)
        await t.press("f3")  # F3 starts a watch command on the command line
        assert t.app.query_one("#command").value == "watch "
        await t.run("watch gold")
        await t.run("c")  # the breakpoint in spend first
        await t.run("c")
        assert t.app.replies.splitlines()[-5:-1] == ["Hardware watchpoint 3: gold", "", "Old value = 1000",
                                                     "New value = 990"]
        await t.run("rc")  # back to the write before: the breakpoint's stop in spend
        assert "<spend+0>" in [line for line in t.shown["code"].splitlines() if "=> " in line][0]

    drive_tui(prog, ["scanner_target"], scenario, size=(120, 40))


def test_fork_demo_shows_both_return_values(in_samples):
    """The TUI follows the parent; the child's half of fork (= 0) comes through the log's pipe."""
    prog = os.path.relpath(sample("glibc", "fork_fork"), SAMPLES)

    async def scenario(t):
        await t.run("tb fork")
        await t.run("c")
        await t.run("finish")
        lines = t.shown["syscalls"].splitlines()
        parent = [line for line in lines if line.startswith("clone(")]
        child = [line for line in lines if line.startswith("[pid ")]
        assert len(parent) == 1 and len(child) == 1, lines
        pid = int(parent[0].rpartition(" = ")[2])
        assert child[0].startswith(f"[pid {pid}] clone(") and child[0].endswith(" = 0")
        assert t.app.st.regs()["rax"] == pid  # fork returned the child's pid here
        await t.run("c")
        outputs = t.shown["output"].splitlines()
        assert sorted(len(line.split()) for line in outputs) == [2, 2, 2, 2], outputs
        assert f"{pid} " in t.app.output or f" {pid}" in t.app.output

    drive_tui(prog, ["fork_fork"], scenario, size=(160, 40))


def test_dynamic_program_and_its_input():
    """A dynamic host program (ld.so + libc) reads what `input` typed on its pty (echoed there,
    as a terminal does), up to the end of file `input` alone sends."""
    cat = shutil.which("cat")

    async def scenario(t):
        await t.run("input hello")
        await t.run("input")
        await t.run("c")
        assert t.app.output == "hello\nhello\n"  # the pty's echo, then cat's copy
        calls = [line for _pos, line in t.app.st.log.entries]
        at = calls.index('write(1, "hello\\n", 6) = 6')
        assert re.fullmatch(r'read\(0, "hello\\n", \d+\) = 6', calls[at - 1]), calls
        assert re.fullmatch(r'read\(0, "", \d+\) = 0', calls[at + 1]), calls  # the end of file
        assert t.shown["syscalls"].splitlines()[-2:] == ["exit_group(0) = ?", "+++ exited with 0 +++"]
        assert t.app.replies.endswith("[Inferior 1 exited normally]\n")

    drive_tui(cat, ["cat"], scenario, size=(100, 30))


def test_execve_demo(in_samples):
    """execve replaces the program under the TUI: the call in the pane as strace prints it, the new
    program's output, and the history starting again at the new program's first instruction."""
    prog = os.path.relpath(sample("glibc", "execve_demo"), SAMPLES)
    native = run_native([sample("glibc", "execve_demo")])
    assert native.stdout == b"HELLO=WORLD\n"

    async def scenario(t):
        await t.run("c")
        assert t.app.output == "HELLO=WORLD\n"
        calls = [line for _pos, line in t.app.st.log.entries]
        assert any(re.fullmatch(r'execve\("/usr/bin/env", \["/usr/bin/env"\], 0x[0-9a-f]+ /\* 1 var \*/\) = 0', line)
                   for line in calls), calls
        assert calls[-1] == "+++ exited with 0 +++"
        await t.run("rsi 100000000")
        assert t.app.replies.splitlines()[-2] == "No more reverse-execution history."
        assert t.shown["syscalls"] == "" or "execve(" in t.shown["syscalls"].splitlines()[-1]

    drive_tui(prog, ["execve_demo"], scenario)


def test_output_larger_than_the_pty_holds():
    """A program printing ~100 KiB in one `c` does not block on its pty (the drain thread reads it)."""
    seq = shutil.which("seq")
    native = run_native([seq, "20000"])
    assert native.stdout.endswith(b"19999\n20000\n")

    async def scenario(t):
        await t.run("c")
        assert t.app.replies.endswith("[Inferior 1 exited normally]\n")
        assert t.app.output.endswith("19999\n20000\n") and t.shown["output"].endswith("19999\n20000")

    drive_tui(seq, ["seq", "20000"], scenario)


def test_ctrl_c_stops_a_long_continue(in_samples):
    """^C (which textual's input thread hands to app.interrupt while the command runs) stops `c`."""
    import threading

    prog = os.path.relpath(sample("glibc", "bench_compute"), SAMPLES)

    async def scenario(t):
        timer = threading.Timer(1.0, t.app.interrupt)
        timer.start()
        await t.run("c")  # 3e8 iterations: minutes under the debugger, unless interrupted
        timer.join()
        assert "Program received signal SIGINT, Interrupt." in t.app.replies
        assert t.app.st.dbg.exited is None and t.app.st.dbg.icount > 0
        assert t.app.took < 30

    drive_tui(prog, ["bench_compute"], scenario)


def test_syscall_pane_prints_what_strace_prints(in_samples, tmp_path):
    """The calls around a signal, against the real strace: the blocked signal raised, pending,
    delivered as the mask drops. Pids masked; write()s aside (stdout is a pipe under strace here,
    a pty in the TUI: stdio buffers differently); rt_sigreturn aside (strace shows the mask it
    restores, which the tracer prints by a special case of its own)."""
    prog = os.path.relpath(sample("glibc", "sig_pending"), SAMPLES)
    subprocess.run([need_tool("strace"), "-o", str(tmp_path / "strace.txt"), prog], capture_output=True, timeout=60)
    strace = (tmp_path / "strace.txt").read_text().splitlines()
    pid = next(line for line in strace if line.startswith("getpid()")).rpartition(" = ")[2]

    def calls(lines, pid):
        return [re.sub(r"\s+= ", " = ", line).replace(pid, "PID") for line in lines
                if not line.startswith(("rt_sigreturn(", "write("))]

    native = calls(strace, pid)
    assert native[-8:] == ["getpid() = PID", "tgkill(PID, PID, SIGUSR1) = 0", "rt_sigpending([USR1], 8) = 0",
                           "rt_sigprocmask(SIG_UNBLOCK, [USR1], NULL, 8) = 0", native[-4],
                           "rt_sigpending([], 8) = 0", "exit_group(0) = ?", "+++ exited with 0 +++"]
    assert native[-4].startswith("--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=PID")

    async def scenario(t):
        await t.run("c")
        await t.run("rsi")  # back before the exit, then forwards again: the lines are not repeated
        await t.run("c")
        assert calls([line for _pos, line in t.app.st.log.entries], str(os.getpid()))[-8:] == native[-8:]

    drive_tui(prog, ["sig_pending"], scenario)


def test_si_100000_redraws_once(in_samples):
    """The panes are drawn when a command completes, not per instruction."""
    prog = os.path.relpath(sample("glibc", "bench_compute"), SAMPLES)

    async def scenario(t):
        before = t.app.redraws
        await t.run("si 100000")
        assert t.app.redraws == before + 1
        assert t.app.st.dbg.icount == 100000
        assert "#100000" in t.screen()

    drive_tui(prog, ["bench_compute"], scenario)


# ----- the scenario in a real terminal: tmux at 80x24 ------------------------------
def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", f"elfemu-tui-{os.getpid()}", *args], check=True,
                          capture_output=True, text=True).stdout


def wait_screen(predicate, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        screen = tmux("capture-pane", "-p", "-t", "tui")
        if predicate(screen) or time.monotonic() > deadline:
            return screen
        time.sleep(0.2)


def test_tmux_80x24_hello178():
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (make deps installs it)")
    cmd = f"cd {SAMPLES} && env -i TERM=xterm-256color {sys.executable} -m emulator step --tui hello178; sleep 60"
    tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "tui", cmd)
    try:
        first = wait_screen(lambda s: "=> 0x10078" in s)
        assert f"rip {ENTRY:016x}" in first, first
        assert "=> 0x10078: mov rax, 1" in first and "0x10094: syscall" in first, first
        assert len(first.splitlines()) <= 24 and max(map(len, first.splitlines())) <= 80

        tmux("send-keys", "-t", "tui", "si 6", "Enter")
        after = wait_screen(lambda s: WRITE_LINE in s and "Hello world" in s)
        assert WRITE_LINE in after, after
        assert re.search(r"^Hello world +▏", after, re.M), after  # the output pane, left of memory

        tmux("send-keys", "-t", "tui", "rsi 6", "Enter")
        back = wait_screen(lambda s: f"rip {ENTRY:016x}" in s)
        assert f"rip {ENTRY:016x}" in back and WRITE_LINE not in back, back

        tmux("send-keys", "-t", "tui", "C-q")
        done = wait_screen(lambda s: "rip " not in s)
        assert "rip " not in done and "Traceback" not in done, done
    finally:
        tmux("kill-server")
