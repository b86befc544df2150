"""vfork and CLONE_VM|CLONE_VFORK (posix_spawn), differential: what the child writes before it
execs or exits is what the parent reads (emulator/task/vforkmem.py), natively and under elfemu, with
`elfemu run` and with `elfemu trace -f`. tests/progs/vfork_share.c is built with gcc -static
and musl-gcc -static."""

import re

import pytest

from tests.conftest import PROGS, assert_same, contains, run_emu, run_native, step

EXPECTED = (
    b"vfork: status=3 global=42 local=7 heap=child anon=cx bss=b\n",
    b"vfork exec error: status=127 err=ENOENT\n",
    b"vfork exec ok: status=0 before=5\n",
    b"vfork killed: status=1015 mark=9\n",
    b"vfork then fork: status=0 a=1 b=2\n",
    b"posix_spawnp nonexistent-elfemu-prog: rc=ENOENT status=-1\n",
    b"posix_spawn /etc/passwd: rc=EACCES status=-1\n",
    b"posix_spawn /bin/true: rc=0 status=0\n",
    b"20 spawns of a missing program: all ENOENT\n",
    b"system: 5\n",
    b"popen: popen works\n",
)


@pytest.fixture(scope="module", params=["gcc", "musl-gcc"], ids=["glibc", "musl"])
def vfork_share(request, build):
    return build(PROGS / "vfork_share.c", request.param)


def test_vfork_child_writes_reach_parent(vfork_share):
    native, emu = run_native([vfork_share]), run_emu([vfork_share])
    assert_same(native, emu, status=0, stdout=contains(*EXPECTED))


def test_vfork_under_trace_f(vfork_share, tmp_path):
    log = tmp_path / "trace"
    native = run_native([vfork_share])
    emu = run_emu([vfork_share], command="trace", options=["-f", "-o", log])
    assert_same(native, emu, status=0, stdout=contains(*EXPECTED))
    trace = log.read_text()
    assert "Traceback" not in trace
    assert 'execve("/nonexistent/elfemu-prog", ["nonexistent-elfemu-prog"], ' in trace
    assert "+++ exited with 3 +++" in trace
    assert "+++ killed by SIGTERM +++" in trace


def test_stepper_replays_the_child_writes(vfork_share):
    """Reverse execution re-runs the vfork from its record: the parent sees the child's writes
    again (the pages come back through AddressSpace.write, which the recorder captures)."""
    from emulator.image.symbols import load_symbols

    addr = load_symbols(str(vfork_share)).address("global_var")
    show = f"x/dw {addr:#x}\n"
    out, _ = step(vfork_share, f"b vfork_exec_error\nc\n{show}rc\n{show}c\n{show}q\n")
    assert re.findall(r"<global_var>:\s+(\d+)", out) == ["42", "1", "42"]
