"""Guest-argument fuzzing (tests/progs/argfuzz.c): with a fixed seed, thousands of system calls
with random arguments (pointers into mapped, unmapped, read-only and PROT_NONE memory, huge and
negative lengths, bad fds, flags and structs). elfemu must never end in a traceback, an internal
error or a hang, and each call of the deterministic subset must give Linux's result, except the
known divergences listed in tests/argfuzz_known.txt. `make fuzz SEED=N` runs 200,000 calls.

Both runs work in scratch directories whose paths have the same length (getcwd's result)."""

import errno
import os

import pytest

from syscalls.table import BY_NAME
from tests.conftest import ROOT, run_emu, run_native

SEED = int(os.environ.get("ARGFUZZ_SEED", "1"))
CALLS = int(os.environ.get("ARGFUZZ_CALLS", "20000"))


def known_divergences() -> set[tuple[int, str, str]]:
    """(nr, Linux's result, elfemu's result) from tests/argfuzz_known.txt."""
    known = set()
    for line in (ROOT / "tests" / "argfuzz_known.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, native, emu = line.split()[:3]
            known.add((BY_NAME[name].nr, native, emu))
    return known


def result_name(text: str) -> str:
    value = int(text)
    return errno.errorcode.get(-value, text) if value < 0 else text


@pytest.fixture(scope="module")
def argfuzz(build):
    return build(ROOT / "tests" / "progs" / "argfuzz.c")


def test_fuzzed_arguments_match_linux(argfuzz, tmp_path):
    (tmp_path / "n").mkdir()
    (tmp_path / "e").mkdir()
    native = run_native([argfuzz, SEED, CALLS], cwd=tmp_path / "n", stdin=open(os.devnull), timeout=600)
    assert native.returncode == 0, native.stderr
    lines = native.stdout.decode().splitlines()
    assert len(lines) == CALLS
    results = [line.split()[2] for line in lines]
    # the fuzzer does reach the kernel: calls that succeed, and calls that fault
    assert sum(r.isdigit() for r in results) > CALLS // 10
    assert results.count(str(-errno.EFAULT)) > CALLS // 50

    emu = run_emu([argfuzz, SEED, CALLS], cwd=tmp_path / "e", stdin=open(os.devnull), timeout=max(300, CALLS // 40))
    stderr = emu.stderr.decode(errors="replace")
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-3000:]
    for line in stderr.splitlines():
        assert line.startswith("elfemu: unimplemented syscall"), line
    assert emu.returncode == 0
    emu_lines = emu.stdout.decode().splitlines()
    assert len(emu_lines) == CALLS

    known = known_divergences()
    unexpected = []
    for ours, theirs in zip(emu_lines, lines):
        if ours == theirs:
            continue
        i, nr, native_ret = theirs.split()
        _, emu_nr, emu_ret = ours.split()
        assert emu_nr == nr, (ours, theirs)
        linux, elfemu = result_name(native_ret), result_name(emu_ret)
        if (int(nr), linux, elfemu) in known or int(native_ret) >= 0 and (int(nr), "N", elfemu) in known:
            continue
        unexpected.append(f"call {i}: syscall {nr}: Linux {linux}, elfemu {elfemu}")
    assert not unexpected, f"seed {SEED}: {len(unexpected)} unexpected differences:\n" + "\n".join(unexpected[:40])
