"""`elfemu syscalls`, docs/syscalls.md and the table's support levels (syscalls/support.py).

The page is generated from the rows, so a test regenerates it and fails when the file in the
tree differs, as gVisor's compatibility page is kept. Rows whose note says Linux itself answers
ENOSYS are checked against this host's kernel, so the note cannot be wrong unnoticed.
"""

import re

from emulator.abi.syscall_numbers import NR
from syscalls import support
from syscalls.table import ROWS
from tests.conftest import ROOT, run_both, run_emu


def test_listing_names_every_call_with_its_number_level_and_note():
    res = run_emu([], command="syscalls")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.decode().splitlines()
    assert lines[0].split() == ["NAME", "NR", "LEVEL", "NOTE"]
    rows = {fields[0]: fields for fields in (line.split(None, 3) for line in lines[1:-1])}
    assert len(rows) == len(ROWS) == len(NR) == 381
    assert rows["read"] == ["read", "0", "full"]
    assert rows["ptrace"][1:3] == ["101", "ENOSYS"] and "tracer" in rows["ptrace"][3]
    assert rows["clone"][1:3] == ["56", "partial"] and "CLONE_VM" in rows["clone"][3]
    assert rows["file_setattr"][1] == "469"
    n = support.counts()
    assert lines[-1] == f"381 calls: {n['full']} full, {n['partial']} partial, {n['enosys']} ENOSYS"
    assert n["enosys"] >= 112 and n["partial"] > 0


def test_bad_arguments_are_a_usage_line():
    res = run_emu(["--html"], command="syscalls")
    assert res.returncode == 2 and res.stdout == b""
    assert res.stderr.decode().startswith("usage: elfemu syscalls")


def test_docs_page_is_what_the_table_generates():
    res = run_emu(["--markdown"], command="syscalls")
    assert res.returncode == 0, res.stderr
    page = (ROOT / "docs" / "syscalls.md").read_text()
    assert res.stdout.decode() == page, "docs/syscalls.md is stale: run `make docs`"
    assert "| 101 | ptrace | ENOSYS |" in page


def test_every_row_says_its_level_and_why():
    for spec in ROWS:
        level, note = spec.support
        assert level in support.LEVELS, spec.name
        assert bool(note) == (level != "full"), spec.name  # partial and ENOSYS say why; full needs no note
        if spec.handler is None:
            assert level == "enosys", f"{spec.name} has no handler but is not marked enosys"


def test_numbers_come_from_abi_and_every_named_number_exists():
    assert {spec.name: spec.nr for spec in ROWS} == NR
    used = set()
    for path in [*(ROOT / "emulator").rglob("*.py"), *(ROOT / "syscalls").rglob("*.py")]:
        used.update(re.findall(r'\bNR\["([a-z0-9_]+)"\]', path.read_text()))
    assert used and used <= set(NR), sorted(used - set(NR))


def test_calls_linux_itself_leaves_out_are_enosys_natively_too(build):
    """The notes that say 'Linux returns ENOSYS too' are checked against the host kernel."""
    exe = build(ROOT / "tests" / "progs" / "raw_syscall.c")
    nrs = [str(spec.nr) for spec in ROWS if spec.support.level == "enosys" and "ENOSYS too" in spec.support.note]
    assert len(nrs) >= 10
    run_both([exe, *nrs], status=0, stdout="".join(f"{nr} -38\n" for nr in nrs).encode())  # -ENOSYS
