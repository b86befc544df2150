"""POSIX timers (syscalls/handlers/timers.py), natively vs elfemu: the program's output, and the trace
lines against the real strace (its --- SIGALRM {si_code=SI_TIMER, ...} --- line included)."""

import re

import pytest

from tests.conftest import PROGS, contains, diff, run_both, traces

PROG = PROGS / "posix_timers.c"


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_posix_timers_match_native(build, cc):
    run_both([build(PROG, cc)], status=0, stdout=contains(b"hits=1 code=-2 value=77 overrun=0"))


def test_posix_timer_trace_like_strace(tmp_path, build):
    a, b = traces(build(PROG), tmp_path=tmp_path)

    def timer_lines(lines):
        return [re.sub(r"tv_nsec=\d+", "tv_nsec=N", line) for line in lines
                if line.startswith(("timer_", "--- SIGALRM"))]

    assert timer_lines(a) == timer_lines(b), diff(timer_lines(a), timer_lines(b))
    assert any("si_code=SI_TIMER, si_timerid=0, si_overrun=0, si_int=77" in line for line in b)
    assert len(timer_lines(b)) >= 12
