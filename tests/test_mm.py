"""Memory, information and time syscalls, differential: tests/mm_probe.c prints one line per check
(mmap/munmap/mprotect/mremap/madvise/msync/mincore/brk errors and effects, file and shared mappings,
rlimits, uname, sysinfo, getrandom, affinity, clocks and sleeps) and must print the same natively
and under elfemu, for glibc and musl. Plus AddressSpace unit checks: /proc/self/maps merging, and
splitting a huge sparse mapping without touching its pages.
"""

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import COMPILERS, ROOT, assert_same, need_tool, run_emu, run_native

PROBE = Path(__file__).with_name("mm_probe.c")
STACK = 8 << 20


@pytest.fixture(scope="module")
def probes(build):
    return {libc: build(PROBE, cc) for libc, cc in COMPILERS.items()}


def _stack_8m():
    resource.setrlimit(resource.RLIMIT_STACK, (STACK, resource.getrlimit(resource.RLIMIT_STACK)[1]))


@pytest.mark.parametrize("libc", ["glibc", "musl"])
def test_probe_matches_native(probes, libc, tmp_path):
    exe = probes[libc]
    native = run_native([exe, tmp_path / "native.dat"], preexec_fn=_stack_8m)
    emu = run_emu([exe, tmp_path / "emu.dat"], preexec_fn=_stack_8m)
    assert_same(native, emu, status=0, stdout=lambda out: len(out.splitlines()) > 20)


def _aspace():
    from emulator.machine.memory import AddressSpace
    from emulator.machine.unicorn_ffi import Uc
    return AddressSpace(Uc())


def test_maps_merges_adjacent_compatible():
    from emulator.machine.memory import PROT_READ, PROT_WRITE
    mem = _aspace()
    rw = PROT_READ | PROT_WRITE
    mem.map(0x10000, 0x1000, rw, "[heap]")
    mem.map(0x11000, 0x2000, rw, "[heap]")
    mem.map(0x20000, 0x1000, rw)
    mem.map(0x21000, 0x1000, PROT_READ)
    mem.map(0x22000, 0x1000, PROT_READ)
    lines = mem.maps_text().splitlines()
    assert [ln.split()[0] for ln in lines] == ["00010000-00013000", "00020000-00021000", "00021000-00023000"]
    assert lines[0].endswith("[heap]")
    mem.protect(0x11000, 0x1000, PROT_READ)  # a split shows three lines, as Linux would
    assert len(mem.maps_text().splitlines()) == 5
    mem.protect(0x11000, 0x1000, rw)
    assert len(mem.maps_text().splitlines()) == 3


def test_pieces_keep_contents_and_file_offsets():
    from emulator.machine.memory import PROT_READ, PROT_WRITE
    mem = _aspace()
    mem.map(0x40000, 0x4000, PROT_READ | PROT_WRITE, "/bin/x", offset=0x3000, inode=7, dev="08:01")
    mem.poke(0x40000, b"A" * 0x4000)
    mem.unmap(0x41000, 0x1000)
    mem.protect(0x43000, 0x1000, PROT_READ)
    assert [(v.start, v.offset) for v in mem.vmas] == [(0x40000, 0x3000), (0x42000, 0x5000), (0x43000, 0x6000)]
    assert mem.read(0x42ffe, 4) == b"AA" + b"A" * 2
    assert not mem.is_free(0x40000, 0x41000) and mem.is_free(0x41000, 0x42000)


RSS_SCRIPT = r"""
from emulator.machine.unicorn_ffi import Uc
from emulator.machine.memory import AddressSpace, PROT_READ, PROT_WRITE
mem = AddressSpace(Uc())
base = 0x7F00_0000_0000
mem.map(base, 8 << 30, PROT_READ | PROT_WRITE)
for i in range(4):
    mem.write(base + i * (2 << 30), b"x")
mem.protect(base + 4096, 4096, PROT_READ)
mem.unmap(base + (1 << 30), 4096)
assert mem.read(base + (4 << 30), 1) == b"x"
# VmHWM, not ru_maxrss: after fork+exec, ru_maxrss still counts the parent's (pytest's) pages.
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")))
"""


def test_split_of_huge_sparse_mapping_touches_nothing():
    """Unicorn copies a region to split it; host-owned pages (mem_map_ptr) split for free."""
    out = subprocess.run([sys.executable, "-c", RSS_SCRIPT], cwd=ROOT, capture_output=True, timeout=60, check=True)
    assert int(out.stdout) < 150 * 1024, out.stdout  # KiB


MAPS_SRC = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int use(int kb) { volatile char buf[1024]; buf[0] = kb; return kb <= 1 ? buf[0] : use(kb - 1) + buf[0]; }
int main(int argc, char **argv) {
    char line[512];
    printf("%d\n", use(atoi(argv[1])));
    free(malloc(300000));
    FILE *f = fopen("/proc/self/maps", "r");
    while (fgets(line, sizeof line, f))
        if (strstr(line, argv[0]) || strstr(line, "[stack]") || strstr(line, "[heap]")) fputs(line, stdout);
    return 0;
}
"""


@pytest.fixture(scope="module")
def maps_prog(build):
    return build(MAPS_SRC, opt="-O0")


@pytest.mark.parametrize("stack_kb", [10, 4000, 9000])
def test_maps_lines_match_linux_without_aslr(maps_prog, stack_kb):
    """The program's own lines (RELRO split off as Linux's VM_ACCOUNT does), [heap], and a
    [stack] that has grown to the lowest touched page; past RLIMIT_STACK: SIGSEGV. Natively
    with ASLR off (setarch -R) these lines are identical, addresses included."""
    setarch = need_tool("setarch")
    native = run_native([setarch, "-R", maps_prog, str(stack_kb)], preexec_fn=_stack_8m)
    emu = run_emu([maps_prog, str(stack_kb)], preexec_fn=_stack_8m)
    if stack_kb == 9000:
        assert_same(native, emu, status=-11)
    else:
        assert_same(native, emu, status=0, stdout=lambda out: out.count(b"[stack]") == 1 and out.count(b" r--p ") == 3)


@pytest.fixture(scope="module")
def past_eof(build):
    return build(ROOT / "tests" / "progs" / "mmap_past_eof.c")


@pytest.mark.parametrize("caught", [False, True])
def test_file_pages_past_eof_are_sigbus(past_eof, tmp_path, caught):
    """Linux: the last file page's tail reads as zeros, the next page is SIGBUS (BUS_ADRERR) to
    the CPU and EFAULT to a syscall; the guest dies by it, or its handler sees it."""
    extra = ["catch"] if caught else []
    native = run_native([past_eof, tmp_path / "native.dat", *extra])
    emu = run_emu([past_eof, tmp_path / "emu.dat", *extra])
    expected = b"in the file 3, rest of its page 0\nwrite from the page past EOF: -1 errno 14\n"
    if caught:
        expected += b"signal 7 code 2 offset 5\n"
    assert native.stdout == expected and native.returncode == (0 if caught else -7)
    assert (emu.returncode, emu.stdout) == (native.returncode, native.stdout), emu.stderr
