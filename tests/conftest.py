"""Shared helpers for differential tests: run the same program natively and under elfemu."""

import os
import select
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "build"
HELLO178 = SAMPLES / "hello178"
LIBCS = ("glibc", "musl")
ELFEMU = [sys.executable, "-m", "emulator"]


def sample(libc: str, name: str) -> Path:
    path = SAMPLES / libc / name
    assert path.exists(), f"{path} is missing: run `make samples`"
    return path


def run_native(argv, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 60)
    return subprocess.run([str(a) for a in argv], **kw)


def run_emu(argv, command: str = "run", options=(), **kw) -> subprocess.CompletedProcess:
    """elfemu COMMAND [OPTIONS] PROGRAM ARGS..., with the venv's python running this checkout."""
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 120)
    # No PYTHONPATH: the venv's editable install finds the package, and the guest's environment
    # is elfemu's, so anything added here would show up in the guest.
    env = dict(kw.pop("env", None) or os.environ)
    return subprocess.run([*ELFEMU, command, *options, *[str(a) for a in argv]], env=env, **kw)


def assert_same(native: subprocess.CompletedProcess, emu: subprocess.CompletedProcess, stderr: bool = False):
    """The differential check: same stdout, same exit status (and stderr when deterministic)."""
    assert b"Traceback" not in emu.stderr, emu.stderr.decode(errors="replace")
    assert emu.stdout == native.stdout
    if stderr:
        assert emu.stderr == native.stderr
    assert emu.returncode == native.returncode, emu.stderr.decode(errors="replace")


def build_static(cc: str, source, exe, *flags) -> Path:
    """Compile one test program statically with gcc or musl-gcc; returns the executable."""
    subprocess.run([need_tool(cc), "-static", "-O1", "-o", str(exe), str(source), *flags], check=True)
    return Path(exe)


def need_tool(name: str) -> str:
    """A host tool the test compares against; `make test` installs them, so absence is an error."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (make deps installs it)")
    return path


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def gdb_session(prog, commands, args=(), timeout=90):
    """Start elfemu --gdb, wait for its listening line, run gdb -batch with `commands`.

    Returns (gdb output, guest stdout, elfemu stderr, elfemu exit status)."""
    gdb = need_tool("gdb")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    emu = subprocess.Popen([*ELFEMU, "run", "--gdb", str(port), str(prog), *args], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([emu.stderr], [], [], 30)
        assert ready, "elfemu did not start listening"
        first = emu.stderr.readline().decode()
        assert "waiting for gdb" in first, first
        argv = [gdb, "-batch", "-nx", "-ex", "set confirm off", str(prog), "-ex", f"target remote :{port}"]
        for c in commands:
            argv += ["-ex", c]
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        out, err = emu.communicate(timeout=timeout)
    finally:
        if emu.poll() is None:
            emu.kill()
            emu.wait()
    text = res.stdout + res.stderr
    assert "Traceback" not in err.decode(), err.decode()
    return text, out.decode(), err.decode(), emu.returncode


@pytest.fixture(autouse=True)
def _host_signals_back():
    """Tests that run a guest inside pytest (test_faults, test_tlb, test_gdb) leave elfemu's host
    signal handlers behind; a later SIGPIPE or SIGTERM would then raise ProcessKilled inside pytest
    (seen once in test_real_programs). Put Python's own dispositions back after every test."""
    import signal

    yield
    for signo in signal.valid_signals():
        try:
            handler = signal.getsignal(signo)
        except (OSError, ValueError):
            continue
        if type(getattr(handler, "__self__", None)).__name__ == "SignalState":
            default = {signal.SIGPIPE: signal.SIG_IGN, signal.SIGINT: signal.default_int_handler}
            signal.signal(signo, default.get(signo, signal.SIG_DFL))
