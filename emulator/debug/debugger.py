"""The debugging engine under `elfemu step` and the gdb stub: forward and reverse execution.

Nothing here costs time unless a person is debugging. Stepping is `emu_start(count=1)`;
continuing (and `stepi N`) is one counted emu_start with code hooks limited to the breakpoint
addresses, memory hooks limited to the watched ranges, and a block hook that keeps the
instruction count exact (about 1-3 M instructions/s instead of the run path's hundreds).
Reverse execution (history.py) restores the nearest periodic snapshot (replay.py) and
re-executes forwards to the wanted instruction count, replaying the recorded results of
system calls instead of running them again (so nothing is printed twice). The hooks that find
breakpoints and watchpoints are breakpoints.py's; reading and writing registers and memory is
state.py's; what a run stopped at travels as a history.Hit until it becomes a StopEvent.

API (the stepper and gdbstub code against this):

    dbg = Debugger(proc)                 # proc: a loaded emulator.task.process.Process, not yet run
    ev = dbg.stepi(n=1)                  # -> StopEvent
    ev = dbg.cont()                      # run to a breakpoint/watchpoint/exit/signal
    ev = dbg.reverse_stepi(n=1)          # 'start-of-history' when it cannot go further back
    ev = dbg.reverse_cont()              # back to the previous breakpoint/watchpoint hit
    dbg.goto(icount)                     # move to any instruction count in the recorded past
    dbg.add_breakpoint(addr, temporary=False); dbg.remove_breakpoint(addr)
    dbg.add_watchpoint(addr, length, kind="write"); dbg.remove_watchpoint(addr, length, kind)
    dbg.catch_syscalls = {1, 60} | None | ALL_SYSCALLS    # cont() stops at their entry and return
                                         # kind: "write", "read" or "access" (gdb's watch/rwatch/awatch)
    dbg.read_register("rax"); dbg.write_register("xmm0", v); dbg.registers() -> {name: int}
    dbg.read_memory(addr, n) -> bytes; dbg.write_memory(addr, data)  # writes go into r/o text too
    dbg.icount                           # instructions executed so far (the current position)
    dbg.pc                               # where execution resumes
    dbg.exited                           # None while alive, else the final StopEvent

Register names: rax..r15, rip, eflags, cs ss ds es fs gs, fs_base gs_base, orig_rax,
st0..st7 (80-bit values as ints), fctrl fstat ftag fiseg fioff foseg fooff fop,
xmm0..xmm15 (128-bit ints), mxcsr. Symbols: emulator/image/symbols.py.
"""

import bisect
import ctypes
import os
import signal
import sys

import capstone

from emulator.debug import history, replay
from emulator.debug.breakpoints import Breakpoints
from emulator.debug.history import REASONS, History, Hit, StopEvent  # noqa: F401 - StopEvent is part of this API
from emulator.debug.state import GuestState
from emulator.errors import ImageReplaced, ProcessExit, ProcessKilled
from emulator.image import exec as exec_
from emulator.image import vdso
from emulator.machine.unicorn_ffi import UC_HOOK_BLOCK, UcError, lib
from emulator.machine.unicorn_ffi import x86_const as X
from emulator.task import ending
from emulator.task.process import UNTIL_NEVER
from syscalls import dispatch

ALL_SYSCALLS: set[int] = set()  # catch_syscalls value meaning "every call" (compared by identity)
BIG = history.BIG  # "no instruction limit" (the debugger always runs Unicorn in counted mode)
SNAP_EVERY = 50_000  # instructions between periodic snapshots


class _ForkChild(Exception):
    """Raised out of Unicorn in a forked child: the child leaves the debugger and runs free."""


class Debugger(GuestState, Breakpoints, History):
    """Forward and reverse execution control over one Process (see the module docstring)."""

    def __init__(self, proc, snapshot_every: int = SNAP_EVERY):
        self.proc = proc
        self.every = snapshot_every
        self.breakpoints: dict[int, list] = {}  # addr -> [hook handle, temporary]
        self.watchpoints: dict[tuple[int, int, str], object] = {}  # (addr, length, kind) -> hook handle
        self.icount = 0
        self.frontier = 0  # the furthest instruction count executed live
        self.history_start = 0
        self.snapshots: list[replay.Snapshot] = []
        # By instruction count: what each syscall did, or what each rdtsc read (an int; the vDSO's clocks).
        self.records: dict[int, replay.SyscallRecord | int] = {}
        self.exited: StopEvent | None = None
        self.pending_fault = None
        self.orig_rax = -1
        self.catch_syscalls: set[int] | None = None  # gdb's `catch syscall` (ALL_SYSCALLS for every one)
        self._cont_active = False
        self._entry_stop = None  # the syscall position whose entry stop was reported (it runs next time)
        self._entry_view = None  # at an entry stop: the number, while registers read as the kernel shows them
        self.on_fork_child = None  # callback run in a forked child before it runs free (close sockets)
        self._pid = os.getpid()
        self._mode = "replay"  # 'step' | 'cont' | 'scan' | 'replay'
        self._hit = None
        self._edits = False  # any user edit in the history (they must be re-applied on crossing)
        self._interrupted = False
        self._hits: list = []
        self._cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        self._blocks: dict[tuple[int, int], tuple[int, ...]] = {}
        self._base = self._blk_n = 0
        self._blk: tuple[int, ...] = ()
        self._attach()
        proc.host_signals.start()  # host signals reach the guest while debugging too (alarm, kill)

    # ----- set-up --------------------------------------------------------------
    def _attach(self) -> None:
        """Install the engine's hooks on the (possibly new, after execve) Unicorn instance."""
        proc = self.proc
        uc = proc.uc
        self._uc = uc
        self._uc_handle = uc.handle
        self._rip_buf = ctypes.c_uint64()
        self._rip_ref = ctypes.byref(self._rip_buf)
        self._read_reg = lib.uc_reg_read
        self._block_hook = uc.hook_add(UC_HOOK_BLOCK, self._on_block, None, 1, 0)
        self._rdtsc_hook = uc.hook_rdtsc(self._on_rdtsc)
        self._install_points()
        proc.syscall_interposer = self._on_syscall
        uc.ctl_flush_tb()  # hooks apply only to code translated after they were added
        self._reset_history()

    def _rip(self) -> int:
        self._read_reg(self._uc_handle, X.UC_X86_REG_RIP, self._rip_ref)
        return self._rip_buf.value

    @property
    def syscall_position(self) -> int:
        """The instruction count of the system call running now (a front's syscall log keys on it)."""
        return self._last_sys

    # ----- hooks (all cheap no-ops outside the mode that needs them) -------------
    def _on_block(self, uc, addr, size, _ud) -> None:
        if self._mode == "step":
            self._entered = True
            return
        self._base += self._blk_n
        blk = self._blocks.get((addr, size))
        if blk is None:
            code = bytes(uc.mem_read(addr, size))
            blk = self._blocks[(addr, size)] = tuple(i[0] for i in self._cs.disasm_lite(code, addr))
        self._blk, self._blk_n = blk, len(blk)
        if self._base >= self._next_snap and self._base >= self.frontier and self._mode == "cont":
            self.icount = self._base
            self._snapshot(addr)

    def _pos(self, addr: int) -> int:
        """The instruction count at the instruction `addr` of the current block (cont/scan mode)."""
        if self._mode == "step":
            return self.icount
        blk = self._blk
        i = bisect.bisect_left(blk, addr)
        return self._base + (i if i < len(blk) and blk[i] == addr else len(blk))

    def _on_syscall(self, proc) -> None:
        """The syscall interposer: replay a recorded call, or run it live and record it; under
        `catch syscall`, stop before it (entry) and, once it ran, after it (return)."""
        rip = proc.cpu["rip"]
        pos = self._last_sys = self._pos(rip)
        caught = self._caught(proc)
        if caught is not None and self._entry_stop != pos:
            self._entry_stop = pos
            self._hit = Hit("syscall", pos, sysno=caught, phase="entry")
            proc.cpu["rip"] = rip - 2  # the hook resumes at RIP + 2: the syscall runs when we resume
            self._uc.emu_stop()
            return
        self._entry_stop = None
        self._run_syscall(proc, rip, pos)  # exit, execve and a fork's child leave by exceptions
        if caught is not None:
            self._hit = Hit("syscall", pos + 1, sysno=caught, phase="return")
            self._uc.emu_stop()

    def _on_rdtsc(self) -> int:
        """rdtsc, which the vDSO's clocks read: the host's TSC live, the recorded value when
        re-executing, so that time read without a syscall replays like time read with one."""
        pos = self._pos(self.proc.cpu["rip"])
        value = self.records.get(pos)
        if not isinstance(value, int):
            value = self.records[pos] = vdso.host_tsc()
        return value

    def _caught(self, proc) -> int | None:
        """The syscall number when `catch syscall` wants this call and cont() is running live."""
        if self.catch_syscalls is None or not self._cont_active or self._mode not in ("cont", "step"):
            return None
        nr = proc.cpu["rax"]
        return nr if self.catch_syscalls is ALL_SYSCALLS or nr in self.catch_syscalls else None

    def _run_syscall(self, proc, rip: int, pos: int) -> None:
        rec = self.records.get(pos)
        if rec is not None:
            replay.replay(proc, rec)
            return
        if pos < self.frontier and os.environ.get("ELFEMU_DEBUG_REPLAY"):
            print(f"elfemu: replay desync: no record at {pos} (mode {self._mode}, rip {rip:#x})", file=sys.stderr)
        recorder = replay.Recorder(proc)
        try:
            rec = recorder.run(lambda: dispatch.on_syscall(proc, interpose=False))
        except ImageReplaced:
            raise
        except BaseException:
            if os.getpid() == self._pid and recorder.rec is not None:
                self.records[pos] = recorder.rec
            raise
        if os.getpid() != self._pid:  # fork child: leave the debugger
            self._child_resume = rip + 2
            raise _ForkChild()
        self.records[pos] = rec

    # ----- the one place that runs guest code --------------------------------------
    def _exec(self, count: int, mode: str) -> Hit | None:
        """Run up to `count` instructions from proc.pc in `mode`; returns what stopped the run,
        or None when the count ran out (or a step completed).

        Keeps icount exact: 'step' counts one, a completed count adds `count`, a stop inside a
        block is placed by the block accounting (_pos).
        """
        proc, uc = self.proc, self._uc
        start = self.icount
        self._mode, self._hit = mode, None
        self._base, self._blk_n, self._blk = start, 0, ()
        self._entered = False
        proc.fault = None
        try:
            uc.emu_start(proc.pc, UNTIL_NEVER, count=count)
        except ImageReplaced:
            exec_.retire(uc)
            self._mode = "replay"
            self.icount = start + 1 if mode == "step" else self._base + self._blk_n
            self._attach()
            return Hit("exec", self.icount)
        except _ForkChild:
            self._run_child_free()
        except (ProcessExit, ProcessKilled) as exc:
            self._mode = "replay"
            self.icount = self._last_sys + 1
            self.frontier = max(self.frontier, self.icount)
            return Hit("end", self.icount, ending=exc)
        except UcError as exc:
            self._mode = "replay"
            proc.cpu_error_fault(exc)  # the run loop's classification (Process.handle_cpu_error)
            return self._fault_stop(proc.cpu["rip"], mode, start)
        finally:
            self._mode = "replay"
        if proc.fault is not None:  # an interrupt hook stopped emulation (int3, ud2, div by zero)
            rip = proc.fault.pc if proc.fault.pc is not None else proc.cpu["rip"]
            return self._fault_stop(rip, mode, start)  # the pc the fault was taken at (Process._on_interrupt)
        proc.pc = self._rip()
        hit = self._hit
        kind = hit.kind if hit is not None else None
        if kind == "breakpoint":
            self.icount = hit.pos
            proc.pc = hit.addr
        elif kind == "syscall":
            self.icount = hit.pos  # entry: the syscall instruction is still to run; return: it ran
        elif kind == "watchpoint" and mode == "cont":
            # The writing instruction was cut short: go back to just before it and step it cleanly.
            self.frontier = max(self.frontier, hit.pos)
            self.goto(hit.pos, force=True)
            stepped = self._exec(1, "step")
            return stepped if stepped is not None else hit
        elif mode == "step":
            # An emu_stop from another thread (a host signal, ^C) may end the step before it began.
            self.icount = start + 1 if self._entered or hit is not None else start
            if not self._entered and hit is None:
                self._async_stop()
        else:
            self.icount = start + count
            pos = self._pos(proc.pc)
            if hit is None and pos != start + count:  # stopped early from outside
                self.icount = pos
                self._async_stop()
        self.frontier = max(self.frontier, self.icount)
        if mode == "step" and self.icount >= self._next_snap and self.icount >= self.frontier:
            self._snapshot(proc.pc)
        return hit

    def _fault_stop(self, rip: int, mode: str, start: int) -> Hit:
        """A CPU fault (proc.fault) stopped the guest at rip: stand before the faulting
        instruction with the signal pending (resuming delivers it, as after a ptrace stop)."""
        self.icount = self._pos(rip) if mode != "step" else start
        self.proc.pc = rip
        self.pending_fault = self.proc.fault
        return Hit("signal", self.icount, signo=self.proc.fault.signo)

    def _async_stop(self) -> None:
        """emu_start ended early from outside: deliver pending host signals, as the run loop does.
        A handler frame built here is outside any syscall record: history restarts at it."""
        pc = self.proc.pc
        self.proc.after_stop()
        if self.proc.pc != pc:
            self._reset_history()

    def _run_child_free(self):
        """In a forked child: drop every hook and run the guest to its end without the debugger."""
        proc, uc = self.proc, self._uc
        proc.syscall_interposer = None
        for h in [self._block_hook, self._rdtsc_hook, *self._point_hooks()]:
            uc.hook_del(h)
        if self.on_fork_child is not None:
            self.on_fork_child()
        proc.pc = self._child_resume
        try:
            proc.run()
        except (ProcessExit, ProcessKilled) as how:
            ending.end(proc, how)
        os._exit(0)

    def _event(self, hit: Hit) -> StopEvent:
        """The StopEvent a Hit is reported as (dropping a temporary breakpoint it reached)."""
        kind = hit.kind
        if kind == "breakpoint":
            bp = self.breakpoints.get(hit.addr)
            if bp is not None and bp[1]:
                self.remove_breakpoint(hit.addr)
            return StopEvent("breakpoint", addr=hit.addr)
        if kind == "watchpoint":
            return StopEvent("watchpoint", addr=self.proc.pc, watch_addr=hit.addr, watch_kind=hit.watch_kind)
        if kind == "syscall":
            self.orig_rax = hit.sysno
            self._entry_view = hit.sysno if hit.phase == "entry" else None
            return StopEvent("syscall", addr=self.proc.pc, signo=signal.SIGTRAP, sysno=hit.sysno, sysphase=hit.phase)
        if kind == "signal":
            return StopEvent("signal", addr=self.proc.pc, signo=hit.signo)
        if kind == "end":
            if isinstance(hit.ending, ProcessExit):
                self.exited = StopEvent("exited", exit_status=hit.ending.status)
            else:
                self.exited = StopEvent("killed", signo=hit.ending.signo)
            return self.exited
        return StopEvent("step", addr=self.proc.pc)

    def _deliver_pending(self):
        """Resuming after a fault stop delivers the signal: the guest dies or runs its handler."""
        fault, self.pending_fault = self.pending_fault, None
        if fault is None:
            return None
        try:
            self.proc.handle_fault(fault)
        except ProcessKilled as exc:
            self.exited = StopEvent("killed", signo=exc.signo)
            return self.exited
        self._reset_history()  # a handler frame was built outside any syscall: history restarts here
        return None

    # ----- moving forwards ------------------------------------------------------------
    def _resume_forward(self) -> None:
        """Leaving a stop forwards: a caught syscall runs with the number orig_rax now holds (set
        it to -1 at the entry stop and the call is skipped with ENOSYS, as under ptrace)."""
        if self._entry_view is not None:
            if self.orig_rax != self._entry_view:
                self._uc.reg_write(X.UC_X86_REG_RAX, self.orig_rax & 0xFFFF_FFFF_FFFF_FFFF)
            self._entry_view = None
        self.orig_rax = -1

    def stepi(self, n: int = 1) -> StopEvent:
        """Execute n instructions; stops early at a watchpoint hit, a breakpoint, exit or a fault."""
        first = self._first_step()
        if isinstance(first, StopEvent):
            return first
        hit, left = first, n - 1
        # The rest runs as one counted stretch (gdb's `stepi N` stops at breakpoints on the way too).
        while True:
            if hit is not None and hit.kind != "exec":
                return self._event(hit)
            if left <= 0:
                return StopEvent("step", addr=self.proc.pc)
            if self.proc.pc in self.breakpoints:
                return self._event(Hit("breakpoint", self.icount, addr=self.proc.pc))
            before = self.icount
            limit = min(left, self._next_edit() - self.icount) if self.icount < self.frontier else left
            hit = self._exec(limit, "cont")
            self._after_move()
            left -= self.icount - before

    def cont(self) -> StopEvent:
        """Run until a breakpoint, a watchpoint, a caught syscall, a fault, or the end of the program."""
        self._cont_active = True
        try:
            return self._cont()
        finally:
            self._cont_active = False

    def _first_step(self):
        """How stepi and cont begin: the end or a pending signal's stop (a StopEvent), else one
        instruction (which leaves a breakpoint we are sitting on) and its Hit or None."""
        self._resume_forward()
        if self.exited is not None:
            return self.exited
        ev = self._deliver_pending()
        if ev is not None:
            return ev
        hit = self._exec(1, "step")
        self._after_move()
        return hit

    def _cont(self) -> StopEvent:
        hit = self._first_step()
        if isinstance(hit, StopEvent):
            return hit
        while True:
            if hit is not None and hit.kind != "exec":
                return self._event(hit)
            if self.proc.pc in self.breakpoints:
                return self._event(Hit("breakpoint", self.icount, addr=self.proc.pc))
            limit = self._next_edit() - self.icount if self.icount < self.frontier else BIG
            hit = self._exec(limit, "cont")
            self._after_move()
            if self._interrupted and hit is None:
                self._interrupted = False
                return StopEvent("signal", addr=self.proc.pc, signo=signal.SIGINT)

    def interrupt(self) -> None:
        """From another thread (a ^C): make a running cont() stop soon with SIGINT."""
        self._interrupted = True
        self._uc.emu_stop()

    # ----- leaving (moving backwards is history.py's) -------------------------------------------------------------------------
    def detach(self) -> None:
        """Remove every hook; the caller then runs proc.run() at full speed (live from the frontier)."""
        self.goto(self.frontier)
        uc = self._uc
        for h in [self._block_hook, self._rdtsc_hook, *self._point_hooks()]:
            uc.hook_del(h)
        self.breakpoints.clear()
        self.watchpoints.clear()
        self.proc.syscall_interposer = None
        uc.ctl_flush_tb()


def bench_stepping(path: str, n: int = 100_000, single: bool = False) -> float:
    """Instructions per second during `si n` on `path` (for `make bench`); single=True times n
    separate one-instruction steps instead (what a person pressing `si` repeatedly costs)."""
    import time

    from emulator.task.process import Process

    proc = Process(dispatch.on_syscall, report_unimplemented=False)
    proc.load(path, [os.fsencode(path)], [])
    dbg = Debugger(proc)
    t0 = time.perf_counter()
    if not single:
        dbg.stepi(n)
        return dbg.icount / (time.perf_counter() - t0)
    while dbg.icount < n and dbg.exited is None:
        dbg.stepi(1)
    return dbg.icount / (time.perf_counter() - t0)
