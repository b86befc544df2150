"""prctl: the task name is the emulated process's (also via /proc/self/comm); the rest is the host's."""

import pytest

from tests.conftest import ROOT, assert_same, build_static, run_emu, run_native


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_prctl_matches_native(tmp_path, cc):
    exe = build_static(cc, ROOT / "tests" / "progs" / "prctl_name.c", tmp_path / "prctl_name")
    native = run_native([exe])
    assert b"comm=worker-7" in native.stdout
    assert_same(native, run_emu([exe]), stderr=True)


def test_prctl_capability_options_trace_like_strace(tmp_path):
    """PR_CAPBSET_*, PR_CAP_AMBIENT, securebits, keepcaps, timerslack, THP: same results and the
    same decoded lines as the real strace."""
    from tests.test_trace import traces

    exe = build_static("gcc", ROOT / "tests" / "progs" / "prctl_caps.c", tmp_path / "prctl_caps")
    a, b = traces(exe, options=["-e", "trace=prctl"], tmp_path=tmp_path)
    assert a == b
    assert "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0) = 0" in b
