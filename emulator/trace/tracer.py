"""strace-format printer, driven by the syscall table's argument types.

dispatch.py calls enter() before a handler and exit() after it (unwind() when the handler
ends the process or replaces the image). Input arguments are formatted on entry, output
arguments on return; each type in the row prints itself (syscalls/decode/: types.py, structs.py and their siblings).
What a call's line is made of, between those two moments, is callline.py's; where lines go
(stderr, -o, -ff files) and the page that forked processes share is output.py's.

With -f every guest process is a host process (fork happens inside a handler), so the
tracer object continues in the child. What strace shows across processes — the
`[pid N] ` prefix while more than one process is traced, and `<unfinished ...>` /
`<... NAME resumed>` when lines interleave — is decided here from that shared page.
"""

from __future__ import annotations

import copy
import os
import sys
import time

from emulator.errors import ImageReplaced
from emulator.trace.callline import CallLine, Plan, make_plan, separates_itself, sigreturn_mask, touches
from emulator.trace.options import Options, parse_options  # noqa: F401 - parse_options re-exported
from emulator.trace.output import NPROCS, UNFINISHED, Output, Shared, fraction, stamp_text
from emulator.trace.summary import Summary
from syscalls.decode import xlat
from syscalls.decode.sigstructs import siginfo_text
from syscalls.decode.text import CONST_STYLE, errno_text, quote, s32, set_string_style
from syscalls.decode.types import Fd, TraceContext
from syscalls.table import BY_NAME

SYS_EXECVE = BY_NAME["execve"].nr
SYS_RT_SIGRETURN = BY_NAME["rt_sigreturn"].nr
FORK_NRS = frozenset(BY_NAME[name].nr for name in ("clone", "fork", "vfork", "clone3"))  # a child may appear


class Tracer:
    """strace for one guest process (and, with -f, the children it forks: the object goes with them)."""

    def __init__(self, opts: Options):
        self.opts = opts
        self.pid = self.main_pid = os.getpid()  # the traced task's id (a thread's tid under -f)
        self.host_pid = self.main_pid  # the process's: a fork changes it, a new thread does not
        self.is_thread = False  # traces a non-leader thread: the -c table is the process's, not its own
        self.separate = opts.separate  # -ff -o F: each process writes F.PID, as if traced alone
        self.out = Output(self.output_path(), buffered=not opts.follow or self.separate, append=opts.append)
        self.shared = Shared() if opts.follow and not self.separate else None  # -f: the page all processes see
        self.summary = Summary(opts) if opts.summary else None  # -c/-C: the counts
        self.counting_only = opts.summary_only  # -c prints only the table, -C the trace as well
        self.column = max(opts.column - 1, 0)  # -a: where " = result" aligns
        self.dumping = bool(opts.read_fds or opts.write_fds)  # -e read=/write=: hex dumps after lines
        self.paths = opts.trace_paths  # -P: only calls naming these files
        self.status = opts.status  # -z/-Z/-e status=: which results print (None: all)
        self.quiet = opts.quiet  # -q/-e quiet=: lifecycle lines left out
        self.last_nr = SYS_EXECVE  # -n shows the last syscall's number on every line
        self.ip: int | None = None  # -i: where the guest resumes after the current event
        set_string_style(opts.strings_hex)
        CONST_STYLE[0] = opts.const_style
        self.selected = opts.trace  # -e trace=: the numbers to print (None: all)
        self.signals = opts.signals  # -e signal=: the signals to print (None: all)
        self.last_time: int | None = None  # -r: when the previous line started (ns)
        self.pending_head = False  # this process wrote a line start still waiting for its end
        self.last_signal: int | None = None  # the last --- SIG --- line's signal (a kill does not repeat it)
        self.head_len = 0  # length of that line start (to align its end)
        self.entry_prefix = ""  # the current call's line leader, taken at its entry
        self.in_call = False  # a traced call has started and its line is not finished
        self.deferred: list[str] = []  # signal lines waiting for that line
        self.plans: dict[int, Plan] = {}  # per syscall number, made at its first call
        # a line leader beyond the pid: written when a call starts, as strace does
        self.stamped = bool(opts.stamp_format or opts.relative or opts.numbers or opts.ip)

    def output_path(self) -> str | None:
        return f"{self.opts.output}.{self.pid}" if self.separate else self.opts.output

    # ----- line machinery -------------------------------------------------------------------
    def prefix(self) -> str:
        """A line's leader: `[pid N] ` (or `PID ` with -o), then -t/-r stamps, -n and -i."""
        p = ""
        if self.shared is not None:
            if self.opts.output is not None:
                p = f"{self.pid:<5d} "
            elif self.shared.get(NPROCS) > 1:
                p = f"[pid {self.pid:5d}] "
        if not self.stamped:
            return p
        o = self.opts
        now = time.time_ns()
        p += stamp_text(o, now, self.last_time)
        if o.relative:
            self.last_time = now
        if o.numbers:
            p += f"[{self.last_nr:4d}] "
        if o.ip:
            p += f"[{self.ip:016x}] " if self.ip is not None else "[????????????????] "
        return p

    def emit(self, text: str) -> None:
        """A whole line (lifecycle lines): with the prefix."""
        self.emit_raw(self.prefix() + text)

    def emit_raw(self, line: str) -> None:
        sh = self.shared
        if sh is None or sh.get(NPROCS) <= 1 and sh.get(UNFINISHED) == 0:
            self.out.write(line)
            return
        sh.lock()
        try:
            self._interrupt_other(sh)
            self.out.write(line)
            self.out.flush()
        finally:
            sh.unlock()

    def _interrupt_other(self, sh) -> None:
        owner = sh.get(UNFINISHED)
        if owner and owner != self.pid:
            self.out.write(" <unfinished ...>\n")
            sh.set(UNFINISHED, 0)

    # ----- the dispatch interface -------------------------------------------------------------
    def start(self, proc, path, argv, envp):
        """The first line: strace shows the execve that started the program."""
        self.hide_fds(proc)
        if self.opts.insn_range:
            self.install_insn_hook(proc)
        if self.selected is not None and SYS_EXECVE not in self.selected or self.paths and path not in self.paths:
            return
        if self.summary is not None:
            self.summary.add("execve", False, 0.0)
            if self.counting_only:
                return
        if self.status is not None and "successful" not in self.status:
            return
        # strace's child calls execve from its own libc: no guest address to show; the entry point stands in
        self.ip = proc.pc
        envp_addr = proc.rsp0 + 8 * (len(argv) + 2)
        if SYS_EXECVE in self.opts.raw:
            self.emit(f"execve({proc.rsp0 + 8:#x}, {proc.rsp0 + 8:#x}, {envp_addr:#x}) = 0\n")
            return
        if self.opts.verbose:
            env = "[" + self.string_list(envp) + "]"
        else:
            env = f"{envp_addr:#x} /* {len(envp)} var" + ("s" if len(envp) != 1 else "") + " */"
        self.emit(f"execve({quote(path.encode())}, [{self.string_list(argv)}], {env}) = 0\n")

    def string_list(self, items: list[bytes]) -> str:
        """execve's argv/envp: at most -s strings (all with -v), each cut at -s."""
        lim = self.opts.strsize
        if self.opts.verbose:  # -v: every element
            return ", ".join(quote(a, lim) for a in items)
        text = ", ".join(quote(a, lim) for a in items[:lim])
        return text + ", ..." if len(items) > lim else text

    def hide_fds(self, proc) -> None:
        """The trace file and the lock file must not take the guest's lowest free fds."""
        if self.out.fd > 2:
            self.out.fd = proc.fds.hide(self.out.fd)
        if self.shared is not None:
            self.shared.lockfd = proc.fds.hide(self.shared.lockfd)

    def enter(self, proc, call):
        """A call starts: format its input arguments into call.trace (None: the call is not shown)."""
        nr = call.nr
        if self.selected is not None and nr not in self.selected or self.paths and not touches(proc, call, self.paths):
            call.trace = None
            return
        if self.counting_only:
            call.trace = CallLine(None, None, 0, time.time(), 0)
            return
        if self.stamped:
            self.last_nr = nr
            if self.opts.ip:
                self.ip = proc.cpu["rip"] + 2  # strace shows the address after the syscall instruction
        t = TraceContext(proc, call.args, None, self.opts)
        if nr == SYS_RT_SIGRETURN:
            parts, head_n = [sigreturn_mask(t, proc)], 1
        else:
            plan = self.plans.get(nr)
            if plan is None:
                plan = self.plans[nr] = make_plan(call.spec, nr in self.opts.raw)
            parts, head_n = plan.template.copy(), plan.head_n
            args = call.args
            for i, fmt in plan.ins:
                parts[i] = fmt(t, args[i])
        call.trace = CallLine(t, parts, head_n, time.time() if self.summary is not None else 0.0,
                              time.monotonic_ns() if self.opts.durations else 0)
        self.in_call = True
        if self.shared is not None or self.stamped:
            # strace writes a line's leader ([pid N], timestamp) when the call starts
            self.entry_prefix = self.prefix()
        if self.shared is not None and self.status is None and (self.shared.get(NPROCS) > 1 or nr in FORK_NRS):
            self._write_head(call, parts, head_n)  # a new child may print before this call returns

    def _write_head(self, call, parts, head_n) -> None:
        sh = self.shared
        sh.lock()
        try:
            self._interrupt_other(sh)
            shown = [p for p in parts[:head_n] if p]
            head = call.spec.name + "(" + ", ".join(shown)
            if head_n < len(parts) and not separates_itself(call, head_n):
                head += ", " if shown else ""
            line = self.entry_prefix + head
            self.head_len = len(line)
            self.out.write(line)
            self.out.flush()
            sh.set(UNFINISHED, self.pid)
            self.pending_head = True
        finally:
            sh.unlock()

    def exit(self, proc, call):
        if call.nr in FORK_NRS and os.getpid() != self.host_pid:
            self.forked_child(proc)
            return
        self.print_exit(call)

    def print_exit(self, call) -> None:
        """The call returned: format its outputs and result, and finish its line."""
        line = call.trace
        if line is None:
            return
        ret = call.ret
        if ret > 0x7FFF_FFFF_FFFF_FFFF:  # a raw register value (rt_sigreturn restores rax)
            ret -= 1 << 64
        if self.summary is not None:
            self.summary.add(call.spec.name, ret < 0, time.time() - line.summary_start)
            if self.counting_only:
                return
        t, parts = line.ctx, line.parts
        t.ret = ret
        plan = self.plans.get(call.nr)  # none for rt_sigreturn
        if plan is not None:
            args = call.args
            for i, fmt in plan.outs:
                parts[i] = fmt(t, args[i])
        if ret < 0:
            rtext = errno_text(-ret)
        else:
            rtext = plan.ret_format(t, ret) if plan is not None else str(ret)
        if self.opts.durations:
            d = time.monotonic_ns() - line.started_ns
            rtext += f" <{d // 1_000_000_000}{fraction(d, self.opts.duration_digits)}>"
        self.finish(call, parts, line.head_n, rtext, "failed" if ret < 0 else "successful")
        if ret > 0 and self.dumping:
            self.dump_io(t, call, ret)

    def dump_io(self, t, call, ret) -> None:
        """-e read=FD/-e write=FD: the bytes a call moved through a chosen fd, after its line."""
        args = call.spec.args
        if not args or not isinstance(args[0], Fd) or call.nr in self.opts.raw:
            return
        fd = s32(call.args[0])
        for i, a in enumerate(args):
            if a.io and fd in (self.opts.read_fds if a.io == "read" else self.opts.write_fds):
                text = a.io_dump(t, call.args[i])
                if text:
                    self.emit_raw(text)

    def finish(self, call, parts, head_n, rtext, status) -> None:
        """The call's line, then the signal lines that arrived while it ran."""
        self._finish(call, parts, head_n, rtext, status)
        self.in_call = False
        if self.deferred:
            lines, self.deferred = self.deferred, []
            for line in lines:
                self.emit(line)

    def _finish(self, call, parts, head_n, rtext, status) -> None:
        name = call.spec.name
        if self.status is not None and status not in self.status:
            return
        col = self.column
        if self.pending_head:
            self.pending_head = False
            sh = self.shared
            sh.lock()
            try:
                tail = [p for p in parts[head_n:] if p]
                rest = ", ".join(tail) + ")"
                if tail and separates_itself(call, head_n):
                    rest = ", " + rest
                if sh.get(UNFINISHED) == self.pid:
                    sh.set(UNFINISHED, 0)
                    pad = max(col - self.head_len - len(rest), 0)
                    self.out.write(f"{rest}{' ' * pad} = {rtext}\n")
                else:
                    self._interrupt_other(sh)
                    line = f"{self.prefix()}<... {name} resumed>{rest}"
                    self.out.write(f"{line:<{col}} = {rtext}\n")
                self.out.flush()
            finally:
                sh.unlock()
            return
        text = name + "(" + ", ".join(filter(None, parts)) + ")"
        if self.shared is None and not self.stamped:
            self.out.write(f"{text:<{col}} = {rtext}\n")
            return
        pre = self.entry_prefix
        self.emit_raw(f"{pre + text:<{col}} = {rtext}\n")

    def unwind(self, proc, call, exc):
        """The handler did not return: exit (= ?), a committed execve (= 0), or a fatal signal."""
        line = call.trace
        replaced = isinstance(exc, ImageReplaced)
        if line is None:
            if replaced and self.opts.insn_range:
                self.install_insn_hook(proc)
            return
        if self.summary is not None:
            if replaced:  # strace -c counts only calls that return: not exit, exit_group
                self.summary.add(call.spec.name, False, time.time() - line.summary_start)
            if self.counting_only:
                return
        t, parts, head_n = line.ctx, line.parts, line.head_n
        if replaced and self.opts.detach_on_execve:
            self.detach(proc, call, parts, head_n)
            return
        for i, a in enumerate(call.spec.args):
            if a.out and i < len(parts):
                parts[i] = "" if not replaced else a.format(t, call.args[i])
        self.finish(call, parts, head_n, "0" if replaced else "?", "successful" if replaced else "unfinished")
        if replaced and self.opts.insn_range:
            self.install_insn_hook(proc)

    def detach(self, proc, call, parts, head_n) -> None:
        """-b execve: strace lets go of a process whose execve succeeds, mid-line."""
        shown = [p for p in parts if p]
        if self.pending_head and self.shared.get(UNFINISHED) == self.pid:
            rest = [p for p in parts[head_n:] if p]
            text = ", ".join(rest) + " <detached ...>\n"
            self.shared.set(UNFINISHED, 0)
        else:
            text = self.entry_prefix + call.spec.name + "(" + ", ".join(shown) + " <detached ...>\n"
        self.pending_head = self.in_call = False
        self.emit_raw(text)
        self.end("")
        proc.tracer = None

    # ----- processes and signals ----------------------------------------------------------------
    def forked_child(self, proc) -> None:
        """First event in a new child: trace it with -f (strace attaches), else stop tracing."""
        self.pid = self.host_pid = os.getpid()
        self.is_thread = False
        self.pending_head = self.in_call = False  # the fork's line is the parent's
        self.deferred = []
        if self.separate and self.opts.follow:  # -ff: the child's lines go to its own F.PID
            os.close(self.out.fd)
            proc.fds.hidden.discard(self.out.fd)
            self.out = Output(self.output_path(), append=self.opts.append)
            self.out.fd = proc.fds.hide(self.out.fd)
            if self.summary is not None:
                self.summary = Summary(self.opts)
            return
        if self.shared is None:
            self.out.drop()
            proc.tracer = None
            return
        self.shared.add_procs(+1)  # before this child's first line, even when -e trace= hides the fork
        if self.summary is not None:
            self.summary = Summary()
        if not self.counting_only and self.opts.output is None and "attach" not in self.quiet:
            # with -o (or -q) strace says nothing here
            # Like strace's, this message does not end another process's unfinished line: the
            # parent's `clone(...` then goes on with `, child_tidptr=...) = PID` after it.
            sh = self.shared
            sh.lock()
            try:
                self.out.write(f"elfemu: Process {self.pid} attached\n")
                self.out.flush()
            finally:
                sh.unlock()
    def for_thread(self, tid: int):
        """The tracer of a new thread: strace -f traces it as a task of its own ([pid TID] lines,
        its own unfinished calls); without -f strace follows only the first thread."""
        if self.shared is None:
            return None
        t = copy.copy(self)
        t.pid, t.is_thread = tid, True
        t.pending_head = t.in_call = False
        t.deferred, t.entry_prefix, t.last_signal = [], "", None
        t.shared.add_procs(+1)  # a new traced task, counted before it prints anything
        if not self.counting_only and self.opts.output is None and "attach" not in self.quiet:
            self.emit_raw(f"elfemu: Process {tid} attached\n")
        return t

    def signal(self, proc, signo: int, siginfo: dict, pc: int | None = None) -> None:
        """A signal is delivered to the guest: --- SIGxxx {...} ---. `pc`: where the guest was."""
        if self.counting_only or (self.signals is not None and signo not in self.signals):
            return
        self.last_signal = signo
        if pc is not None:
            self.ip = pc
        line = f"--- {xlat.signame(signo)} {siginfo_text(dict(siginfo, si_signo=signo))} ---\n"
        if self.in_call:  # raised while a call runs (a SIGCHLD during wait4): strace shows it after the call
            self.deferred.append(line)
        else:
            self.emit(line)

    def flush(self) -> None:
        """Write out buffered lines (before a fork: each side would write them again)."""
        self.out.flush()

    def exited(self, proc, status):
        self.ip = None
        self.end("" if "exit" in self.quiet else f"+++ exited with {status} +++\n")

    def killed(self, proc, signo, info):
        if info is not None and self.last_signal != signo:
            self.signal(proc, signo, info)
        shown = self.signals is None or signo in self.signals  # strace filters this line by -e signal= too
        self.ip = None
        self.end(f"+++ killed by {xlat.signame(signo)} +++\n" if shown else "")

    def end(self, line: str) -> None:
        if line and not self.counting_only:
            self.emit(line)
        if self.summary is not None and not self.is_thread:
            if os.getpid() == self.main_pid or self.separate:
                if self.shared is not None:  # -f: the children left their counts in the lock file
                    self.summary.merge(self.shared.read_all())
                self.out.write(self.summary.table())
            elif self.shared is not None:
                self.shared.append(self.summary.dump())
        self.out.flush()
        if self.shared is not None:
            self.shared.add_procs(-1)

    # ----- --trace-insn ----------------------------------------------------------------------------
    def install_insn_hook(self, proc) -> None:
        from emulator.trace.insn import InsnRangeError, install

        try:
            install(self, proc, self.opts.insn_range)
        except InsnRangeError as exc:
            print(f"elfemu trace: --trace-insn: {exc}", file=sys.stderr)
            raise SystemExit(1) from None

