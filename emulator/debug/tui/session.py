"""One TUI session: the stepper with the TUI's few commands, the syscall log, the guest's terminal.

The guest's fds are the host's (emulator/task/fdtable.py), so a guest writing to fd 1 would
write over the screen. Here the guest gets a pty of its own as fds 0, 1 and 2, as a program
run from gdb gets the terminal: it sees a tty (stdio stays line-buffered, as in the lectures'
fork demo), its output is read from the pty's master into the output pane, and what the person
types while the guest runs goes to its stdin. The real terminal stays on hidden fds (the guest
sees EBADF for them) for the screen itself.
"""

import asyncio
import contextlib
import fcntl
import io
import os
import resource
import select
import signal
import struct
import termios
import threading
import time

from emulator.debug.stepper import view
from emulator.debug.stepper.expr import ExprError
from emulator.debug.stepper.main import Stepper
from emulator.debug.tui.syslog import SyscallLog
from emulator.image.symbols import load_symbols
from emulator.task.fdtable import HIDDEN_BASE, HIDDEN_ROOM
from syscalls.decode.xlat import signame


class GuestTerminal:
    """A pty as the guest's fds 0-2; the terminal elfemu was started on kept aside (or None).

    A thread drains the pty's master while commands run: a pty holds only a few KiB, and a guest
    printing more in one `c` would otherwise block in write() until the command ends, never."""

    def __init__(self, proc, rows: int = 24, cols: int = 80):
        self.screen_in = self.screen_out = -1  # the real terminal, hidden from the guest (-1: none)
        if os.isatty(0) and os.isatty(1):
            self.screen_in = proc.fds.hide(os.dup(0))
            self.screen_out = proc.fds.hide(os.dup(1))
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(slave)
        self.master = proc.fds.hide(master)  # elfemu's end: the guest's output, the person's input
        self.chunks: list[bytes] = []  # what the drain thread read and read() has not taken yet
        self.lock = threading.Lock()  # guards chunks
        threading.Thread(target=self.drain, name="elfemu-pty", daemon=True).start()

    def drain(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())  # host signals: the main thread's
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: no process holds the slave any more
                return
            if not data:
                return
            with self.lock:
                self.chunks.append(data)

    def read(self) -> str:
        """What the guest (and its children) wrote since the last call; the pty's \r\n as \n."""
        pending, deadline = select.poll(), time.monotonic() + 1.0
        pending.register(self.master, select.POLLIN)
        while pending.poll(0) and time.monotonic() < deadline:  # the drain thread is still on it
            time.sleep(0.001)
        time.sleep(0.002)  # (from its read() to its append)
        with self.lock:
            data, self.chunks = b"".join(self.chunks), []
        return data.decode(errors="replace").replace("\r\n", "\n")

    def type(self, text: str) -> None:
        """Input for the guest, as if typed on its terminal (the pty echoes it to the output)."""
        os.write(self.master, text.encode())


class TuiStepper(Stepper):
    """The stepper whose replies go to a buffer (the console pane), plus the TUI's commands:
    `mem EXPR` (what the memory pane follows), `rfinish` (gdb's reverse-finish), `input TEXT`."""

    def __init__(self, proc, dbg, syms, log: SyscallLog, terminal: "GuestTerminal"):
        super().__init__(proc, dbg, syms, out=io.StringIO())
        self.log = log  # the system calls made, for the syscall pane
        self.terminal = terminal  # the guest's pty
        self.follow = "$rsp"  # the expression the memory pane shows memory at
        self.commands.update({"mem": self.cmd_mem, "rfinish": self.cmd_rfinish,
                              "reverse-finish": self.cmd_rfinish, "input": self.cmd_input})

    def replies(self) -> str:
        """The text the commands printed since the last call."""
        text = self.out.getvalue()
        self.out.seek(0)
        self.out.truncate()
        return text

    def report(self, ev) -> None:
        if ev.reason in ("exited", "killed"):  # strace's last line (the tracer prints it at the end)
            how = f"exited with {ev.exit_status}" if ev.reason == "exited" else f"killed by {signame(ev.signo)}"
            last = (self.dbg.icount, f"+++ {how} +++")
            if not self.log.entries or self.log.entries[-1] != last:  # not again after rsi, c
                self.log.add(*last, rewrites=False)
        super().report(ev)

    def cmd_mem(self, arg: str) -> None:
        if not arg:
            raise ExprError("Argument required (a register or an address for the memory pane).")
        self.ev.value(arg)  # an error now rather than at every redraw
        self.follow = arg

    def cmd_input(self, arg: str) -> None:
        """TEXT and a newline for the guest's stdin, kept by its pty until it reads; no TEXT: end of file."""
        self.terminal.type(arg + "\n" if arg else "\x04")  # ^D, the pty's VEOF

    def cmd_rfinish(self, arg: str) -> None:
        """Back to the call instruction that entered the current function (gdb's reverse-finish)."""
        up = self.caller()
        call = self.call_before(up[0]) if up is not None else None
        if call is None:
            self.say('"finish" not meaningful in the outermost frame.')
            return
        self.say("Run back to call of " + view.frame_line(0, self.dbg.pc, self.syms.where))
        ev = self.run_until(call, up[1], reverse=True)
        self.report(ev if ev is not None else self.step_event())


def event_loop(proc) -> asyncio.AbstractEventLoop:
    """The event loop the app runs on, its fds (epoll, self-pipe) opened above the guest's range
    and hidden from it: a guest execve closes every close-on-exec fd elfemu does not hide
    (FdTable.close_on_exec), and a guest's open() must get the number it gets natively. While the
    loop is made, placeholders hold every free fd below elfemu's own range (fdtable.HIDDEN_BASE)."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    top = HIDDEN_BASE if soft == resource.RLIM_INFINITY else min(HIDDEN_BASE, soft - 2 * HIDDEN_ROOM)
    before = set(os.listdir("/proc/self/fd"))
    placeholders, null = [], os.open(os.devnull, os.O_RDONLY)
    while (fd := os.dup(null)) < top:
        placeholders.append(fd)
    os.close(fd)
    loop = asyncio.new_event_loop()
    for fd in [null, *placeholders]:
        os.close(fd)
    for name in set(os.listdir("/proc/self/fd")) - before:
        with contextlib.suppress(OSError):  # (listdir's own fd is closed again)
            fcntl.fcntl(int(name), fcntl.F_GETFD)
            proc.fds.adopt(int(name))
    return loop


def start(proc) -> TuiStepper:
    """The session of a loaded process: its debugger, its syscall log, its own pty."""
    from emulator.debug.debugger import Debugger

    dbg = Debugger(proc)
    reader, writer = os.pipe()
    os.set_blocking(reader, False)
    log = SyscallLog(lambda: dbg.syscall_position, (proc.fds.hide(reader), proc.fds.hide(writer)))
    proc.tracer = log
    return TuiStepper(proc, dbg, load_symbols(proc.exe, proc.image.base), log, GuestTerminal(proc))
