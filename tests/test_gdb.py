"""The debugger: real gdb in batch mode against `elfemu run --gdb PORT`, and the engine's
reverse-execution property (state after stepping back == state seen going forwards)."""

import os
import re
import subprocess
import zlib

import pytest

from tests.conftest import HELLO178, gdb_session, need_tool, sample


def test_hello178_stepi_registers_and_patch_text():
    text, out, _, rc = gdb_session(HELLO178, [
        "info registers rip", "stepi", "info registers rip rax", "x/s 0x100a6",
        "set {char}0x100a6 = 'J'", "x/s 0x100a6", "continue"])
    assert "rip            0x10078" in text
    assert "rip            0x1007f" in text and "rax            0x1 " in text
    assert '0x100a6:\t"Hello world\\n"' in text
    assert '0x100a6:\t"Jello world\\n"' in text
    assert "exited normally" in text
    assert out == "Jello world\n" and rc == 0


def test_breakpoint_watchpoint_reverse_on_glibc_sample():
    prog = sample("glibc", "scanner_target")
    text, out, _, rc = gdb_session(prog, [
        "break spend", "continue", "bt", "info registers rip rsp fs_base", "p gold",
        "watch gold", "continue", "p gold",
        "reverse-stepi", "p gold",
        "delete", "break earn", "continue", "continue", "p gold",
        "reverse-continue", "p gold", "p $pc",
        "delete", "continue"])
    assert "Breakpoint 1, spend (amount=amount@entry=10)" in text
    assert "#1  0x" in text and "in main ()" in text
    assert "rip            0x" in text and "<spend>" in text
    assert "$1 = 1000" in text
    assert "Old value = 1000" in text and "New value = 990" in text
    assert "$2 = 990" in text
    assert "$3 = 1000" in text  # stepped back over the write to gold
    assert "$4 = 995" in text  # second earn(): 1000 - 10 + 25 - 20
    assert "$5 = 990" in text  # reverse-continue: back at the first earn()
    assert "<earn>" in text.split("$6 = ")[1].splitlines()[0]
    assert "exited normally" in text
    # Replayed syscalls are not run again: every line printed exactly once.
    native = subprocess.run([str(prog)], capture_output=True, text=True, timeout=30)
    assert out == native.stdout and rc == 0


def test_exit_code_and_reverse_to_start():
    prog = sample("glibc", "exit_modes")
    text, out, _, rc = gdb_session(prog, ["break main", "continue", "reverse-stepi", "reverse-continue",
                                          "info registers rip", "continue", "delete", "continue"], args=["exit"])
    assert "No more reverse-execution history." in text
    assert "<_start>" in text
    assert "exited with code 03" in text
    assert out == "mode exit: buffered text without newline | atexit handler ran\n" and rc == 3


def test_detach_runs_to_end_and_kill():
    prog = sample("glibc", "scanner_target")
    text, out, _, rc = gdb_session(prog, ["break earn", "continue", "detach"])
    assert "Breakpoint 1, earn" in text
    assert out.endswith("final gold = 695\n") and rc == 0
    text, out, _, rc = gdb_session(prog, ["break earn", "continue", "kill"])
    assert "final gold" not in out and rc == -9


def test_fault_stops_then_kills():
    text, out, _, rc = gdb_session(sample("glibc", "null_deref"), ["continue", "x/i $pc", "continue"])
    assert "Program received signal SIGSEGV, Segmentation fault." in text
    assert "=> 0x" in text and "<main+" in text
    assert "Program terminated with signal SIGSEGV" in text
    assert out == "about to dereference NULL\n" and rc == -11


def test_fork_and_execve_under_gdb():
    text, out, _, rc = gdb_session(sample("glibc", "anon_pipe"), ["continue"])
    assert "exited normally" in text and rc == 0
    assert out == "[parent] Write\n[child] Got: Hello through the pipe\n[parent] Done\n"
    text, out, _, rc = gdb_session(sample("glibc", "execve_demo"), ["continue"])
    assert "exited normally" in text and out == "HELLO=WORLD\n" and rc == 0


def test_host_signal_reaches_guest_while_debugging():
    text, out, _, rc = gdb_session(sample("glibc", "sig_alarm_pause"), ["continue"])
    assert "exited normally" in text and rc == 0
    assert out == "alarm(1), pause()\nalarm fired\npause returned -1 (EINTR)\n"


# ----- the engine, without gdb --------------------------------------------------------------

def _load(path, argv=None):
    from emulator.debug.debugger import Debugger
    from emulator.task.process import Process
    from syscalls import dispatch

    proc = Process(dispatch.on_syscall, report_unimplemented=False)
    proc.load(str(path), [os.fsencode(str(path)), *(argv or [])], [b"A=1"])
    return proc, Debugger(proc, snapshot_every=2000)


def _state(proc, dbg):
    mem = 0
    for v in proc.mem.vmas:
        mem = zlib.crc32(proc.mem.read(v.start, v.end - v.start) if v.prot & 1 else b"", mem)
    return dbg.icount, dbg.registers(), mem, [(v.start, v.end, v.prot, v.name) for v in proc.mem.vmas]


def test_reverse_state_equals_forward_state(capfd):
    """Across brk, write() and exit_group: every recorded state comes back exactly."""
    proc, dbg = _load(sample("glibc", "hello"))
    seen = {}
    syscalls = 0
    while dbg.exited is None:
        if dbg.icount % 41 == 0 or proc.mem.read(dbg.pc, 2) == b"\x0f\x05":
            seen[dbg.icount] = _state(proc, dbg)
            syscalls += proc.mem.read(dbg.pc, 2) == b"\x0f\x05"
        dbg.stepi()
    assert dbg.exited.reason == "exited" and syscalls >= 5
    assert capfd.readouterr().out == "Hello world\n"
    end = dbg.icount
    for n in sorted(seen, reverse=True)[::3]:
        dbg.goto(n)
        assert _state(proc, dbg) == seen[n], f"state differs at instruction {n}"
    ev = dbg.reverse_stepi(10**9)
    assert ev.reason == "start-of-history" and _state(proc, dbg) == seen[0]
    # Forwards again through the recorded past: same end, nothing printed twice.
    assert dbg.cont().reason == "exited" and dbg.icount == end
    assert capfd.readouterr().out == ""


def test_stepping_a_syscall_instruction(capfd):
    """Unicorn quirk pin: stepping `syscall` runs the hook once and lands 2 bytes further on."""
    proc, dbg = _load(HELLO178)
    while proc.mem.read(dbg.pc, 2) != b"\x0f\x05":
        dbg.stepi()
    at = dbg.pc
    assert dbg.stepi().reason == "step"
    assert dbg.pc == at + 2 and dbg.read_register("rax") == 12  # write() returned 12 bytes
    assert capfd.readouterr().out == "Hello world\n"
    dbg.reverse_stepi()
    assert dbg.pc == at
    dbg.stepi()
    assert dbg.pc == at + 2 and dbg.read_register("rax") == 12
    assert capfd.readouterr().out == ""  # replayed, not re-run
    assert dbg.cont().reason == "exited" and dbg.exited.exit_status == 0


def test_breakpoints_watchpoints_and_text_writes_in_engine():
    from emulator.image.symbols import load_symbols

    path = sample("glibc", "scanner_target")
    syms = load_symbols(str(path))
    proc, dbg = _load(path)
    gold = syms.address("gold")
    dbg.add_breakpoint(syms.address("earn"), temporary=True)
    ev = dbg.cont()
    assert ev.reason == "breakpoint" and syms.where(ev.addr) == ("earn", 0)
    assert syms.address("earn") not in dbg.breakpoints  # temporary
    dbg.add_watchpoint(gold, 4)
    ev = dbg.cont()
    assert ev.reason == "watchpoint" and ev.watch_addr == gold
    assert int.from_bytes(dbg.read_memory(gold, 4), "little") == 1015
    before = dbg.icount
    ev = dbg.reverse_cont()
    assert ev.reason == "watchpoint" and dbg.icount < before
    assert int.from_bytes(dbg.read_memory(gold, 4), "little") == 990
    dbg.remove_watchpoint(gold, 4)
    earn = syms.address("earn")
    dbg.write_memory(earn, b"\xc3")  # text is read-only to the guest, not to the debugger
    assert dbg.read_memory(earn, 1) == b"\xc3"


def test_bench_stepping_reports_a_rate():
    from emulator.debug.debugger import bench_stepping

    rate = bench_stepping(str(sample("glibc", "hello")), 2000)
    assert rate > 1000


@pytest.mark.parametrize("name", ["st0", "xmm15", "mxcsr", "fs_base", "eflags", "cs"])
def test_all_register_names_read(name):
    _, dbg = _load(HELLO178)
    assert isinstance(dbg.read_register(name), int)


MMAP_PROG = r"""
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void) {
    char *p = mmap(0, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 'x', 100);
    write(1, p, 10);
    munmap(p, 1 << 16);
    char *q = sbrk(0);
    brk(q + 8192);
    q[100] = 5;
    write(1, "\n", 1);
    char *r = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    r[0] = 1;
    mprotect(r, 4096, PROT_READ);
    return r[0] + q[100];
}
"""


def test_reverse_across_mmap_munmap_brk_mprotect(tmp_path, capfd):
    need_tool("gcc")
    src, prog = tmp_path / "m.c", tmp_path / "m"
    src.write_text(MMAP_PROG)
    subprocess.run(["gcc", "-static", "-O1", "-o", str(prog), str(src)], check=True, timeout=60)
    proc, dbg = _load(prog)
    seen = {}
    while dbg.exited is None:
        if dbg.icount % 41 == 0 or proc.mem.read(dbg.pc, 2) == b"\x0f\x05":
            seen[dbg.icount] = _state(proc, dbg)
        dbg.stepi()
    assert dbg.exited.exit_status == 6
    assert capfd.readouterr().out == "xxxxxxxxxx\n"
    for n in sorted(seen, reverse=True)[::2]:
        dbg.goto(n)
        assert _state(proc, dbg) == seen[n], f"state differs at instruction {n}"
    assert dbg.cont().exit_status == 6 and capfd.readouterr().out == ""


def test_interrupt_stops_a_running_cont():
    import threading

    proc, dbg = _load(sample("glibc", "bench_compute"), [b"100000000"])
    threading.Timer(0.5, dbg.interrupt).start()
    ev = dbg.cont()
    assert ev.reason == "signal" and ev.signo == 2
    n = dbg.icount
    assert dbg.stepi().reason == "step" and dbg.icount == n + 1


def test_cont_and_single_steps_count_alike():
    """Block accounting in cont() must agree with counting single steps (reverse relies on it)."""
    from emulator.image.symbols import load_symbols

    path = sample("glibc", "scanner_target")
    earn = load_symbols(str(path)).address("earn")
    _, a = _load(path)
    a.add_breakpoint(earn)
    a.cont()
    a.cont()
    _, b = _load(path)
    hits = 0
    while hits < 2:
        b.stepi()
        hits += b.pc == earn
    assert a.icount == b.icount and a.registers() == b.registers()


def native_gdb(prog, commands) -> str:
    """The same commands in a native gdb session (`run` instead of `continue` to start)."""
    return subprocess.run([need_tool("gdb"), "-batch", "-nx", "-ex", "set confirm off", str(prog),
                           *[x for c in commands for x in ("-ex", c)]],
                          capture_output=True, text=True, timeout=90).stdout


def test_watch_rwatch_awatch_like_native_gdb():
    """Write, read and access watchpoints stop where native gdb on x86 stops, with the same reports."""
    prog = sample("glibc", "scanner_target")
    cmds = ["break spend", "continue", "rwatch gold", "continue", "continue", "delete", "awatch gold",
            "continue", "continue", "continue", "delete", "watch gold", "continue", "kill"]
    text, _, _, _ = gdb_session(prog, cmds)
    native = native_gdb(prog, ["break spend", "run", *cmds[2:]])

    def stops(out):
        keep = ("Hardware", "Value", "Old value", "New value", "0x", "Breakpoint 1,")
        return [re.sub(r"argv=0x[0-9a-f]+", "", line) for line in out.splitlines()
                if line.startswith(keep) and " in _start ()" not in line]

    assert stops(text) == stops(native), (text, native)
    assert sum("Hardware access (read/write) watchpoint" in line for line in stops(text)) >= 4


def test_info_proc_and_siginfo_like_native_gdb(tmp_path):
    """gdb's vFile host I/O and multiprocess ids: `info proc mappings` lists the guest's map (the
    program's own lines match a native gdb session exactly), and $_siginfo says what ptrace would."""
    prog = sample("glibc", "scanner_target")
    cmds = ["break spend", "continue", "p $_siginfo.si_signo", "p $_siginfo.si_code",
            "info proc", "info proc mappings", "delete", "watch gold", "continue", "p $_siginfo.si_code",
            "p $_siginfo._sifields._sigfault.si_addr == $pc", "stepi", "p $_siginfo.si_code",
            "p $_siginfo._sifields._sigfault.si_addr == $pc"]
    text, _, _, _ = gdb_session(prog, cmds + ["kill"])
    native = native_gdb(prog, ["break spend", "run", *cmds[2:], "kill"])

    def values(out):
        return [line.split(" = ", 1)[1] for line in out.splitlines() if line.startswith("$")]

    def own_lines(out):
        return [line.split() for line in out.splitlines() if line.rstrip().endswith(str(prog))]

    assert values(text) == values(native) == ["5", "128", "4", "1", "2", "1"], (text, native)
    assert own_lines(text) == own_lines(native) and len(own_lines(text)) >= 4, text
    assert f"exe = '{prog}'" in text and f"cmdline = '{prog}'" in text
    assert "[heap]" in text and "[stack]" in text


def test_catch_syscall_like_native_gdb():
    """`catch syscall`: entry and return stops with the registers ptrace shows (RIP past the
    instruction, RAX = -ENOSYS, the number in orig_rax); orig_rax = -1 at entry skips the call."""
    prog = sample("glibc", "fileio")
    cmds = ["catch syscall write", "continue", "p $rax", "p $orig_rax", "x/2i $pc - 2", "continue", "p $rax", "p $orig_rax", "continue", "set $orig_rax = -1", "continue",
            "p $rax", "delete", "catch syscall exit_group", "continue", "p $orig_rax", "continue"]
    text, out, _, rc = gdb_session(prog, cmds)
    native = native_gdb(prog, ["catch syscall write", "run", *cmds[2:]])

    def shown(out):
        keep = ("Catchpoint", "$", "   0x", "=> 0x", "[Inferior")
        return [re.sub(r"process \d+", "process P", line) for line in out.splitlines() if line.startswith(keep)]

    assert shown(text) == shown(native), (text, native)
    assert "$1 = -38" in text and "$2 = 1" in text and "syscall" in text
