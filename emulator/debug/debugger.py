"""The debugging engine under `elfemu step` and the gdb stub: forward and reverse execution.

Nothing here costs time unless a person is debugging. Stepping is `emu_start(count=1)`;
continuing (and `stepi N`) is one counted emu_start with code hooks limited to the breakpoint
addresses, memory hooks limited to the watched ranges, and a block hook that keeps the
instruction count exact (about 1-3 M instructions/s instead of the run path's hundreds).
Reverse execution (history.py) restores the nearest periodic snapshot (replay.py) and
re-executes forwards to the wanted instruction count, replaying the recorded results of
system calls instead of running them again (so nothing is printed twice).

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
import errno
import os
import signal
import sys

import capstone

from emulator.debug import history, replay
from emulator.debug.history import REASONS, History, StopEvent  # noqa: F401 - StopEvent is part of this API
from emulator.errors import ImageReplaced, ProcessExit, ProcessKilled
from emulator.image import exec as exec_
from emulator.image import vdso
from emulator.machine.cpu import REG_IDS
from emulator.machine.unicorn_ffi import UC_HOOK_BLOCK, UC_HOOK_CODE, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UcError, lib
from emulator.machine.unicorn_ffi import unicorn_const as UC
from emulator.machine.unicorn_ffi import x86_const as X
from emulator.task import ending
from emulator.task.process import ILL_ILLOPN, MEMORY_ERRORS, SI_KERNEL, UNTIL_NEVER, Fault
from syscalls import dispatch

ALL_SYSCALLS: set[int] = set()  # catch_syscalls value meaning "every call" (compared by identity)
BIG = history.BIG  # "no instruction limit" (the debugger always runs Unicorn in counted mode)
SNAP_EVERY = 50_000  # instructions between periodic snapshots
WATCH_SLACK = 63  # an access starting this far before a watched range may still overlap it
WATCH_HOOKS = {"write": UC_HOOK_MEM_WRITE, "read": UC_HOOK_MEM_READ, "access": UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE}
UC_MEM_WRITE = UC.UC_MEM_WRITE

REG_IDS = dict(REG_IDS)
REG_IDS.update({f"st{i}": getattr(X, f"UC_X86_REG_FP{i}") for i in range(8)})
REG_IDS.update({f"xmm{i}": getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16)})
REG_IDS.update(fctrl=X.UC_X86_REG_FPCW, fstat=X.UC_X86_REG_FPSW, ftag=X.UC_X86_REG_FPTAG,
               fiseg=X.UC_X86_REG_FCS, fioff=X.UC_X86_REG_FIP, foseg=X.UC_X86_REG_FDS,
               fooff=X.UC_X86_REG_FDP, fop=X.UC_X86_REG_FOP, mxcsr=X.UC_X86_REG_MXCSR)
REGISTER_NAMES = tuple(REG_IDS) + ("orig_rax",)


def uc_register(uc, name: str) -> int:
    v = uc.reg_read(REG_IDS[name])
    if not v and name in LINUX_SELECTORS:  # Unicorn leaves them 0; show what Linux user mode has
        return LINUX_SELECTORS[name]
    if isinstance(v, tuple):  # x87: (mantissa, exponent) -> one 80-bit int
        v = v[0] | (v[1] << 64)
    return v
LINUX_SELECTORS = {"cs": 0x33, "ss": 0x2B}

class _ForkChild(Exception):
    """Raised out of Unicorn in a forked child: the child leaves the debugger and runs free."""


class Debugger(History):
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
        if hasattr(proc, "sig"):
            proc.sig.start()  # host signals reach the guest while debugging too (alarm, kill)

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
        for addr, bp in self.breakpoints.items():
            bp[0] = uc.hook_add(UC_HOOK_CODE, self._on_bp, None, addr, addr)
        for key in self.watchpoints:
            self.watchpoints[key] = self._watch_hook(*key)
        proc.syscall_interposer = self._on_syscall
        uc.ctl_flush_tb()  # hooks apply only to code translated after they were added
        self._reset_history()

    def _rip(self) -> int:
        self._read_reg(self._uc_handle, X.UC_X86_REG_RIP, self._rip_ref)
        return self._rip_buf.value

    def _watch_hook(self, addr: int, length: int, kind: str):
        return self._uc.hook_add(WATCH_HOOKS[kind], self._on_access, None, max(0, addr - WATCH_SLACK),
                                 addr + length - 1)

    # ----- breakpoints and watchpoints -----------------------------------------
    def add_breakpoint(self, addr: int, temporary: bool = False) -> None:
        if addr in self.breakpoints:
            self.breakpoints[addr][1] = temporary and self.breakpoints[addr][1]
            return
        h = self._uc.hook_add(UC_HOOK_CODE, self._on_bp, None, addr, addr)
        self._uc.ctl_remove_cache(addr, addr + 1)
        self.breakpoints[addr] = [h, temporary]

    def remove_breakpoint(self, addr: int) -> bool:
        bp = self.breakpoints.pop(addr, None)
        if bp is None:
            return False
        self._uc.hook_del(bp[0])
        self._uc.ctl_remove_cache(addr, addr + 1)
        return True

    def add_watchpoint(self, addr: int, length: int, kind: str = "write") -> None:
        """Stop after any instruction that writes (reads, or either: kind) into [addr, addr+length)."""
        key = (addr, length, kind)
        if key not in self.watchpoints:
            self.watchpoints[key] = self._watch_hook(*key)
            self._uc.ctl_flush_tb()

    def remove_watchpoint(self, addr: int, length: int, kind: str = "write") -> bool:
        h = self.watchpoints.pop((addr, length, kind), None)
        if h is None:
            return False
        self._uc.hook_del(h)
        self._uc.ctl_flush_tb()
        return True

    # ----- state -----------------------------------------------------------------
    @property
    def pc(self) -> int:
        return self.proc.pc

    def read_register(self, name: str) -> int:
        if name == "orig_rax":
            return self.orig_rax & 0xFFFF_FFFF_FFFF_FFFF
        if self._entry_view is not None and name in ("rip", "rax"):
            # At a syscall-entry stop ptrace shows RIP past the instruction and RAX = -ENOSYS (the
            # number is in orig_rax); here the instruction itself is still to run.
            return self.proc.pc + 2 if name == "rip" else -errno.ENOSYS & 0xFFFF_FFFF_FFFF_FFFF
        if name == "rip":
            return self.proc.pc
        return uc_register(self._uc, name)

    def threads(self) -> list:
        """The process's threads, leader first (one until the program makes a second: threads.py)."""
        group = self.proc.group
        if group is None:
            return [self.proc]
        with group.lock:
            return [self.proc, *(t for t in group.tasks.values() if t is not self.proc)]

    def thread_register(self, task, name: str) -> int:
        """A register of another thread, as it stands while the leader is stopped (the others
        wait for the baton: all-stop). Its orig_rax is not tracked: -1, as ptrace shows outside a call."""
        if task is self.proc:
            return self.read_register(name)
        if name == "orig_rax":
            return 0xFFFF_FFFF_FFFF_FFFF
        return uc_register(task.uc, name)

    def write_register(self, name: str, value: int) -> None:
        if name == "orig_rax":
            self.orig_rax = value
            return
        rid = REG_IDS[name]
        if name.startswith("st"):
            self._uc.reg_write(rid, (value & (2**64 - 1), (value >> 64) & 0xFFFF))
        elif name.startswith("xmm"):
            self._uc.reg_write(rid, value & (2**128 - 1))
        else:
            self._uc.reg_write(rid, value & 0xFFFF_FFFF_FFFF_FFFF)
        if name == "rip":
            self.proc.pc = value
            self._entry_view = None  # execution moved away: the caught syscall will not run
        self._edited()

    def registers(self) -> dict[str, int]:
        return {name: self.read_register(name) for name in REGISTER_NAMES}

    def read_memory(self, addr: int, n: int) -> bytes:
        """Raises GuestFault for unmapped memory (permissions are ignored, as for ptrace)."""
        return self.proc.mem.read(addr, n)

    def write_memory(self, addr: int, data: bytes) -> None:
        """Write even into read-only text, as ptrace does; stale translated code is dropped."""
        self.proc.mem.poke(addr, data)
        self._uc.ctl_remove_cache(addr, addr + max(1, len(data)))
        self._blocks.clear()
        self._edited()

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

    def _on_bp(self, uc, addr, size, _ud) -> None:
        if self._mode == "cont":
            self._hit = ("breakpoint", addr, self._pos(addr), 0)
            uc.emu_stop()
        elif self._mode == "scan":
            self._hits.append((self._pos(addr), "breakpoint", addr, 0))

    def _on_access(self, uc, access, addr, size, value, _ud) -> None:
        if self._mode == "replay":
            return
        wanted = ("write", "access") if access == UC_MEM_WRITE else ("read", "access")
        hit = next(((a, k) for (a, n, k) in self.watchpoints if k in wanted and addr < a + n and addr + size > a),
                   None)
        if hit is None:
            return
        waddr, kind = max(addr, hit[0]), hit[1]
        if self._mode == "step":
            self._hit = ("watchpoint", 0, self.icount, waddr, kind)
        elif self._mode == "cont":
            self._hit = ("watchpoint", 0, self._pos(self.proc.cpu["rip"]), waddr, kind)
            uc.emu_stop()
        elif self._mode == "scan":
            self._hits.append((self._pos(self.proc.cpu["rip"]) + 1, "watchpoint", 0, waddr, kind))

    def _on_syscall(self, proc) -> None:
        """The syscall interposer: replay a recorded call, or run it live and record it; under
        `catch syscall`, stop before it (entry) and, once it ran, after it (return)."""
        rip = proc.cpu["rip"]
        pos = self._last_sys = self._pos(rip)
        caught = self._caught(proc)
        if caught is not None and self._entry_stop != pos:
            self._entry_stop = pos
            self._hit = ("syscall", caught, pos, 0, "entry")
            proc.cpu["rip"] = rip - 2  # the hook resumes at RIP + 2: the syscall runs when we resume
            self._uc.emu_stop()
            return
        self._entry_stop = None
        self._run_syscall(proc, rip, pos)  # exit, execve and a fork's child leave by exceptions
        if caught is not None:
            self._hit = ("syscall", caught, pos + 1, 0, "return")
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

    # ----- snapshots ---------------------------------------------------------------
    # ----- the one place that runs guest code --------------------------------------
    def _exec(self, count: int, mode: str):
        """Run up to `count` instructions from proc.pc in `mode`; returns a raw hit tuple or None.

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
            return ("exec", 0, self.icount, 0)
        except _ForkChild:
            self._run_child_free()
        except (ProcessExit, ProcessKilled) as exc:
            self._mode = "replay"
            self.icount = self._last_sys + 1
            self.frontier = max(self.frontier, self.icount)
            return ("end", exc, self.icount, 0)
        except UcError as exc:
            self._mode = "replay"
            if proc.fault is None and exc.errno in MEMORY_ERRORS:
                proc.classify_memory_fault(exc.errno)
            if proc.fault is None:  # as Process.handle_cpu_error classifies it
                ill = exc.errno == UC.UC_ERR_INSN_INVALID
                proc.fault = Fault(signal.SIGILL if ill else signal.SIGSEGV, ILL_ILLOPN if ill else SI_KERNEL,
                                   proc.cpu["rip"] if ill else 0)
            rip = proc.cpu["rip"]
            self.icount = self._pos(rip) if mode != "step" else start
            proc.pc = rip
            self.pending_fault = proc.fault
            return ("signal", proc.fault.signo, self.icount, 0)
        finally:
            last_mode, self._mode = self._mode, "replay"
        if proc.fault is not None:  # an interrupt hook stopped emulation (int3, ud2, div by zero)
            rip = getattr(proc, "fault_pc", proc.cpu["rip"])
            self.icount = self._pos(rip) if last_mode != "step" else start
            proc.pc = rip
            self.pending_fault = proc.fault
            return ("signal", proc.fault.signo, self.icount, 0)
        proc.pc = self._rip()
        hit = self._hit
        if hit is not None and hit[0] == "breakpoint":
            self.icount = hit[2]
            proc.pc = hit[1]
        elif hit is not None and hit[0] == "syscall":
            self.icount = hit[2]  # entry: the syscall instruction is still to run; return: it ran
        elif hit is not None and hit[0] == "watchpoint" and mode == "cont":
            # The writing instruction was cut short: go back to just before it and step it cleanly.
            self.frontier = max(self.frontier, hit[2])
            self.goto(hit[2], force=True)
            h2 = self._exec(1, "step")
            return h2 if h2 is not None else hit
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
        for h in [self._block_hook, self._rdtsc_hook, *(b[0] for b in self.breakpoints.values()),
                  *self.watchpoints.values()]:
            uc.hook_del(h)
        if self.on_fork_child is not None:
            self.on_fork_child()
        proc.pc = self._child_resume
        try:
            proc.run()
        except (ProcessExit, ProcessKilled) as how:
            ending.end(proc, how)
        os._exit(0)

    def _event(self, hit) -> "StopEvent":
        kind = hit[0]
        if kind == "breakpoint":
            bp = self.breakpoints.get(hit[1])
            if bp is not None and bp[1]:
                self.remove_breakpoint(hit[1])
            return StopEvent("breakpoint", addr=hit[1])
        if kind == "watchpoint":
            return StopEvent("watchpoint", addr=self.proc.pc, watch_addr=hit[3], watch_kind=hit[4])
        if kind == "syscall":
            self.orig_rax = hit[1]
            self._entry_view = hit[1] if hit[4] == "entry" else None
            return StopEvent("syscall", addr=self.proc.pc, signo=signal.SIGTRAP, sysno=hit[1], sysphase=hit[4])
        if kind == "signal":
            return StopEvent("signal", addr=self.proc.pc, signo=hit[1])
        if kind == "end":
            exc = hit[1]
            if isinstance(exc, ProcessExit):
                self.exited = StopEvent("exited", exit_status=exc.status)
            else:
                self.exited = StopEvent("killed", signo=exc.signo)
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
        self._resume_forward()
        if self.exited is not None:
            return self.exited
        ev = self._deliver_pending()
        if ev is not None:
            return ev
        hit = self._exec(1, "step")
        self._after_move()
        left = n - 1
        # The rest runs as one counted stretch (gdb's `stepi N` stops at breakpoints on the way too).
        while True:
            if hit is not None and hit[0] != "exec":
                return self._event(hit)
            if left <= 0:
                return StopEvent("step", addr=self.proc.pc)
            if self.proc.pc in self.breakpoints:
                return self._event(("breakpoint", self.proc.pc, self.icount, 0))
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

    def _cont(self) -> StopEvent:
        self._resume_forward()
        if self.exited is not None:
            return self.exited
        ev = self._deliver_pending()
        if ev is not None:
            return ev
        hit = self._exec(1, "step")  # leave a breakpoint we are sitting on
        self._after_move()
        while True:
            if hit is not None and hit[0] != "exec":
                return self._event(hit)
            if self.proc.pc in self.breakpoints:
                return self._event(("breakpoint", self.proc.pc, self.icount, 0))
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

    # ----- moving backwards -------------------------------------------------------------
    # ----- leaving ------------------------------------------------------------------------
    def detach(self) -> None:
        """Remove every hook; the caller then runs proc.run() at full speed (live from the frontier)."""
        self.goto(self.frontier)
        uc = self._uc
        for h in [self._block_hook, self._rdtsc_hook, *(b[0] for b in self.breakpoints.values()),
                  *self.watchpoints.values()]:
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
