"""Real shells under elfemu: every script in shell_scripts/ run by busybox sh and bash-static,
natively and emulated, must print the same stdout and end with the same status.

Each shell runs its commands by fork + execve under emulation. PATH holds only a directory of
busybox applet links, so every command is the same static busybox both ways (bash would
otherwise find the host's dynamic coreutils). The scripts get $SAMPLES (samples/build) and a
private $TMPDIR. Core dumps are off both ways, so a SIGSEGV status is 139 in both.
"""

import os
import resource
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, assert_same, run_emu, run_native

SCRIPTS = sorted((Path(__file__).parent / "shell_scripts").glob("*.sh"))
SHELLS = {"busybox": ["/usr/bin/busybox", "sh"], "bash": ["/usr/bin/bash-static"]}
# How the scripts end that do not end with status 0 (09 kills itself with SIGTERM).
STATUS = {"06_trap_exit": 3, "07_trap_int": 4, "09_kill_self": -15}
APPLETS = ("cat chmod env expr find grep head ls mkdir mkfifo rm sed seq sh sleep sort tr uniq "
           "wc xargs yes true false printf echo kill test").split()


@pytest.fixture(scope="module")
def bbdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bb")
    for applet in APPLETS:
        (d / applet).symlink_to("/usr/bin/busybox")
    return d


def _no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def _run(runner, argv, bbdir: Path, tmp: Path):
    tmp.mkdir()
    env = {"PATH": str(bbdir), "SAMPLES": str(SAMPLES), "TMPDIR": str(tmp), "LC_ALL": "C", "HOME": str(tmp)}
    return runner(argv, env=env, cwd=str(Path(__file__).parent / "shell_scripts"), stdin=open(os.devnull),
                  preexec_fn=_no_core, timeout=120)


@pytest.mark.parametrize("shell", sorted(SHELLS))
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script(script: Path, shell: str, bbdir: Path, tmp_path: Path):
    assert (SAMPLES / "musl" / "null_deref").exists(), "run `make samples` first"
    argv = [*SHELLS[shell], script.name]
    native = _run(run_native, argv, bbdir, tmp_path / "native")
    emu = _run(run_emu, argv, bbdir, tmp_path / "emu")
    assert_same(native, emu, status=STATUS.get(script.stem, 0), stdout=bool)


def test_enough_scripts():
    assert len(SCRIPTS) >= 25
