"""The system calls the guest made, as the tracer prints them, each at its place in the history.

A listener in the tracer's place (Process.tracer: syscalls/dispatch.py calls enter, exit and
unwind around each live call), so the TUI sees what strace would: `write(1, "Hello world\\n",
12) = 12`. The arguments print through the syscall table's own types (syscalls/decode), the
same code the tracer (emulator/trace) uses; the debug layer may not import the tracer itself.

Each line is kept with the instruction count at which its call ran (the debugger's
syscall_position), so after a reverse step the pane shows only the calls before the current
position, and after a forward step the same lines again: replayed calls do not reach the
listener (emulator/debug/replay.py gives back their recorded results), their lines are already
here. A live call at a position discards the lines at or after it: the person edited the past
and the old future is gone (history.py drops its records the same way).

A fork's child runs free of the debugger (Debugger._run_child_free); its half of the fork
(`= 0`) travels to the TUI through a pipe, so the pane shows both of fork's return values.
"""

import os
import select

from emulator.errors import ImageReplaced
from syscalls.decode.sigstructs import siginfo_text
from syscalls.decode.text import errno_text
from syscalls.decode.types import TraceContext
from syscalls.decode.xlat import signame

FORKS = ("fork", "vfork", "clone", "clone3")
CHILD_WAIT = 5.0  # seconds a redraw waits for a new child's line (a loaded machine may not run it at once)


class SyscallLog:
    """Process.tracer for the TUI: (position, line) pairs, in the order the calls ran."""

    def __init__(self, position, pipe: tuple[int, int] = (-1, -1)):
        self.position = position  # () -> the instruction count of the call running now
        self.reader, self.child_fd = pipe  # a non-blocking pipe: fork children write their "= 0" line
        self.entries: list[tuple[int, str]] = []  # (position, strace-format line), by position
        self.pid = os.getpid()  # the process being debugged (a fork's child differs)
        self.muted = False  # in a fork's child, after its line was sent: the child runs untraced
        self.current = None  # the call in flight: (position, TraceContext, formatted input arguments)
        self.forks = 0  # forks whose child has not sent its line yet

    def add(self, pos: int, line: str, rewrites: bool = True) -> None:
        """Record a line. A call's line (rewrites) drops the lines at or after its position: they
        belonged to a future that was rewritten. A signal's line shares its call's position."""
        while rewrites and self.entries and self.entries[-1][0] >= pos:
            self.entries.pop()
        self.entries.append((pos, line))

    def before(self, icount: int) -> list[str]:
        """The lines of the calls that ran before instruction count icount."""
        return [line for pos, line in self.entries if pos < icount]

    # ----- the tracer's interface (syscalls/dispatch.py, emulator/task/ending.py) ------------
    def enter(self, proc, call) -> None:
        if self.muted:
            return
        t = TraceContext(proc, call.args, None, None)
        parts = [None if a.out else a.format(t, raw) for a, raw in zip(call.spec.args, call.args)]
        if not call.spec.args and call.spec.name.startswith("syscall_"):  # no row: six hex numbers
            parts = [f"{a:#x}" for a in call.args]
        self.current = (self.position(), t, parts)

    def line(self, call, result: str, outs: bool = True) -> str:
        """The call's line; outs=False leaves out what it would have written (it never returned)."""
        _pos, t, parts = self.current
        if outs:
            parts = [a.format(t, raw) if p is None else p for a, raw, p in zip(call.spec.args, call.args, parts)]
        return f"{call.spec.name}({', '.join(p for p in parts if p)}) = {result}"

    def exit(self, proc, call) -> None:
        if self.muted or self.current is None:
            return
        ret = call.ret - (1 << 64) if call.ret > 0x7FFF_FFFF_FFFF_FFFF else call.ret
        t = self.current[1]
        t.ret = ret
        result = errno_text(-ret) if ret < 0 else call.spec.ret.format(t, ret)
        text = self.line(call, result)
        if os.getpid() != self.pid:  # a fork's child: tell the TUI, then run on untraced
            self.muted = True
            if self.child_fd >= 0 and call.spec.name in FORKS:
                os.write(self.child_fd, f"{self.current[0]}\t[pid {os.getpid()}] {text}\n".encode())
            return
        self.add(self.current[0], text)
        self.current = None
        self.forks += call.spec.name in FORKS and ret > 0

    def unwind(self, proc, call, exc) -> None:
        """The call did not return: exit and exit_group show `= ?`, a committed execve `= 0`."""
        if self.muted or self.current is None:
            return
        replaced = isinstance(exc, ImageReplaced)
        self.add(self.current[0], self.line(call, "0" if replaced else "?", outs=replaced))
        self.current = None

    def signal(self, proc, signo: int, info: dict, pc=None) -> None:
        if not self.muted:
            self.add(self.position(), f"--- {signame(signo)} {siginfo_text(info)} ---", rewrites=False)

    def flush(self) -> None:
        """Nothing is buffered: lines go to the pane as they come (the tracer's flush before a fork)."""

    def exited(self, proc, status: int) -> None:
        """Called as elfemu itself ends (ending.end): the TUI is gone by then."""

    def killed(self, proc, signo: int, info=None) -> None:
        """As exited."""

    def read_children(self) -> None:
        """Take the lines the fork children sent (the TUI calls this after each command)."""
        if self.reader < 0:
            return
        if self.forks:  # a child sends its line right after the fork: give it a moment to run
            poll = select.poll()  # not select(): elfemu's hidden fds may be above FD_SETSIZE
            poll.register(self.reader, select.POLLIN)
            poll.poll(CHILD_WAIT * 1000)
        try:
            data = os.read(self.reader, 65536)
        except BlockingIOError:
            data = b""
        self.forks = 0
        for row in data.decode(errors="replace").splitlines():
            pos, _, line = row.partition("\t")
            self.entries.append((int(pos), line))
        self.entries.sort(key=lambda e: e[0])  # stable: the parent's line before its child's
