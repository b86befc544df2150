"""Bad input never gives a Python traceback: every syscall number with nonsense arguments,
run and traced (the printers must cope with bad pointers too)."""

import pytest

from tests.conftest import PROGS, run_emu


@pytest.fixture(scope="module")
def sweep(build):
    return build(PROGS / "syscall_sweep.c")


@pytest.mark.parametrize("command,options", [("run", []), ("trace", ["-f", "-y", "-T", "-s", "100"]), ("trace", ["-c"])])
def test_every_syscall_with_bad_arguments(sweep, tmp_path, command, options):
    if command == "trace":
        options = [*options, "-o", str(tmp_path / "trace")]
    res = run_emu([sweep], command=command, options=options)
    assert b"Traceback" not in res.stderr, res.stderr.decode(errors="replace")[-3000:]
    assert res.returncode == 0
    assert res.stdout.startswith(b"swept ")
    for line in res.stderr.decode().splitlines():  # only the once-per-syscall ENOSYS reports
        assert line.startswith("elfemu: unimplemented syscall"), line
