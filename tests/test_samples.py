"""Differential tests for the lecture's C samples (samples/README.md), in both libcs: the same
stdout, stderr where deterministic, and exit status (or fatal signal) natively and under elfemu.
The process and signal demos (fork_*, *pipe*, sig_*, execve_demo) are tested by their owners.
"""

import subprocess
import sys

import pytest

from tests.conftest import LIBCS, ROOT, SAMPLES, assert_same, contains, run_both, run_emu, run_native, sample

ENV = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "ELFEMU_TEST": "a b  c", "EMPTY": ""}


def run_sample(argv, *, status, stdout=None):
    """The sample natively and under elfemu, with exactly ENV, from the repository's root."""
    return run_both(argv, status=status, stdout=stdout, stderr=True, env=ENV, cwd=ROOT)


@pytest.mark.parametrize("libc", LIBCS)
def test_hello(libc):
    run_sample([sample(libc, "hello")], status=0, stdout=bool)


def test_hello_static_pie():
    run_sample([sample("glibc", "hello_pie")], status=0, stdout=bool)


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("args", [[], ["one"], ["two words", "", "-x", "ünï"]])
def test_argv_envp(libc, args):
    run_sample([sample(libc, "argv_envp"), *args], status=0, stdout=contains(b"ELFEMU_TEST=a b  c"))


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("mode", ["exit", "_exit", "sys_exit", "return", None, "bogus"])
def test_exit_modes(libc, mode):
    run_sample([sample(libc, "exit_modes"), *([mode] if mode else [])],
         status=3 if mode in ("exit", "_exit", "sys_exit", "return") else 2)


@pytest.mark.parametrize("libc", LIBCS)
def test_mmap8g(libc):
    run_sample([sample(libc, "mmap8g")], status=0, stdout=contains(b"Read get: 4"))


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
    run_sample([sample(libc, "hotpatch")], status=0, stdout=contains(b"patched"))


@pytest.mark.parametrize("libc", LIBCS)
def test_fileio(libc, tmp_path):
    (tmp_path / "n").mkdir()
    (tmp_path / "e").mkdir()
    native = run_native([sample(libc, "fileio"), tmp_path / "n"], env=ENV, cwd=ROOT)
    emu = run_emu([sample(libc, "fileio"), tmp_path / "e"], env=ENV, cwd=ROOT)
    assert_same(native, emu, status=0, stdout=bool, stderr=True)
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == sorted(p.name for p in (tmp_path / "n").iterdir())


@pytest.mark.parametrize("libc", LIBCS)
def test_fileio_default_dir(libc):
    """Without DIR it makes and removes /tmp/elfemu-fileio-<pid> itself."""
    run_sample([sample(libc, "fileio")], status=0, stdout=bool)


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_proc_self(libc, how):
    exe = sample(libc, "proc_self")
    prog = str(exe) if how == "absolute" else str(exe.relative_to(ROOT))
    run_sample([prog], status=0, stdout=lambda out: out.count(b"yes") == 3)


@pytest.mark.parametrize("libc", LIBCS)
def test_null_deref(libc):
    run_sample([sample(libc, "null_deref")], status=-11)


def test_hello178():
    run_sample([SAMPLES / "hello178"], status=0, stdout=b"Hello world\n")
