"""The test helpers, in one place: build a test program, run it natively and under elfemu and
compare, trace it with strace and with elfemu and compare, drive gdb and the stepper.

A differential test passes only when both runs agree AND the native run did what the test
expects (`assert_same(..., status=..., stdout=...)`): two runs that fail the same way (a program
missing, a compile error, a native crash) must not pass. Trace comparisons mask only what varies
between any two runs (stack, heap, mmap and PIE addresses, pids, random bytes); every other
number, flag and return value compares exactly.
"""

import difflib
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "build"
PROGS = ROOT / "tests" / "progs"
HELLO178 = SAMPLES / "hello178"
LIBCS = ("glibc", "musl")
COMPILERS = {"glibc": "gcc", "musl": "musl-gcc"}
ELFEMU = [sys.executable, "-m", "emulator"]


def sample(libc: str, name: str) -> Path:
    path = SAMPLES / libc / name
    assert path.exists(), f"{path} is missing: run `make samples`"
    return path


def need_tool(name: str) -> str:
    """A host tool the test compares against; `make test` installs them, so absence is an error."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (make deps installs it)")
    return path


# ----- building test programs ----------------------------------------------------------------------
LINKS = {"static": ["-static"], "static-pie": ["-static-pie", "-fPIE"], "dynamic": []}


class Builder:
    """Compiles a C program once per session: `build(source, cc, *flags, link=..., opt=...)`.

    source is a path (tests/progs/x.c) or the C text itself; cc is gcc or musl-gcc; link is
    static, static-pie or dynamic. The executable is cached under the session's tmp dir by a hash
    of everything that went into it. A compile error fails the test with the compiler's message."""

    def __init__(self, cache: Path):
        self.cache = cache

    def __call__(self, source, cc: str = "gcc", *flags: str, link: str = "static", opt: str = "-O1") -> Path:
        text = source.read_text() if isinstance(source, Path) else source
        stem = source.stem if isinstance(source, Path) else "prog"
        key = hashlib.sha256(repr((text, cc, link, opt, flags)).encode()).hexdigest()[:12]
        exe = self.cache / f"{stem}-{cc}-{link}-{key}"
        if exe.exists():
            return exe
        src = self.cache / f"{stem}-{key}.c"
        src.write_text(text)
        r = subprocess.run([need_tool(cc), *LINKS[link], opt, "-w", "-o", str(exe) + ".part", str(src), *flags],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            pytest.fail(f"{cc} {stem} failed:\n{r.stderr}")
        os.rename(str(exe) + ".part", exe)
        return exe


@pytest.fixture(scope="session")
def build(tmp_path_factory) -> Builder:
    return Builder(tmp_path_factory.mktemp("build"))


# ----- running natively and under elfemu -----------------------------------------------------------
def run_native(argv, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 60)
    return subprocess.run([str(a) for a in argv], **kw)


def run_emu(argv, command: str = "run", options=(), **kw) -> subprocess.CompletedProcess:
    """elfemu COMMAND [OPTIONS] PROGRAM ARGS..., with the venv's python running this checkout."""
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 120)
    # No PYTHONPATH: the venv's editable install finds the package, and the guest's environment
    # is elfemu's, so anything added here would show up in the guest.
    env = dict(kw.pop("env", None) or os.environ)
    return subprocess.run([*ELFEMU, command, *map(str, options), *[str(a) for a in argv]], env=env, **kw)


class contains:
    """A check on the native stdout: every one of these byte strings is in it."""

    def __init__(self, *parts: bytes):
        self.parts = parts

    def __call__(self, out: bytes) -> bool:
        return all(p in out for p in self.parts)

    def __repr__(self):
        return f"contains{self.parts!r}"


def expect_native(native: subprocess.CompletedProcess, status, stdout=None):
    """The native run did what the test expects: exit status (an int, -SIGNO for a signal, or a
    tuple of the allowed ones) and/or stdout (the exact bytes, or a check such as `contains`)."""
    assert status is not None or stdout is not None, "say what the native run must do"
    shown = f"native run: status {native.returncode}\n{native.stdout[-2000:]!r}\n{native.stderr[-2000:]!r}"
    if status is not None:
        assert native.returncode in (status if isinstance(status, tuple) else (status,)), shown
    if isinstance(stdout, bytes):
        assert native.stdout == stdout, shown
    elif stdout is not None:
        assert stdout(native.stdout), f"{stdout!r} fails on the {shown}"


def assert_same(native, emu, *, status, stdout=None, stderr: bool = False):
    """The differential check: the native run did what the test expects (see expect_native), and
    elfemu's run printed the same stdout (and stderr when deterministic) and ended the same way."""
    expect_native(native, status, stdout)
    assert b"Traceback" not in emu.stderr, emu.stderr.decode(errors="replace")
    assert b"elfemu: internal error" not in emu.stderr, emu.stderr.decode(errors="replace")  # dispatch's net
    assert emu.stdout == native.stdout, emu.stderr.decode(errors="replace")[-3000:]
    if stderr:
        assert emu.stderr == native.stderr
    assert emu.returncode == native.returncode, emu.stderr.decode(errors="replace")


def run_both(argv, *, status, stdout=None, stderr: bool = False, **kw):
    """Run argv natively and under elfemu with the same arguments, assert_same; (native, emu)."""
    native, emu = run_native(argv, **kw), run_emu(argv, **kw)
    assert_same(native, emu, status=status, stdout=stdout, stderr=stderr)
    return native, emu


def no_core():
    """preexec_fn: no core dumps (a guest killed by a signal is then reported alike both ways)."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


# ----- traces: elfemu against the real strace ------------------------------------------------------
HEX = re.compile(r"\b0x[0-9a-f]+\b")
# Where Linux puts what ASLR moves: a PIE's image (ELF_ET_DYN_BASE, 2/3 of TASK_SIZE, plus up to 2^28
# pages: arch/x86/include/asm/elf.h), and the mmap area, vDSO and stack below TASK_SIZE (mmap_base
# moves by up to 2^28 pages too: arch/x86/mm/mmap.c). elfemu's stack (0x7fff_ffff_f000 down) and
# mmap area (0x7fff_f7ff_f000 down) are there too.
VARYING = ((0x5500_0000_0000, 0x5700_0000_0000), (0x7e00_0000_0000, 0x8000_0000_0000))
BRK_VALUE = re.compile(r"\bbrk\((?:NULL|0|0x[0-9a-f]+)\) += (0x[0-9a-f]+)")
RANDOM = re.compile(r'getrandom\("[^"]*"(\.\.\.)?')
PAD = re.compile(r" +(= [^=]*)$")
PID_CALLS = re.compile(r"^(?:\d+ +|\[pid +\d+\] )?(?:\[[ \d?]{4}\] )?(?:\[[0-9a-f?]{16}\] )?"
                       r"(?:set_tid_address|getpid|gettid|getppid|clone|fork|vfork|wait4)\(.*= (0x[0-9a-f]+|\d+)(?: |$)")


def pids_in(text: str) -> set[str]:
    found = set()
    for line in text.splitlines():
        m = PID_CALLS.match(line)
        if m and int(m.group(1), 0) > 0:  # (wait4's 0 is WNOHANG's nothing yet)
            found.add(str(int(m.group(1), 0)))  # -X raw prints them in hex
        found.update(re.findall(r"^(\d+) ", line))
        found.update(re.findall(r"\[pid +(\d+)\]", line))
        found.update(re.findall(r"si_pid=(\d+)", line))
        found.update(re.findall(r"elfemu-\w+-(\d+)", line))
    return found


def heap_range(text: str, prog) -> tuple[int, int]:
    """This run's heap: from its first break to its highest, as its brk calls returned them. When the
    trace does not show brk (a filter), where the heap can be: Linux starts it at a random page up to
    1 GiB past the end of the program's bss (arch_randomize_brk, 64-bit), and it grows from there."""
    breaks = [int(v, 16) for v in BRK_VALUE.findall(text)]
    if breaks:
        return min(breaks), max(breaks) + 1
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(prog, "rb") as f:
            end = max((s["p_vaddr"] + s["p_memsz"] for s in ELFFile(f).iter_segments("PT_LOAD")), default=0)
    except (ELFError, OSError):  # a script: its interpreter's heap shows in its brk calls, if anywhere
        return 0, 0
    return end, end + (1 << 30) + (64 << 20)


def mask(text: str, pids: set[str], heap: tuple[int, int]) -> list[str]:
    """A trace with what varies between runs replaced: addresses of the heap and of VARYING by 0xADDR,
    pids by PID, getrandom's bytes by RANDOM, and the padding before ` = ` that follows from widths."""
    ranges = [*VARYING, heap]

    def address(m):
        return "0xADDR" if any(lo <= int(m.group(), 16) < hi for lo, hi in ranges) else m.group()

    spellings = sorted({*pids, *(hex(int(p)) for p in pids)}, key=len, reverse=True)
    rx = re.compile(r"\b(" + "|".join(spellings) + r")\b") if pids else None
    out = []
    for line in text.splitlines():
        line = HEX.sub(address, RANDOM.sub('getrandom("RANDOM"', line))
        if rx is not None:
            line = rx.sub("PID", line)
        out.append(PAD.sub(r" \1", line))
    return out


def traces(prog, args=(), options=(), tmp_path=None, native_options=None, prepare=None, *, status=0, cwd=None):
    """(strace's lines, elfemu's lines), masked (after `prepare`, given each whole trace, if any).
    Both trace with -o files; both must exit with `status` (what strace reports for its tracee), so
    a program that failed under both tracers alike does not pass."""
    need_tool("strace")
    nat, emu = tmp_path / "native.trace", tmp_path / "emu.trace"
    nopts = list(options if native_options is None else native_options)
    env = dict(os.environ)  # both sides get exactly this environment (the execve line counts it)
    quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env, preexec_fn=no_core, cwd=cwd)
    n = subprocess.run(["strace", *nopts, "-o", str(nat), str(prog), *map(str, args)], stderr=subprocess.PIPE,
                       timeout=60, **quiet)
    assert n.returncode == status, f"strace {prog}: status {n.returncode}\n{n.stderr.decode(errors='replace')}"
    r = run_emu([prog, *args], command="trace", options=[*options, "-o", str(emu)], capture_output=False,
                stderr=subprocess.PIPE, **quiet)
    assert b"Traceback" not in r.stderr, r.stderr.decode(errors="replace")
    assert r.returncode == status, r.stderr.decode(errors="replace")
    n, e = nat.read_text(errors="replace"), emu.read_text(errors="replace")
    if prepare is not None:
        n, e = prepare(n), prepare(e)
    pids = pids_in(n) | pids_in(e)
    return mask(n, pids, heap_range(n, prog)), mask(e, pids, heap_range(e, prog))


def agreement(a: list[str], b: list[str]) -> float:
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    same = sum(block.size for block in sm.get_matching_blocks())
    return same / max(len(a), len(b), 1)


def diff(a, b) -> str:
    return "\n".join(difflib.unified_diff(a, b, "strace", "elfemu", lineterm="", n=1))


# ----- debugging: the real gdb, elfemu's stepper, the engine ---------------------------------------
def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def gdb_session(prog, commands, args=(), timeout=90):
    """Start elfemu --gdb, wait for its listening line, run gdb -batch with `commands`.

    Returns (gdb output, guest stdout, elfemu stderr, elfemu exit status)."""
    import select

    gdb = need_tool("gdb")
    port = free_port()
    emu = subprocess.Popen([*ELFEMU, "run", "--gdb", str(port), str(prog), *args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([emu.stderr], [], [], 30)
        assert ready, "elfemu did not start listening"
        first = emu.stderr.readline().decode()
        assert "waiting for gdb" in first, first
        argv = [gdb, "-batch", "-nx", "-ex", "set confirm off", str(prog), "-ex", f"target remote :{port}"]
        for c in commands:
            argv += ["-ex", c]
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        out, err = emu.communicate(timeout=timeout)
    finally:
        if emu.poll() is None:
            emu.kill()
            emu.wait()
    text = res.stdout + res.stderr
    assert "Traceback" not in err.decode(), err.decode()
    return text, out.decode(), err.decode(), emu.returncode


def native_gdb(prog, commands) -> str:
    """The same commands in a native gdb session (`run` instead of `continue` to start)."""
    return subprocess.run([need_tool("gdb"), "-batch", "-nx", "-ex", "set confirm off", str(prog),
                           *[x for c in commands for x in ("-ex", c)]],
                          capture_output=True, text=True, timeout=90).stdout


def load_debugger(path, argv=None):
    """A guest loaded in this process under the reverse-execution engine: (Process, Debugger)."""
    from emulator.debug.debugger import Debugger
    from emulator.task.process import Process
    from syscalls import dispatch

    proc = Process(dispatch.on_syscall, report_unimplemented=False)
    proc.load(str(path), [os.fsencode(str(path)), *(argv or [])], [b"A=1"])
    return proc, Debugger(proc, snapshot_every=2000)


def step(program, script: str, *args, timeout=120):
    """Run `elfemu step PROGRAM ARGS` with the script on stdin; return (stdout text, returncode)."""
    r = run_emu([program, *args], command="step", input=script.encode(), timeout=timeout)
    err = r.stderr.decode(errors="replace")
    assert "Traceback" not in err, err
    return r.stdout.decode(errors="replace"), r.returncode


# ----- fixed file trees for the real programs ------------------------------------------------------
MTIME = 981173106  # 2001-02-03 04:05:06 UTC


def make_tree(d: Path) -> Path:
    """The fixed input files (generated with a fixed seed); every mtime is MTIME so `ls -l`, tar and
    stat agree between runs."""
    import random

    rng = random.Random(1234)
    vocab = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi".split()
    words = "".join(" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 6))) + "\n" for _ in range(120))
    files = {
        "words.txt": words.encode(),
        "nums.txt": ("\n".join(str(rng.randint(-500, 5000)) for _ in range(150)) + "\n").encode(),
        "table.csv": ("\n".join(f"{i},{rng.choice('abcde')}{i * 7 % 13},{rng.randint(0, 99)}"
                                for i in range(60)) + "\n").encode(),
        "bin.dat": bytes(range(256)) * 3 + b"tail",
        "dup.txt": b"a\na\nb\nb\nb\nc\na\n\n\nz\n",
        "tabs.txt": b"one\ttwo\tthree\n\tindented\nx\ty\n",
        "sub/inner.txt": b"inside\n",
        "sub/deeper/leaf.txt": b"leaf node\nsecond\n",
        "sub/empty": b"",
    }
    for name, data in files.items():
        path = d / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (d / "emptydir").mkdir()
    (d / "link").symlink_to("words.txt")
    (d / "sub" / "up").symlink_to("../nums.txt")
    os.chmod(d / "nums.txt", 0o600)
    os.chmod(d / "sub" / "inner.txt", 0o755)
    for path in sorted(d.rglob("*"), reverse=True) + [d]:
        os.utime(path, (MTIME, MTIME), follow_symlinks=False)
    return d


def snapshot(root: Path, mtimes: bool) -> list:
    """What a change left behind: every entry's name, type, mode, size, target or content hash."""
    import stat
    import time

    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            st = path.lstat()
            entry = [str(path.relative_to(root)), stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_nlink]
            if stat.S_ISLNK(st.st_mode):
                entry.append(os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                entry += [st.st_size, hashlib.sha256(path.read_bytes()).hexdigest()]
            if mtimes and stat.S_ISREG(st.st_mode):
                # A set or preserved time must match; a file written just now only has to be new
                # (the native and emulated runs happen at different seconds).
                entry.append(int(st.st_mtime) if st.st_mtime < time.time() - 3600 else "written now")
            out.append(entry)
    return out


@pytest.fixture(autouse=True)
def _host_signals_back():
    """Tests that run a guest inside pytest (test_faults, test_tlb, test_gdb) leave elfemu's host
    signal handlers behind; a later SIGPIPE or SIGTERM would then raise ProcessKilled inside pytest
    (seen once in test_real_programs). Put Python's own dispositions back after every test."""
    import signal

    yield
    for signo in signal.valid_signals():
        try:
            handler = signal.getsignal(signo)
        except (OSError, ValueError):
            continue
        if type(getattr(handler, "__self__", None)).__name__ == "HostSignals":
            default = {signal.SIGPIPE: signal.SIG_IGN, signal.SIGINT: signal.default_int_handler}
            signal.signal(signo, default.get(signo, signal.SIG_DFL))


class TuiDriver:
    """`elfemu step --tui` in this process, headless, driven by textual's Pilot (tests/test_tui.py).

    The guest gets a pty of its own as fds 0-2 (emulator/debug/tui/session.py), so pytest's fds
    are saved first and put back after. `run(line)` types a command line and waits until the
    command completed and the panes were redrawn; `shown[pane]` is what a pane shows;
    `screen()` the whole screen as text (a snapshot)."""

    def __init__(self, pilot):
        self.pilot, self.app = pilot, pilot.app
        self.shown = self.app.shown

    async def run(self, line: str) -> None:
        box = self.app.query_one("#command")
        box.focus()
        box.value = line
        await self.pilot.press("enter")
        await self.settle()

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.settle()

    async def settle(self) -> None:
        while True:  # a command runs after the screen saying so is painted
            await self.pilot.pause()
            if not self.app.busy:
                break
        await self.pilot.pause()

    def screen(self) -> str:
        import io

        from rich.console import Console

        width, height = self.app.size
        console = Console(width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False)
        console.print(self.app.screen._compositor.render_update(full=True))
        return "\n".join(line.rstrip() for line in console.export_text(styles=False).splitlines()) + "\n"


def drive_tui(path, argv: list[str], scenario, size=(80, 24)) -> None:
    """Load `path` (argv as given, an empty environment: the stack is the same every run), open
    the TUI on it headless at `size`, and await scenario(TuiDriver). pytest's own fds are hidden
    from the guest (a guest execve would close them), so the guest's fd numbers start higher."""
    from emulator.debug.tui.app import SteppingApp
    from emulator.debug.tui.session import event_loop, start
    from emulator.task.process import Process
    from syscalls import dispatch

    proc = Process(dispatch.on_syscall)
    saved = [proc.fds.hide(os.dup(fd)) for fd in (0, 1, 2)]
    for fd in proc.fds.open_fds():
        if fd > 2:
            proc.fds.adopt(fd)
    loop = None
    try:
        proc.load(str(path), [os.fsencode(a) for a in argv], [])
        app = SteppingApp(start(proc))
        loop = event_loop(proc)

        async def go():
            async with app.run_test(size=size) as pilot:
                driver = TuiDriver(pilot)
                await driver.settle()
                await scenario(driver)

        loop.run_until_complete(go())
    finally:
        if loop is not None:
            loop.close()
        for fd, copy in zip((0, 1, 2), saved):
            os.dup2(copy, fd)
        for fd in proc.fds.hidden:
            if fd >= 900 or fd in saved:  # elfemu's own (fdtable.HIDDEN_BASE); pytest's stay open
                try:
                    os.close(fd)
                except OSError:
                    pass


def chromium(url: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Debian's chromium, headless and offline, with a throw-away profile: `--dump-dom` or
    `--screenshot=PNG` (tests/test_trace_html.py)."""
    import tempfile

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is not installed (make deps installs it)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                               "--disable-component-update", "--disable-sync", "--no-first-run",
                               f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=timeout, check=True)


def png_pixels(path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA, non-interlaced PNG (what
    chromium writes), decoded with zlib alone: PNG's five row filters, RFC 2083 section 6."""
    import struct
    import zlib

    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _c, _f, interlace = header
    assert depth == 8 and colour in (2, 6) and not interlace, header
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytes(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows
