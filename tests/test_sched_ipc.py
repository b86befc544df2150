"""Scheduling, priorities, capabilities, memory policies and System V IPC: natively vs under elfemu,
and their trace lines against the real strace."""

import pytest

from tests.conftest import ROOT, assert_same, build_static, need_tool, run_emu, run_native
from tests.test_trace import diff, traces

PROGS = ROOT / "tests" / "progs"


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_sched_calls_match_native(tmp_path, cc):
    exe = build_static(cc, PROGS / "sched_calls.c", tmp_path / "sched_calls")
    native = run_native([exe])
    assert b"raw getpriority: 15" in native.stdout and b"ioprio_get: 16391" in native.stdout
    assert_same(native, run_emu([exe]), stderr=True)


# The E2BIG sched_setattr prints "{size=8} => {size=56}" in strace: a value it reads on entry and on
# exit, which elfemu's one-time argument printers do not do; getcpu's cpu is whichever cpu ran it.
UNCOMPARED = ("sched_setattr(0, {size=8}", "getcpu(")


def test_sched_calls_trace_like_strace(tmp_path):
    exe = build_static("gcc", PROGS / "sched_calls.c", tmp_path / "sched_calls")
    a, b = traces(exe, tmp_path=tmp_path)
    a, b = ([x for x in lines if not x.startswith(UNCOMPARED)] for lines in (a, b))
    assert a == b, diff(a, b)
    assert any(x.startswith("capget({version=_LINUX_CAPABILITY_VERSION_3, pid=0}, {effective=") for x in b)
    assert "sched_getscheduler(0) = 3 (SCHED_BATCH)" in b


BUSYBOX_SCHED = [
    ["nice", "-n", "5", "nice"],
    ["busybox", "sh", "-c", "renice -n 4 -p $$; nice; renice -n -2 -p $$; nice; renice -n 1 -p 999999; echo $?"],
    ["busybox", "ionice"],
    ["busybox", "ionice", "-c", "2", "-n", "3", "busybox", "ionice"],
    ["busybox", "ionice", "-c", "3", "busybox", "ionice"],
    ["busybox", "ionice", "-c", "7"],
    ["busybox", "ionice", "-p", "1"],
]


@pytest.mark.parametrize("argv", BUSYBOX_SCHED, ids=lambda a: " ".join(a)[:40])
def test_priority_tools_match_native(argv):
    argv = [need_tool(argv[0]), *argv[1:]]
    assert_same(run_native(argv), run_emu(argv), stderr=True)
