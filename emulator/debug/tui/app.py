"""The textual application of `elfemu step --tui`: the panes, the keys and the command line.

Every command, typed or bound to a key, is one line for Stepper.execute, run on the main
thread like `elfemu step`'s: elfemu's host signal handling (emulator/task/signals.py) runs
there and interrupts a blocking guest call from there, so the guest must run there too. The
screen says "running" first, the command runs, and the panes are redrawn once when it
completes (`redraws` counts it: the tests check that `si 100000` redraws once). While it runs
textual's input thread still reads the keyboard: ^C interrupts a `c` (ScreenDriver), as in gdb.
Input for the guest is typed beforehand with `input TEXT`: its pty keeps it until it reads.

At 80x24 every pane gets its minimum: registers and code 10 rows, stack and system calls 6,
output and memory 5, two rows of replies, the command line. Larger terminals give the extra
rows to every row and the replies, the extra columns to the right-hand panes.
"""

import time

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from emulator.debug.tui import panes

CSS = """
Screen { layout: vertical; overflow: hidden; }
Horizontal { height: auto; }
#row-code { height: 2fr; min-height: 10; }
#row-stack { height: 1fr; min-height: 6; }
#row-out { height: 1fr; min-height: 5; }
.pane { border-top: solid $secondary; border-title-color: $text; height: 100%; overflow: hidden; padding: 0;
        text-wrap: nowrap; text-overflow: clip; }
.left { width: 42; }
.right { width: 1fr; border-left: vkey $secondary; }
#console { height: 1fr; min-height: 2; max-height: 12; color: $text-muted; text-wrap: nowrap; text-overflow: clip; }
#command { height: 1; border: none; padding: 0; }
"""

KEYS = [
    ("f7", "si", "si"), ("shift+f7", "rsi", "rsi"), ("f8", "ni", "ni"), ("shift+f8", "rni", "rni"),
    ("f9", "c", "continue"), ("shift+f9", "rc", "rc"), ("f10", "finish", "finish"),
    ("shift+f10", "rfinish", "rfinish"),
]
KEEP = 1 << 16  # characters of the program's output and of the replies kept for their panes
HINT = "F7 si F8 ni F9 c F10 finish (shift: back) F2 break F3 watch F4 find F6 maps ^Q quit"


class SteppingApp(App):
    """One stepper session on screen (see the module docstring)."""

    CSS = CSS
    TITLE = "elfemu"
    BINDINGS = [Binding(key, f"run('{cmd}')", label, priority=True) for key, cmd, label in KEYS] + [
        Binding("f2", "toggle_break", "break", priority=True),
        Binding("f3", "prefill('watch ')", "watch", priority=True),
        Binding("f4", "prefill('find ')", "find", priority=True),
        Binding("f6", "toggle_maps", "maps", priority=True),
        Binding("ctrl+c", "interrupt", "interrupt", priority=True),
        Binding("ctrl+q", "quit", "quit", priority=True),
    ]

    def __init__(self, stepper, driver_class=None):
        super().__init__(driver_class=driver_class)
        self.st = stepper  # emulator/debug/tui/session.TuiStepper
        self.output = ""  # what the guest wrote to its terminal (the last KEEP characters)
        self.replies = ""  # what the stepper printed (the last KEEP characters)
        self.before: dict | None = None  # the registers before the last command (for highlighting)
        self.busy = False  # a command is running
        self.last = ""  # the last command line (Enter on an empty line repeats it, as in gdb)
        self.redraws = 0  # how many times the panes were drawn (once per command)
        self.show_maps = False  # the lower-right pane shows the memory map instead of memory
        self.shown: dict[str, str] = {}  # pane id -> the plain text it shows now (the tests read it)
        self.started = 0.0  # perf_counter() when the running command started
        self.took = 0.0  # seconds from the last command's start to the end of its redraw (make bench)

    def compose(self) -> ComposeResult:
        with Horizontal(id="row-code"):
            yield Static(id="regs", classes="pane left")
            yield Static(id="code", classes="pane right")
        with Horizontal(id="row-stack"):
            yield Static(id="stack", classes="pane left")
            yield Static(id="syscalls", classes="pane right")
        with Horizontal(id="row-out"):
            yield Static(id="output", classes="pane left")
            yield Static(id="memory", classes="pane right")
        yield Static(id="console")
        yield Input(id="command", placeholder=HINT)

    def on_mount(self) -> None:
        titles = {"regs": "registers", "code": "code", "stack": "stack", "syscalls": "system calls",
                  "output": "output", "memory": "memory"}
        for pane, title in titles.items():
            self.query_one(f"#{pane}").border_title = title
        self.st.location()
        self.call_after_refresh(self.redraw)

    def on_resize(self, event) -> None:
        if not self.busy:  # a running command owns the guest; its end redraws
            self.call_after_refresh(self.redraw)

    # ----- drawing -------------------------------------------------------------------
    def redraw(self) -> None:
        """Draw every pane from the state now: once per command, never per instruction."""
        st = self.st
        self.output = (self.output + st.terminal.read())[-KEEP:]
        st.log.read_children()
        self.replies = (self.replies + st.replies())[-KEEP:]
        self.redraws += 1
        regs_title, code_title = f"registers {panes.flags_line(st)}", f"code  #{st.dbg.icount}"
        mem_title = "maps" if self.show_maps else f"memory at {st.follow}"
        for name, title, draw in (
            ("regs", regs_title, lambda rows, cols: panes.registers(st, self.before)),
            ("code", code_title, lambda rows, cols: panes.code(st, rows)),
            ("stack", None, lambda rows, cols: panes.stack(st, rows)),
            ("syscalls", None, lambda rows, cols: panes.syscalls(st, rows, cols)),
            ("output", None, lambda rows, cols: panes.tail(self.output, rows)),
            ("memory", mem_title, lambda rows, cols: panes.maps(st) if self.show_maps else panes.memory(st, rows, cols)),
            ("console", None, lambda rows, cols: panes.tail(self.replies, rows)),
        ):
            widget = self.query_one(f"#{name}", Static)
            content = draw(max(1, widget.content_size.height), max(8, widget.content_size.width))
            widget.update(content)
            self.shown[name] = str(content)
            if title is not None:
                widget.border_title = title

    # ----- commands ------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        line = event.value
        event.input.value = ""
        self.action_run(line if line.strip() else self.last)

    def action_run(self, line: str) -> None:
        """Show that the command runs, then run it after that screen is painted."""
        if self.busy or not line.strip():
            return
        self.last = line
        self.replies += f"(elfemu) {line}\n"
        self.busy = True
        self.started = time.perf_counter()
        self.query_one("#console", Static).update(panes.tail(self.replies, 1) + "\nrunning (^C stops it)")
        self.call_after_refresh(self.execute, line)

    def execute(self, line: str) -> None:
        self.before = self.st.regs() if self.st.dbg.exited is None else None
        try:
            self.st.execute(line)
        finally:
            self.busy = False
        self.redraw()
        self.took = time.perf_counter() - self.started
        if self.st.done:
            self.exit()

    def interrupt(self) -> None:
        """^C from textual's input thread while a command runs: stop it as gdb does (SIGINT)."""
        if self.busy:
            self.st.dbg.interrupt()

    def action_toggle_break(self) -> None:
        """F2: a breakpoint at rip, or away with the ones there."""
        st = self.st
        here = [p.num for p in st.user_bp_at(st.dbg.pc)]
        self.action_run(f"d {' '.join(map(str, here))}" if here else "b")

    def action_prefill(self, text: str) -> None:
        box = self.query_one("#command", Input)
        box.value = text
        box.cursor_position = len(text)
        box.focus()

    def action_toggle_maps(self) -> None:
        self.show_maps = not self.show_maps
        self.redraw()

    def action_interrupt(self) -> None:
        self.interrupt()


def screen_driver(screen_in: int, screen_out: int):
    """textual's Linux driver on the terminal elfemu was started on, now on hidden fds (the
    guest owns fds 0-2: session.GuestTerminal). The stock driver uses sys.__stdin__/__stderr__."""
    import os

    from textual import events
    from textual.drivers.linux_driver import LinuxDriver

    class ScreenDriver(LinuxDriver):
        def __init__(self, app, **kw):
            super().__init__(app, **kw)
            self._file = open(screen_out, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
            self.fileno = screen_in

        def process_message(self, message) -> None:
            """Runs in textual's input thread, so ^C is seen while a command blocks the app."""
            if isinstance(message, events.Key) and message.key == "ctrl+c":
                self._app.interrupt()
            super().process_message(message)

        def _get_terminal_size(self) -> tuple[int, int]:
            try:
                return tuple(os.get_terminal_size(screen_out))
            except OSError:
                return 80, 24

    return ScreenDriver


def session(proc) -> int:
    """`elfemu step --tui`: run the app on a loaded process; elfemu's exit status, as `elfemu step`'s."""
    import sys

    from emulator.debug.tui.session import event_loop, start

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("elfemu step --tui: needs a terminal (use `elfemu step` from a script)", file=sys.stderr)
        return 2
    st = start(proc)
    SteppingApp(st, screen_driver(st.terminal.screen_in, st.terminal.screen_out)).run(loop=event_loop(proc))
    ev = st.dbg.exited
    if ev is None:
        return 0
    return ev.exit_status if ev.reason == "exited" else 128 + ev.signo
