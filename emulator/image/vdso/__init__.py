"""The guest's vDSO: [vvar] + [vvar_vclock] + [vdso] pages and AT_SYSINFO_EHDR, as Linux gives.

Without one, glibc and musl make real clock_gettime/gettimeofday/time/getcpu syscalls, which
`elfemu trace` shows and strace of the native program does not. vdso.c (built by `make install`
into vdso.so here) reads the clocks from the host's TSC, which Unicorn's rdtsc returns unchanged,
and a vvar page written at exec: a TSC reading, each clock's value then, and the ns per tick
measured against the host's clock_gettime. No vdso.so, a host TSC that is not invariant
(constant_tsc + nonstop_tsc), or ELFEMU_VDSO=0: no vDSO, the syscalls answer as before.
"""

import ctypes
import mmap
import os
import struct
import time

from emulator.abi.constants import (
    CLOCK_BOOTTIME,
    CLOCK_MONOTONIC,
    CLOCK_MONOTONIC_COARSE,
    CLOCK_MONOTONIC_RAW,
    CLOCK_REALTIME,
    CLOCK_REALTIME_COARSE,
    CLOCK_TAI,
)
from emulator.machine.memory import PAGE, PROT_EXEC, PROT_READ

IMAGE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vdso.so")
VVAR_PAGES, VCLOCK_PAGES, VDSO_PAGES = 4, 2, 2  # what Linux 6.x maps
# struct vvar in vdso.c: valid, clocks, tsc0, mult, coarse_res, cpu, node, base[12]
VVAR_FORMAT = "<IIQQqII12q"
# The clocks Linux's vDSO reads without a syscall: REALTIME, MONOTONIC, MONOTONIC_RAW, BOOTTIME and TAI
# from the TSC, the _COARSE ones at full resolution from REALTIME's and MONOTONIC's base.
FINE_CLOCKS = (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME, CLOCK_TAI)
COARSE_OF = {CLOCK_REALTIME_COARSE: CLOCK_REALTIME, CLOCK_MONOTONIC_COARSE: CLOCK_MONOTONIC}
CALIBRATION_NS = 2_000_000  # TSC vs CLOCK_MONOTONIC over this long: ~1e-4 relative error at most
# rdtsc; shl rdx, 32; or rax, rdx; ret
_RDTSC_CODE = b"\x0f\x31\x48\xc1\xe2\x20\x48\x09\xd0\xc3"

_rdtsc = None  # the host_tsc() function, made on first use
_state = None  # None: not looked at yet; False: no vDSO on this host; else (image bytes, mult)


def _tsc_invariant() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    return "constant_tsc" in flags and "nonstop_tsc" in flags
    except OSError:
        pass
    return False


def _host_rdtsc():
    """The host's TSC as a ctypes function (a few bytes of code in an executable page)."""
    buf = mmap.mmap(-1, PAGE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    buf.write(_RDTSC_CODE)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    fn = ctypes.CFUNCTYPE(ctypes.c_uint64)(addr)
    fn.keep = buf  # the page lives as long as the function
    return fn


def host_tsc() -> int:
    """The host's TSC now (the debugger's rdtsc hook records it for replay)."""
    global _rdtsc
    if _rdtsc is None:
        _rdtsc = _host_rdtsc()
    return _rdtsc()


def _sample(rdtsc, clock: int) -> tuple[int, int]:
    """(tsc, ns of clock) read as close together as we can: the tightest of a few brackets."""
    best = None
    for _ in range(5):
        a = rdtsc()
        ns = time.clock_gettime_ns(clock)
        b = rdtsc()
        if best is None or b - a < best[0]:
            best = (b - a, (a + b) // 2, ns)
    return best[1], best[2]


def _calibrate(rdtsc, first: tuple[int, int]) -> int:
    """ns per TSC tick << 32, from two samples at least CALIBRATION_NS apart: the first taken when
    this module was imported, so elfemu's own start-up is (usually all of) the wait."""
    t0, n0 = first
    while time.clock_gettime_ns(time.CLOCK_MONOTONIC) - n0 < CALIBRATION_NS:
        pass
    t1, n1 = _sample(rdtsc, time.CLOCK_MONOTONIC)
    return ((n1 - n0) << 32) // (t1 - t0) if t1 > t0 else 0


def _wanted() -> bool:
    return os.environ.get("ELFEMU_VDSO", "1") != "0" and os.uname().machine == "x86_64" and os.path.exists(IMAGE_PATH)


def _load():
    global _state
    if _state is None:
        _state = False
        if _wanted() and _tsc_invariant():
            try:
                with open(IMAGE_PATH, "rb") as f:
                    image = f.read()
            except OSError:
                image = b""
            if image[:4] == b"\x7fELF" and len(image) <= VDSO_PAGES * PAGE:
                host_tsc()
                mult = _calibrate(_rdtsc, _FIRST_SAMPLE or _sample(_rdtsc, time.CLOCK_MONOTONIC))
                if mult:
                    _state = (image, mult)
    return _state


def available() -> bool:
    """Would a guest get a vDSO here (built, invariant TSC, not switched off)?"""
    return bool(_load())


def vvar_bytes(rdtsc, mult: int) -> bytes:
    """The vvar page's contents now: each clock's base is its reading moved back to one tsc0."""
    tsc0 = rdtsc()
    bases = [0] * 12
    for clock in FINE_CLOCKS:
        t, ns = _sample(rdtsc, clock)
        bases[clock] = ns - (((t - tsc0) * mult) >> 32)
    for coarse, fine in COARSE_OF.items():
        bases[coarse] = bases[fine]
    mask = sum(1 << c for c in (*FINE_CLOCKS, *COARSE_OF))
    coarse_res = round(time.clock_getres(CLOCK_MONOTONIC_COARSE) * 1_000_000_000)
    cpu = max(ctypes.CDLL(None).sched_getcpu(), 0)
    return struct.pack(VVAR_FORMAT, 1, mask, tsc0, mult, coarse_res, cpu, 0, *bases)


def install(mem) -> int:
    """Map a fresh vDSO into a new image (top-down, below the interpreter as Linux places it);
    returns the [vdso] address for AT_SYSINFO_EHDR, or 0 when there is none."""
    state = _load()
    if not state:
        return 0
    image, mult = state
    vvar_size, vclock_size, vdso_size = VVAR_PAGES * PAGE, VCLOCK_PAGES * PAGE, VDSO_PAGES * PAGE
    base = mem.find_free(vvar_size + vclock_size + vdso_size)
    if base is None:
        return 0
    mem.map(base, vvar_size, PROT_READ, "[vvar]")
    mem.map(base + vvar_size, vclock_size, PROT_READ, "[vvar_vclock]")
    vdso = base + vvar_size + vclock_size
    mem.map(vdso, vdso_size, PROT_READ | PROT_EXEC, "[vdso]")
    mem.poke(base, vvar_bytes(_rdtsc, mult))
    mem.poke(vdso, image)
    return vdso


# The calibration's first sample, as early as possible (see _calibrate).
_FIRST_SAMPLE = _sample(host_tsc, time.CLOCK_MONOTONIC) if _wanted() else None
