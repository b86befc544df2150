"""The guest's vDSO: libc finds it through AT_SYSINFO_EHDR and reads the clocks without a
syscall, as natively, so `elfemu trace` shows what strace shows; the time it reads is the host's."""

import re
import subprocess

import pytest

from emulator.image import vdso
from tests.conftest import (
    COMPILERS,
    LIBCS,
    PROGS,
    assert_same,
    diff,
    gdb_session,
    load_debugger,
    need_tool,
    run_emu,
    run_native,
    traces,
)

pytestmark = pytest.mark.skipif(not vdso.available(), reason="no vDSO on this host (make install builds it)")


@pytest.fixture(scope="module", params=LIBCS)
def clocks_prog(request, build):
    return build(PROGS / "vdso_clocks.c", COMPILERS[request.param])


def test_clocks_like_native(clocks_prog):
    """Every clock, gettimeofday, time, getres, sched_getcpu: the same facts as natively."""
    assert_same(run_native([clocks_prog]), run_emu([clocks_prog]), status=0, stdout=bool)


def test_clock_calls_do_not_show_in_trace(clocks_prog, tmp_path):
    """strace -e trace=%clock natively shows only the call with a bad clock id (the vDSO falls
    back to the syscall); elfemu's trace must show exactly that too."""
    native, emu = traces(clocks_prog, options=["-e", "trace=%clock,gettimeofday,time,getcpu"], tmp_path=tmp_path)
    assert native == emu, diff(native, emu)
    assert any(line.startswith("clock_gettime(0x4d2 /* CLOCK_??? */, ") for line in emu)


def test_dynamic_glibc_uses_vdso(build):
    """ld.so links the vDSO in (DT_GNU_HASH, versions) for a dynamically linked program."""
    exe = build(PROGS / "vdso_clocks.c", link="dynamic")
    r = run_emu([exe], command="trace", options=["-e", "trace=clock_gettime,gettimeofday,time,clock_getres"])
    assert_same(run_native([exe]), subprocess.CompletedProcess(r.args, r.returncode, r.stdout, b""), status=0,
                stdout=bool)
    calls = [line for line in r.stderr.decode().splitlines() if "(" in line]
    assert len(calls) == 1 and calls[0].startswith("clock_gettime(0x4d2 /* CLOCK_??? */, "), calls


@pytest.mark.parametrize("cat", [["/bin/cat"], ["busybox", "cat"]], ids=["dynamic", "static"])
def test_maps_show_vdso_and_vvar(cat):
    """Linux's three named mappings, adjacent, as natively."""
    cat = [need_tool(cat[0]), *cat[1:]]
    maps = run_emu([*cat, "/proc/self/maps"])
    lines = {line.split()[-1]: line.split() for line in maps.stdout.decode().splitlines() if line.endswith("]")}
    assert lines["[vvar]"][1] == "r--p" and lines["[vvar_vclock]"][1] == "r--p" and lines["[vdso]"][1] == "r-xp"
    assert lines["[vvar]"][0].split("-")[1] == lines["[vvar_vclock]"][0].split("-")[0]
    assert lines["[vvar_vclock]"][0].split("-")[1] == lines["[vdso]"][0].split("-")[0]


def test_auxv_has_sysinfo_ehdr():
    r = run_emu(["/bin/cat", "/proc/self/auxv"])
    words = [int.from_bytes(r.stdout[i:i + 8], "little") for i in range(0, len(r.stdout), 8)]
    pairs = dict(zip(words[::2], words[1::2]))
    maps = run_emu(["/bin/cat", "/proc/self/maps"]).stdout.decode()
    vdso_line = next(line for line in maps.splitlines() if line.endswith("[vdso]"))
    assert pairs[33] == int(vdso_line.split("-")[0], 16)
    assert words[0] == 33  # first, as Linux's ARCH_DLINFO puts it


ACCURACY_C = r"""
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
static long long vdso_ns(clockid_t c) { struct timespec t; clock_gettime(c, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
static long long sys_ns(clockid_t c) { struct timespec t; syscall(SYS_clock_gettime, c, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
int main(void) {
    static const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_MONOTONIC_RAW, CLOCK_TAI};
    long long end = vdso_ns(CLOCK_MONOTONIC) + 1000000000LL;
    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < 5; i++) {
            long long v = vdso_ns(clocks[i]), s = sys_ns(clocks[i]);
            printf("%d %lld\n", clocks[i], s - v);
        }
        while (vdso_ns(CLOCK_MONOTONIC) < end)
            ;
    }
    return 0;
}
"""


def test_accuracy_against_host_clock(build):
    """Each clock read through the vDSO, then at once through the real syscall (which asks the
    host): at start and after a second of busy reading, the vDSO's value is at most the
    syscall's latency behind, never ahead by more than calibration error."""
    r = run_emu([build(ACCURACY_C)])
    assert r.returncode == 0, r.stderr
    rows = [tuple(int(x) for x in line.split()) for line in r.stdout.decode().splitlines()]
    assert len(rows) == 10
    for clock, lag in rows:
        assert -200_000 <= lag < 3_000_000, (clock, lag)  # ns: syscall's value minus the vDSO's


def test_vdso_code_is_steppable_under_gdb(clocks_prog):
    """gdb finds the vDSO through the auxv (its symbols included) and steps through it like any code."""
    text, _, _, _ = gdb_session(clocks_prog, ["break main", "continue", "break __vdso_clock_gettime", "continue",
                                              "info symbol $pc", "stepi 4", "info symbol $pc", "kill"])
    assert re.search(r"Breakpoint 2, 0x00007fff\w+ in clock_gettime \(\)", text), text  # gdb names the alias
    assert text.count("of system-supplied DSO at 0x") == 2, text
    assert "clock_gettime + " in text, text


SPIN_C = r"""
#include <stdio.h>
#include <time.h>
static long long ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
int main(void) {
    long long end = ns() + 20000000LL, n = 0;
    while (ns() < end)
        n++;
    printf("spun %lld times\n", n);
    return 0;
}
"""


def test_reverse_execution_replays_vdso_time(build, capfd):
    """The debugger records what each rdtsc read and replays it: re-executing a loop that waits
    for the vDSO's clock takes exactly the recorded path (no syscall is there to record)."""
    proc, dbg = load_debugger(build(SPIN_C))
    assert dbg.cont().reason == "exited"
    end = dbg.icount
    first = capfd.readouterr().out
    assert first.startswith("spun ")
    for n in (end * 3 // 4, end // 3):
        dbg.goto(n)
        assert dbg.icount == n
        assert dbg.cont().reason == "exited" and dbg.icount == end
    assert capfd.readouterr().out == ""


def test_without_vdso_the_syscalls_answer(clocks_prog):
    """ELFEMU_VDSO=0 (as without vdso.so or an invariant TSC): no mappings, no auxv entry, and libc's
    clock calls become syscalls that elfemu answers, with the same results."""
    import os

    env = dict(os.environ, ELFEMU_VDSO="0")
    assert_same(run_native([clocks_prog]), run_emu([clocks_prog], env=env), status=0, stdout=bool)
    maps = run_emu(["/bin/cat", "/proc/self/maps"], env=env).stdout.decode()
    assert "[vdso]" not in maps and "[vvar]" not in maps
    r = run_emu([clocks_prog], command="trace", options=["-e", "trace=clock_gettime"], env=env)
    assert r.stderr.decode().count("clock_gettime(CLOCK_MONOTONIC,") > 1000
