"""Differential tests for the lecture's C samples (samples/README.md), in both libcs: the same
stdout, stderr where deterministic, and exit status (or fatal signal) natively and under elfemu.
The process and signal demos (fork_*, *pipe*, sig_*, execve_demo) are tested by their owners.
"""

import subprocess
import sys

import pytest

from tests.conftest import LIBCS, ROOT, SAMPLES, assert_same, run_native, sample

ENV = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "ELFEMU_TEST": "a b  c", "EMPTY": ""}


def run_exact(argv, env=ENV, **kw):
    """elfemu with exactly this environment: the guest's envp is elfemu's (no PYTHONPATH added;
    the venv's python finds the package)."""
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 120)
    return subprocess.run([sys.executable, "-m", "emulator", "run", *map(str, argv)], env=env, cwd=ROOT, **kw)


def both(argv, stderr=True, **kw):
    native = run_native(argv, env=ENV, **kw)
    emu = run_exact(argv, **kw)
    assert_same(native, emu, stderr=stderr)
    return native, emu


@pytest.mark.parametrize("libc", LIBCS)
def test_hello(libc):
    native, _ = both([sample(libc, "hello")])
    assert native.returncode == 0 and native.stdout


def test_hello_static_pie():
    native, _ = both([sample("glibc", "hello_pie")])
    assert native.returncode == 0 and native.stdout


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("args", [[], ["one"], ["two words", "", "-x", "ünï"]])
def test_argv_envp(libc, args):
    native, _ = both([sample(libc, "argv_envp"), *args])
    assert b"ELFEMU_TEST=a b  c" in native.stdout


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("mode", ["exit", "_exit", "sys_exit", "return", None, "bogus"])
def test_exit_modes(libc, mode):
    native, _ = both([sample(libc, "exit_modes"), *([mode] if mode else [])])
    assert native.returncode == (3 if mode in ("exit", "_exit", "sys_exit", "return") else 2)


@pytest.mark.parametrize("libc", LIBCS)
def test_mmap8g(libc):
    native, _ = both([sample(libc, "mmap8g")])
    assert b"Read get: 4" in native.stdout


PEAK_RSS = r"""
import resource, subprocess, sys
r = subprocess.run([sys.executable, "-m", "emulator", "run", sys.argv[1]], capture_output=True)
assert r.returncode == 0, r
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.parametrize("libc", LIBCS)
def test_mmap8g_peak_rss(libc):
    """The 8 GiB sparse mapping costs elfemu what it costs Linux: the touched pages only."""
    out = subprocess.run([sys.executable, "-c", PEAK_RSS, sample(libc, "mmap8g")], cwd=ROOT,
                         capture_output=True, timeout=120, check=True)
    peak_kib = int(out.stdout)
    print(f"mmap8g ({libc}) peak RSS under elfemu: {peak_kib / 1024:.1f} MiB")
    assert peak_kib < 150 * 1024


@pytest.mark.parametrize("libc", LIBCS)
def test_hotpatch(libc):
    native, _ = both([sample(libc, "hotpatch")])
    assert b"patched" in native.stdout


@pytest.mark.parametrize("libc", LIBCS)
def test_fileio(libc, tmp_path):
    (tmp_path / "n").mkdir()
    (tmp_path / "e").mkdir()
    native = run_native([sample(libc, "fileio"), tmp_path / "n"], env=ENV)
    emu = run_exact([sample(libc, "fileio"), tmp_path / "e"])
    assert_same(native, emu, stderr=True)
    assert native.returncode == 0
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == sorted(p.name for p in (tmp_path / "n").iterdir())


@pytest.mark.parametrize("libc", LIBCS)
def test_fileio_default_dir(libc):
    """Without DIR it makes and removes /tmp/elfemu-fileio-<pid> itself."""
    both([sample(libc, "fileio")])


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_proc_self(libc, how):
    exe = sample(libc, "proc_self")
    prog = str(exe) if how == "absolute" else str(exe.relative_to(ROOT))
    native = run_native([prog], env=ENV, cwd=ROOT)
    emu = run_exact([prog])
    assert_same(native, emu, stderr=True)
    assert native.stdout.count(b"yes") == 3


@pytest.mark.parametrize("libc", LIBCS)
def test_null_deref(libc):
    native, emu = both([sample(libc, "null_deref")])
    assert native.returncode == emu.returncode == -11


def test_hello178():
    native, _ = both([SAMPLES / "hello178"])
    assert native.stdout == b"Hello world\n"
