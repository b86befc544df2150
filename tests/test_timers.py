"""POSIX timers (syscalls/handlers/timers.py), natively vs elfemu: the program's output, and the trace
lines against the real strace (its --- SIGALRM {si_code=SI_TIMER, ...} --- line included)."""

import re
from pathlib import Path

import pytest

from tests.conftest import assert_same, build_static, need_tool, run_emu, run_native
from tests.test_trace import traces

PROG = Path(__file__).parent / "progs" / "posix_timers.c"


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_posix_timers_match_native(tmp_path, cc):
    exe = build_static(cc, PROG, tmp_path / "posix_timers")
    native, emu = run_native([exe]), run_emu([exe])
    assert_same(native, emu)
    assert b"hits=1 code=-2 value=77 overrun=0" in emu.stdout


def test_posix_timer_trace_like_strace(tmp_path):
    need_tool("strace")
    exe = build_static("gcc", PROG, tmp_path / "posix_timers")
    a, b = traces(exe, tmp_path=tmp_path)

    def timer_lines(lines):
        return [re.sub(r"tv_nsec=\d+", "tv_nsec=N", line) for line in lines
                if line.startswith(("timer_", "--- SIGALRM"))]

    assert timer_lines(a) == timer_lines(b), (a, b)
    assert any("si_code=SI_TIMER, si_timerid=0, si_overrun=0, si_int=77" in line for line in b)
    assert len(timer_lines(b)) >= 12
