"""`make stress-threads`: the thread checks too long for the test suite.

1. The 8-thread counters at full size (8 x 1,000,000 with atomics, a cmpxchg spinlock and a
   mutex) for glibc static, glibc dynamic and musl static, natively and under elfemu.
2. 50 runs in a row of the 8-thread atomic counter under elfemu: the exact total every time,
   no deadlock (each run has a timeout), no crash.
Prints one line per check and exits 1 if any failed.
"""

import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import run_emu, run_native
from tests.test_threads import BUILDS, build_thread_prog

RUNS = 50
ITERS = 1_000_000


def check(argv, expected: bytes) -> tuple[bool, str]:
    t0 = time.monotonic()
    try:
        emu = run_emu(argv, timeout=900)
    except Exception as exc:  # a timeout is a deadlock here
        return False, f"{exc}"
    ok = emu.stdout == expected and emu.returncode == 0 and b"Traceback" not in emu.stderr
    return ok, f"{time.monotonic() - t0:.1f} s, status {emu.returncode}, {emu.stdout.decode(errors='replace').strip()}"


def main() -> int:
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        for build in BUILDS:
            exe = build_thread_prog(tmp_dir, "threads_counter", build)
            for mode in ("atomic", "spin", "mutex"):
                expected = f"{mode}: 8 threads, total {8 * ITERS}, ids 28\n".encode()
                native = run_native([exe, mode, 8, ITERS])
                ok, what = check([exe, mode, 8, ITERS], expected)
                ok = ok and native.stdout == expected
                failed += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {build} {mode} 8 x {ITERS}: {what}", flush=True)
        exe = build_thread_prog(tmp_dir, "threads_counter", "glibc-static")
        expected = f"atomic: 8 threads, total {8 * ITERS}, ids 28\n".encode()
        bad = 0
        t0 = time.monotonic()
        for i in range(RUNS):
            ok, what = check([exe, "atomic", 8, ITERS], expected)
            if not ok:
                bad += 1
                print(f"FAIL run {i + 1}: {what}", flush=True)
        failed += bad
        print(f"{'ok  ' if not bad else 'FAIL'} {RUNS} runs of the 8-thread atomic counter: {RUNS - bad} exact, "
              f"{time.monotonic() - t0:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
