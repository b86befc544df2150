"""Ctrl-C on a terminal reaches the guest promptly, native vs elfemu.

The program runs as session leader on a fresh pty (pty.fork), so writing ^C to the master makes
the tty driver send SIGINT to it. Blocked in a syscall (`busybox sleep 100`) or spinning in a
compute loop, it must end within 1 s with the native status (killed by SIGINT), and a guest that
handles SIGINT must get its handler (pause -> EINTR).
"""

import os
import pty
import select
import signal
import sys
import time

import pytest

from tests.conftest import ELFEMU, PROGS, ROOT, need_tool

LIMIT = 1.0


def _drain(fd: int, until: bytes, timeout: float) -> bytes:
    out, end = b"", time.monotonic() + timeout
    while until not in out and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def _ready(pid: int, emulated: bool) -> bool:
    """elfemu is ready for signals once its watcher thread runs (two tasks)."""
    if not emulated:
        return True
    try:
        return len(os.listdir(f"/proc/{pid}/task")) >= 2
    except FileNotFoundError:
        return False


def interrupt(argv, emulated: bool, marker: bytes = b"", how: str = "tty"):
    """Start argv on a pty, wait until it runs, send SIGINT; returns (wait status, latency, output)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [*ELFEMU, "run", *argv] if emulated else list(argv)
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execve(cmd[0], cmd, env)
        finally:
            os._exit(127)
    try:
        out = b""
        end = time.monotonic() + 30
        while not _ready(pid, emulated) and time.monotonic() < end:
            time.sleep(0.02)
        if marker:
            out += _drain(master, marker, 30)
            assert marker in out, out
        time.sleep(0.3)  # let it settle into the blocking call / loop
        t0 = time.monotonic()
        if how == "tty":
            os.write(master, b"\x03")
        else:
            os.kill(pid, signal.SIGINT)
        status = None
        while time.monotonic() - t0 < 10:
            got, st = os.waitpid(pid, os.WNOHANG)
            if got:
                status = st
                break
            out += _drain(master, b"\0", 0.005)
        latency = time.monotonic() - t0
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        out += _drain(master, b"\0", 0.1)
        return status, latency, out
    finally:
        os.close(master)


def _check(argv, marker=b"", how="tty", expect_signal=signal.SIGINT, expect_exit=None):
    for emulated in (False, True):
        status, latency, out = interrupt(argv, emulated, marker, how)
        who = "elfemu" if emulated else "native"
        print(f"{who} {argv[0].split('/')[-1]} {argv[1:]} via {how}: latency {latency * 1000:.0f} ms", file=sys.stderr)
        assert status is not None, f"{who}: did not end within 10 s: {out!r}"
        assert b"Traceback" not in out, out
        if expect_signal is not None:
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == expect_signal, (who, status, out)
        else:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == expect_exit, (who, status, out)
        assert latency < LIMIT, f"{who}: {latency:.2f} s"
        if expect_exit is not None:
            yield out


@pytest.fixture(scope="module")
def sigtest(build):
    return build(PROGS / "sigtest.c", "gcc", "-lm")


@pytest.mark.parametrize("how", ["tty", "kill"])
def test_ctrl_c_busybox_sleep(how):
    list(_check([need_tool("busybox"), "sleep", "100"], how=how))


@pytest.mark.parametrize("how", ["tty", "kill"])
def test_ctrl_c_compute_loop(sigtest, how):
    list(_check([str(sigtest), "compute"], marker=b"spinning", how=how))


def test_ctrl_c_handled_interrupts_pause(sigtest):
    outs = list(_check([str(sigtest), "waitint"], marker=b"waiting", expect_signal=None, expect_exit=3))
    assert all(b"pause -> -1 Interrupted system call hits=1" in o for o in outs), outs
