"""Dynamically linked host programs (beyond the static programs elfemu targets) run: the host's
ld.so is loaded as PT_INTERP and maps libc with file-backed mmap. Native and emulated runs must
agree."""

import os

import pytest

from tests.conftest import ROOT, run_both

ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}
PROGRAMS = [
    ["/usr/bin/sha256sum", "README.md"],
    ["/usr/bin/sort", "-r", "README.md"],
    ["/usr/bin/grep", "-c", "elfemu", "README.md"],
    ["/usr/bin/date", "-d", "@0"],
    ["/usr/bin/find", "samples/src", "-name", "*.c"],
    ["/usr/bin/env"],
    ["/bin/bash", "-c", "for i in 1 2 3; do echo $i; done | tac; echo ${BASH_VERSINFO[0]}"],
    ["/bin/ls", "-l", "--time-style=+%Y", "samples/src"],
]


@pytest.mark.parametrize("argv", PROGRAMS, ids=[os.path.basename(a[0]) for a in PROGRAMS])
def test_dynamic_program_matches_native(argv):
    run_both(argv, status=0, stdout=bool, stderr=True, cwd=ROOT, env=ENV)
