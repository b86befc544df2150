"""prctl: the task name is the emulated process's (also via /proc/self/comm); the rest is the host's."""

import pytest

from tests.conftest import ROOT, assert_same, build_static, run_emu, run_native


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_prctl_matches_native(tmp_path, cc):
    exe = build_static(cc, ROOT / "tests" / "progs" / "prctl_name.c", tmp_path / "prctl_name")
    native = run_native([exe])
    assert b"comm=worker-7" in native.stdout
    assert_same(native, run_emu([exe]), stderr=True)
