"""Shared helpers for differential tests: run the same program natively and under elfemu."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "build"
HELLO178 = SAMPLES / "hello178"
LIBCS = ("glibc", "musl")
ELFEMU = [sys.executable, "-m", "emulator"]


def sample(libc: str, name: str) -> Path:
    path = SAMPLES / libc / name
    assert path.exists(), f"{path} is missing: run `make samples`"
    return path


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
    return subprocess.run([*ELFEMU, command, *options, *[str(a) for a in argv]], env=env, **kw)


def assert_same(native: subprocess.CompletedProcess, emu: subprocess.CompletedProcess, stderr: bool = False):
    """The differential check: same stdout, same exit status (and stderr when deterministic)."""
    assert b"Traceback" not in emu.stderr, emu.stderr.decode(errors="replace")
    assert emu.stdout == native.stdout
    if stderr:
        assert emu.stderr == native.stderr
    assert emu.returncode == native.returncode, emu.stderr.decode(errors="replace")


def build_static(cc: str, source, exe, *flags) -> Path:
    """Compile one test program statically with gcc or musl-gcc; returns the executable."""
    subprocess.run([need_tool(cc), "-static", "-O1", "-o", str(exe), str(source), *flags], check=True)
    return Path(exe)


def need_tool(name: str) -> str:
    """A host tool the test compares against; `make test` installs them, so absence is an error."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (make deps installs it)")
    return path


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
        if type(getattr(handler, "__self__", None)).__name__ == "SignalState":
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
