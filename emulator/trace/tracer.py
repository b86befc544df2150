"""strace-format printer, driven by the syscall table's argument types.

dispatch.py calls enter() before a handler and exit() after it (unwind() when the handler
ends the process or replaces the image). Input arguments are formatted on entry, output
arguments on return; each type in the row prints itself (syscalls/decode/types.py, structs.py).

With -f every guest process is a host process (fork happens inside a handler), so the
tracer object continues in the child. What strace shows across processes — the
`[pid N] ` prefix while more than one process is traced, and `<unfinished ...>` /
`<... NAME resumed>` when lines interleave — lives in a small shared memory page created
before the first fork, guarded by a POSIX record lock (those are per process).
"""

from __future__ import annotations

import copy
import fcntl
import mmap
import os
import struct
import sys
import tempfile
import time

from emulator.errors import GuestFault, ImageReplaced
from emulator.trace.options import Options, parse_options  # noqa: F401 - parse_options re-exported
from emulator.trace.summary import Summary
from syscalls.decode import xlat
from syscalls.decode.structs import siginfo_text, sigset_text
from syscalls.decode.types import CONST_STYLE, Fd, TraceContext, errno_text, fd_path, quote, s32, set_string_style

FORK_NRS = {56, 57, 58, 435}
NPROCS, UNFINISHED = 0, 1  # slots (int64) in the shared page


def _hex(t, raw) -> str:
    return f"{raw:#x}" if raw else "0"


def sigreturn_mask(t, proc) -> str:
    data = t.read(proc.cpu["rsp"] + 0x128, 8)
    return "{mask=" + (sigset_text(int.from_bytes(data, "little")) if data else "?") + "}"


def _fraction(ns: int, digits: int) -> str:
    """strace's sub-second part at a precision of s/ms/us/ns (truncated, as strace's is)."""
    return "." + f"{ns % 1_000_000_000:09d}"[:digits] if digits else ""


def _separates_itself(call, i: int) -> bool:
    """Does argument i print its own leading ", " at exit (clone's tail), as strace's decoder does?"""
    args = call.spec.args
    return i < len(args) and getattr(args[i], "sep_at_exit", False)


class Output:
    """Where lines go: stderr unbuffered (keeps order with the guest's own stderr), -o files buffered."""

    def __init__(self, path: str | None, buffered: bool = True, append: bool = False):
        if path is None:
            self.fd, self.buffered = 2, False
        else:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | (0 if append else os.O_TRUNC)
            self.fd = os.open(path, flags, 0o666)
            self.buffered = buffered  # with -f, lines of several processes interleave: no buffering
        self.buf: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        if self.buffered:
            self.buf.append(text)
            self.size += len(text)
            if self.size > 65536:
                self.flush()
        else:
            _write_all(self.fd, text.encode(errors="surrogateescape"))

    def flush(self) -> None:
        if self.buf:
            data = "".join(self.buf).encode(errors="surrogateescape")
            self.buf, self.size = [], 0
            _write_all(self.fd, data)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        n = os.write(fd, data)
        data = data[n:]


class Shared:
    """State every traced process sees: how many are alive, who has an unfinished line."""

    def __init__(self):
        self.page = mmap.mmap(-1, 4096)
        tmp = tempfile.TemporaryFile()
        self.lockfd = os.dup(tmp.fileno())
        tmp.close()
        self.set(NPROCS, 1)

    def get(self, slot: int) -> int:
        return struct.unpack_from("<q", self.page, slot * 8)[0]

    def set(self, slot: int, value: int) -> None:
        struct.pack_into("<q", self.page, slot * 8, value)

    def append(self, text: str) -> None:
        """Children's -c counts, kept in the lock file until the main process prints the table."""
        self.lock()
        try:
            os.lseek(self.lockfd, 0, os.SEEK_END)
            _write_all(self.lockfd, text.encode())
        finally:
            self.unlock()

    def read_all(self) -> str:
        size = os.fstat(self.lockfd).st_size
        return os.pread(self.lockfd, size, 0).decode() if size else ""

    def lock(self) -> None:
        fcntl.lockf(self.lockfd, fcntl.LOCK_EX)

    def unlock(self) -> None:
        fcntl.lockf(self.lockfd, fcntl.LOCK_UN)


class Tracer:
    def __init__(self, opts: Options):
        self.opts = opts
        self.pid = self.main_pid = os.getpid()  # the traced task's id (a thread's tid under -f)
        self.host_pid = self.main_pid  # the process's: a fork changes it, a new thread does not
        self.is_thread = False  # traces a non-leader thread: the -c table is the process's, not its own
        self.separate = opts.separate  # -ff -o F: each process writes F.PID, as if traced alone
        self.out = Output(self.output_path(), buffered=not opts.follow or self.separate, append=opts.append)
        self.shared = Shared() if opts.follow and not self.separate else None
        self.summary = Summary(opts) if opts.summary else None
        self.counting_only = opts.summary_only  # -c prints only the table, -C the trace as well
        self.column = max(opts.column - 1, 0)
        self.dumping = bool(opts.read_fds or opts.write_fds)
        self.paths = opts.trace_paths
        self.status = opts.status
        self.quiet = opts.quiet
        self.last_nr = 59  # -n shows the last syscall's number on every line
        self.ip: int | None = None  # -i: where the guest resumes after the current event
        set_string_style(opts.strings_hex)
        CONST_STYLE[0] = opts.const_style
        self.selected = opts.trace
        self.signals = opts.signals
        self.last_time = None
        self.pending_head = False  # this process wrote a line start still waiting for its end
        self.last_signal = None
        self.insn = None
        self.head_len = 0
        self.entry_prefix = ""  # the current call's line leader, taken at its entry
        self.in_call = False  # a traced call has started and its line is not finished
        self.deferred: list[str] = []  # signal lines waiting for that line
        self.plans: dict[int, tuple] = {}
        # a line leader beyond the pid: written when a call starts, as strace does
        self.stamped = bool(opts.stamp_format or opts.relative or opts.numbers or opts.ip)

    def output_path(self) -> str | None:
        return f"{self.opts.output}.{self.pid}" if self.separate else self.opts.output

    # ----- line machinery -------------------------------------------------------------------
    def prefix(self) -> str:
        p = ""
        if self.shared is not None:
            if self.opts.output is not None:
                p = f"{self.pid:<5d} "
            elif self.shared.get(NPROCS) > 1:
                p = f"[pid {self.pid:5d}] "
        if not self.stamped:
            return p
        o = self.opts
        p += self.stamp(time.time_ns())
        if o.numbers:
            p += f"[{self.last_nr:4d}] "
        if o.ip:
            p += f"[{self.ip:016x}] " if self.ip is not None else "[????????????????] "
        return p

    def stamp(self, now: int) -> str:
        """-t/-tt/-ttt/-r and their long forms: nanoseconds since the epoch in, text out."""
        o = self.opts
        text = ""
        if o.stamp_format == "unix":
            text = f"{now // 1_000_000_000}{_fraction(now, o.stamp_digits)} "
        elif o.stamp_format == "time":
            secs = time.strftime("%H:%M:%S", time.localtime(now // 1_000_000_000))
            text = f"{secs}{_fraction(now, o.stamp_digits)} "
        if o.relative:
            last = self.last_time if self.last_time is not None else now
            self.last_time = now
            d = max(now - last, 0)
            rel = f"{d // 1_000_000_000:6d}{_fraction(d, o.relative_digits)}"
            return f"{text}(+{rel}) " if text else rel + " "  # -t -r: 16:15:42 (+     0.000255)
        return text

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

    def _multi(self) -> bool:
        sh = self.shared
        return sh is not None and sh.get(NPROCS) > 1

    # ----- the dispatch interface -------------------------------------------------------------
    def start(self, proc, path, argv, envp):
        """The first line: strace shows the execve that started the program."""
        self.hide_fds(proc)
        if self.opts.insn_range:
            self.install_insn_hook(proc)
        if self.selected is not None and 59 not in self.selected or self.paths and path not in self.paths:
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
        if 59 in self.opts.raw:
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

    def plan(self, call):
        """Per syscall, once: which arguments print on entry, which on return (bound formatters)."""
        spec = call.spec
        ret_format = spec.ret.format
        if not spec.args and spec.handler is None and spec.name.startswith("syscall_"):
            ins = [(i, _hex) for i in range(6)]
            outs, head_n, n = [], 6, 6
        elif call.nr in self.opts.raw:  # -e raw=: every argument and the result as hex numbers
            n = len(spec.args)
            ins, outs, head_n, ret_format = [(i, _hex) for i in range(n)], [], n, _hex
        else:
            ins = [(i, a.format) for i, a in enumerate(spec.args) if not a.out]
            outs = [(i, a.format) for i, a in enumerate(spec.args) if a.out]
            head_n = outs[0][0] if outs else len(spec.args)
            n = len(spec.args)
        plan = (ins, outs, head_n, [None] * n, ret_format)
        self.plans[call.nr] = plan
        return plan

    def enter(self, proc, call):
        nr = call.nr
        if self.selected is not None and nr not in self.selected or self.paths and not self.touches(proc, call):
            call.pc = None
            return
        if self.counting_only:
            call.pc = (None, None, 0, time.time())
            return
        if self.stamped:
            self.last_nr = nr
            if self.opts.ip:
                self.ip = proc.cpu["rip"] + 2  # strace shows the address after the syscall instruction
        t = TraceContext(proc, call.args, None, self.opts)
        if nr == 15:  # strace shows the signal mask rt_sigreturn restores (uc_sigmask)
            parts, head_n = [sigreturn_mask(t, proc)], 1
        else:
            ins, _outs, head_n, template, _r = self.plans.get(nr) or self.plan(call)
            parts = template.copy()
            args = call.args
            for i, fmt in ins:
                parts[i] = fmt(t, args[i])
        opts = self.opts
        call.pc = (t, parts, head_n, time.time() if self.summary is not None else 0.0,
                   time.monotonic_ns() if opts.durations else 0)
        self.in_call = True
        if self.shared is not None or self.stamped:
            # strace writes a line's leader ([pid N], timestamp) when the call starts
            self.entry_prefix = self.prefix()
        if self.shared is not None and self.status is None and (self.shared.get(NPROCS) > 1 or nr in FORK_NRS):
            self._write_head(call, parts, head_n)  # a new child may print before this call returns

    def touches(self, proc, call) -> bool:
        """-P: does the call name one of the paths, by a path argument or an fd open on it?"""
        paths = self.paths
        for a, raw in zip(call.spec.args, call.args):
            if a.names == "fd":
                if fd_path(s32(raw)) in paths:
                    return True
            elif a.names == "path" and raw:
                try:
                    if proc.mem.read_cstr(raw, 4096).decode(errors="surrogateescape") in paths:
                        return True
                except GuestFault:
                    pass
        return False

    def _write_head(self, call, parts, head_n) -> None:
        sh = self.shared
        sh.lock()
        try:
            self._interrupt_other(sh)
            shown = [p for p in parts[:head_n] if p]
            head = call.spec.name + "(" + ", ".join(shown)
            if head_n < len(parts) and not _separates_itself(call, head_n):
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
        nr = call.nr
        if nr in FORK_NRS and os.getpid() != self.host_pid:
            self.forked_child(proc)
            return
        self.print_exit(call)

    def print_exit(self, call) -> None:
        nr = call.nr
        state = call.pc
        if state is None:
            return
        ret = call.ret
        if ret > 0x7FFF_FFFF_FFFF_FFFF:  # a raw register value (rt_sigreturn restores rax)
            ret -= 1 << 64
        if self.summary is not None:
            self.summary.add(call.spec.name, ret < 0, time.time() - state[3])
            if self.counting_only:
                return
        t, parts, head_n, _then, started = state
        t.ret = ret
        plan = self.plans.get(nr)
        if plan is not None:
            args = call.args
            for i, fmt in plan[1]:
                parts[i] = fmt(t, args[i])
        if ret < 0:
            rtext = errno_text(-ret)
        else:
            rtext = plan[4](t, ret) if plan is not None else str(ret)
        if self.opts.durations:
            d = time.monotonic_ns() - started
            rtext += f" <{d // 1_000_000_000}{_fraction(d, self.opts.duration_digits)}>"
        self.finish(call, parts, head_n, rtext, "failed" if ret < 0 else "successful")
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

    def attached(self) -> None:
        """A child now runs traced: counted by the child itself, before it prints anything."""
        sh = self.shared
        sh.lock()
        try:
            sh.set(NPROCS, sh.get(NPROCS) + 1)
        finally:
            sh.unlock()

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
                if tail and _separates_itself(call, head_n):
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
        state = call.pc
        if state is None:
            if isinstance(exc, ImageReplaced) and self.opts.insn_range:
                self.install_insn_hook(proc)
            return
        replaced = isinstance(exc, ImageReplaced)
        if self.summary is not None:
            if replaced:  # strace -c counts only calls that return: not exit, exit_group
                self.summary.add(call.spec.name, False, time.time() - state[3])
            if self.counting_only:
                return
        t, parts, head_n = state[:3]
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
            self.out.buf, self.out.size = [], 0
            proc.tracer = None
            return
        self.attached()  # before this child's first line, even when -e trace= hides the fork
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
        t.attached()
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
            sh = self.shared
            sh.lock()
            try:
                sh.set(NPROCS, max(sh.get(NPROCS) - 1, 0))
            finally:
                sh.unlock()

    # ----- --trace-insn ----------------------------------------------------------------------------
    def install_insn_hook(self, proc) -> None:
        from emulator.trace.insn import InsnRangeError, install

        try:
            install(self, proc, self.opts.insn_range)
        except InsnRangeError as exc:
            print(f"elfemu trace: --trace-insn: {exc}", file=sys.stderr)
            raise SystemExit(1) from None

