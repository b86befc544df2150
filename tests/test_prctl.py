"""prctl: the task name is the emulated process's (also via /proc/self/comm); the rest is the host's."""

import pytest

from tests.conftest import PROGS, contains, run_both, traces


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_prctl_matches_native(build, cc):
    run_both([build(PROGS / "prctl_name.c", cc)], status=0, stdout=contains(b"comm=worker-7"), stderr=True)


def test_prctl_capability_options_trace_like_strace(tmp_path, build):
    """PR_CAPBSET_*, PR_CAP_AMBIENT, securebits, keepcaps, timerslack, THP: same results and the
    same decoded lines as the real strace."""
    a, b = traces(build(PROGS / "prctl_caps.c"), options=["-e", "trace=prctl"], tmp_path=tmp_path)
    assert a == b
    assert "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0) = 0" in b
