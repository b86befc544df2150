"""prctl: the task name is the emulated process's (also via /proc/self/comm); the rest is the host's."""

import subprocess

import pytest

from tests.conftest import ROOT, assert_same, run_emu, run_native


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_prctl_matches_native(tmp_path, cc):
    exe = tmp_path / "prctl_name"
    subprocess.run([cc, "-static", "-O1", "-o", exe, ROOT / "tests" / "progs" / "prctl_name.c"], check=True)
    native = run_native([exe])
    assert b"comm=worker-7" in native.stdout
    assert_same(native, run_emu([exe]), stderr=True)
