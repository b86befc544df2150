"""Reverse execution: moving through the recorded history of a Debugger (a mixin).

The history is a list of snapshots (emulator/debug/replay.py) at known instruction counts, plus
the syscall records that make re-execution deterministic. goto(N) restores the nearest
snapshot at or before N and re-executes forwards; reverse_cont scans each stretch between
snapshots for breakpoint and watchpoint hits, newest stretch first. A person's edits
(register or memory writes) are pinned by 'edit' snapshots, re-applied when re-execution
crosses them; an edit in the past discards the recorded future.
"""

import bisect
import sys
from dataclasses import dataclass
from typing import NamedTuple

from emulator.debug import replay

BIG = 1 << 62  # an instruction count no run reaches
MAX_SNAPS = 200  # beyond this, every other old snapshot is dropped (the interval doubles)


REASONS = ("breakpoint", "watchpoint", "step", "exited", "killed", "signal", "start-of-history", "syscall")


@dataclass
class StopEvent:
    """Why execution stopped.

    reason: 'breakpoint' (addr = the breakpoint), 'watchpoint' (watch_addr = the written
    address, addr = pc after the writing instruction), 'step' (n steps done), 'exited'
    (exit_status), 'killed' (the guest died by signal signo), 'signal' (a fault or signal
    stopped the guest before delivery: signo; resuming delivers it), 'start-of-history'
    (reverse execution reached the first recorded instruction), 'syscall' (a caught system call:
    sysno, at its "entry" before it runs or its "return" after).
    """

    reason: str
    addr: int = 0
    signo: int = 0
    exit_status: int = 0
    watch_addr: int = 0
    watch_kind: str = "write"  # or "read", "access"
    sysno: int = 0
    sysphase: str = ""  # "entry" | "return"


class Hit(NamedTuple):
    """What ended a stretch of execution, as the engine sees it (Debugger._event makes it a StopEvent)."""

    kind: str  # "breakpoint" | "watchpoint" | "syscall" | "signal" | "exec" (a new image) | "end"
    pos: int  # the instruction count it happened at (where execution now stands)
    addr: int = 0  # breakpoint: its address; watchpoint: the address accessed
    watch_kind: str = ""  # watchpoint: "write" | "read" | "access"
    signo: int = 0  # signal: the fault's signal
    sysno: int = 0  # syscall: the number caught
    phase: str = ""  # syscall: "entry" (it runs next) | "return" (it ran)
    ending: BaseException | None = None  # end: the ProcessExit or ProcessKilled


class History:
    """Snapshot bookkeeping and backwards movement; Debugger supplies _exec and the state."""

    def _reset_history(self) -> None:
        self.history_start = self.frontier = self.icount
        self.records.clear()
        self.snapshots = [replay.take(self.proc, self.icount, pc=self.proc.pc)]

    def _edited(self) -> None:
        """The user changed state: the recorded future is void; a snapshot pins the edit."""
        n = self.icount
        if n < self.frontier:
            self.snapshots = [s for s in self.snapshots if s.icount < n]
            self.records = {k: r for k, r in self.records.items() if k < n}
            self.frontier = n
        else:
            self.snapshots = [s for s in self.snapshots if s.icount != n]
        self.snapshots.append(replay.take(self.proc, n, self._last_snapshot(n), pc=self.proc.pc, edit=True))
        self._edits = True

    def _last_snapshot(self, n: int) -> "replay.Snapshot | None":
        i = bisect.bisect_right([s.icount for s in self.snapshots], n) - 1
        return self.snapshots[i] if i >= 0 else None

    @property
    def _next_snap(self) -> int:
        return self.snapshots[-1].icount + self.every

    def _snapshot(self, pc: int) -> None:
        self.snapshots.append(replay.take(self.proc, self.icount, self.snapshots[-1], pc=pc))
        if len(self.snapshots) > MAX_SNAPS:
            keep = self.snapshots[:1] + [s for i, s in enumerate(self.snapshots[1:-1]) if s.edit or i % 2]
            self.snapshots = keep + self.snapshots[-1:]
            self.every *= 2

    def _edit_at(self, n: int) -> "replay.Snapshot | None":
        if not self._edits:
            return None
        return next((s for s in self.snapshots if s.edit and s.icount == n), None)

    def _next_edit(self) -> int:
        if not self._edits:
            return BIG
        return min((s.icount for s in self.snapshots if s.edit and s.icount > self.icount), default=BIG)

    def _after_move(self) -> None:
        """Crossing a point where the user edited state re-applies the edit."""
        snap = self._edit_at(self.icount)
        if snap is not None:
            replay.restore(self.proc, snap)

    def goto(self, target: int, force: bool = False) -> None:
        """Move to instruction count `target` (history_start <= target <= frontier)."""
        self._entry_view, self.orig_rax = None, -1  # no longer stopped at a caught syscall
        target = max(self.history_start, min(target, self.frontier))
        if target == self.icount and not force:
            return
        snap = self._last_snapshot(target)
        if force or target < self.icount or snap.icount > self.icount:
            replay.restore(self.proc, snap)
            self.icount = snap.icount
        self.exited = None
        self.pending_fault = None
        while self.icount < target:
            limit = min(target, self._next_edit()) - self.icount
            self._exec(limit, "replay")
            self._after_move()

    def _single_threaded(self) -> bool:
        """Reverse execution replays one CPU; with a second thread the interleaving is not recorded."""
        if self.proc.group is None:
            return True
        print("elfemu: no reverse execution once the program has a second thread (docs/ARCHITECTURE.md, Threads)", file=sys.stderr)
        return False

    def reverse_stepi(self, n: int = 1) -> StopEvent:
        if not self._single_threaded():
            return StopEvent("start-of-history", addr=self.proc.pc)
        if self.icount - n < self.history_start:
            self.goto(self.history_start)
            return StopEvent("start-of-history", addr=self.proc.pc)
        self.goto(self.icount - n)
        return StopEvent("step", addr=self.proc.pc)

    def reverse_cont(self) -> StopEvent:
        """Run backwards to the latest breakpoint or watchpoint hit before now."""
        if not self._single_threaded():
            return StopEvent("start-of-history", addr=self.proc.pc)
        now = self.icount
        end = now
        for snap in reversed([s for s in self.snapshots if s.icount < now]):
            replay.restore(self.proc, snap)
            self.icount = snap.icount
            self._hits = []
            if end > snap.icount:
                self._exec(end - snap.icount, "scan")
            hits = [h for h in self._hits if h.pos < now]
            if hits:
                hit = max(hits, key=lambda h: h.pos)
                self.goto(hit.pos)
                if hit.kind == "breakpoint":
                    return StopEvent("breakpoint", addr=hit.addr)
                return StopEvent("watchpoint", addr=self.proc.pc, watch_addr=hit.addr, watch_kind=hit.watch_kind)
            end = snap.icount
        self.goto(self.history_start)
        return StopEvent("start-of-history", addr=self.proc.pc)
