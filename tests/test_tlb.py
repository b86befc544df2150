"""Sizing Unicorn's TLB to the guest (emulator/machine/tlb.py): the table grows with the guest's memory,
and the growing is invisible to the guest (same output as native, same registers and maps)."""

import pytest

from emulator.errors import ProcessExit
from emulator.machine.memory import PAGE
from emulator.machine.tlb import FIRST_ENTRIES, MAX_ENTRIES, entries_for
from tests.conftest import HELLO178, run_native, sample


def run_in_process(argv):
    """Run a guest in this process to its exit; the Process is returned for inspection."""
    from emulator.task.process import Process
    from syscalls import dispatch

    p = Process(dispatch.on_syscall, report_unimplemented=False)
    p.load(str(argv[0]), [str(a).encode() for a in argv], [])
    with pytest.raises(ProcessExit) as info:
        p.run()
    return p, info.value.status


def accessible_in_vmas(mem) -> int:
    return sum(v.end - v.start for v in mem.vmas if v.prot and not v.growsdown)


def test_entries_for_follows_qemus_bounds():
    assert entries_for(0) == FIRST_ENTRIES
    assert entries_for(FIRST_ENTRIES * PAGE) == FIRST_ENTRIES
    assert entries_for(FIRST_ENTRIES * PAGE + 1) == 2 * FIRST_ENTRIES
    assert entries_for(20 << 20) == 8192
    assert entries_for(8 << 30) == MAX_ENTRIES


def test_small_program_keeps_the_first_table(capfd):
    p, status = run_in_process([HELLO178])
    assert (status, capfd.readouterr().out) == (0, "Hello world\n")
    assert p.tlb.entries == FIRST_ENTRIES


@pytest.mark.parametrize("libc", ["glibc", "musl"])
def test_sieve_grows_the_table_and_matches_native(libc, capfd):
    prog = sample(libc, "bench_sieve")
    native = run_native([prog, "6000000"])
    assert native.returncode == 0 and native.stdout
    p, status = run_in_process([prog, "6000000"])
    assert capfd.readouterr().out.encode() == native.stdout
    assert status == native.returncode == 0
    assert p.tlb.entries >= entries_for(6_000_000)  # the 6 MB array is reached
    assert p.mem.accessible == accessible_in_vmas(p.mem)


@pytest.mark.parametrize("name", ["mmap8g", "hotpatch"])
def test_accessible_bytes_track_mmap_munmap_mprotect(name, capfd):
    """The running count the trigger uses agrees with the map after mmap/munmap/mprotect churn."""
    prog = sample("glibc", name)
    native = run_native([prog])
    p, status = run_in_process([prog])
    assert native.returncode == 0 and native.stdout
    assert capfd.readouterr().out.encode() == native.stdout
    assert status == native.returncode
    assert p.mem.accessible == accessible_in_vmas(p.mem)


def test_scratch_pages_are_gone_afterwards(capfd):
    """The pages the growing loop read are unmapped again: the guest cannot reach them."""
    p, _ = run_in_process([sample("glibc", "mmap8g")])
    capfd.readouterr()
    assert p.tlb.entries == MAX_ENTRIES
    for begin, end, _perms in p.uc.mem_regions():  # every page Unicorn maps is a guest mapping's
        assert p.mem.covered(begin, end + 1), hex(begin)
