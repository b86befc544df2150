"""`elfemu step PROGRAM [ARGS]`: a gdb-like command line over the debugging engine.

The engine (emulator/debug/debugger.py) moves the guest forwards and backwards; this module only
parses commands, moves, and prints stops as gdb would; the person's numbered breakpoints and
watchpoints are points.py's, the commands that look at state inspect.py's. It reads one command per line from stdin, with a prompt only on
a tty, so a script can drive it; EOF kills the guest. Output depends only on guest state, and
the emulator has no ASLR, so scripted sessions print the same text every run.
"""

import os
import signal
import sys

from emulator.debug.state import REGISTER_NAMES as REG_NAMES
from emulator.debug.stepper import view
from emulator.debug.stepper.expr import Evaluator, ExprError, Scanner
from emulator.debug.stepper.inspect import Inspect
from emulator.debug.stepper.points import Point, Points
from emulator.image.symbols import load_symbols

PROMPT = "(elfemu) "


class Stepper(Points, Inspect):
    """One session: a Debugger, the guest's symbols, and the person's state."""

    def __init__(self, proc, dbg, syms, out=None):
        self.proc, self.dbg, self.syms = proc, dbg, syms
        self.image = proc.image
        self.out = out or sys.stdout
        self.points: dict[int, Point] = {}
        self.next_num = 1
        self.engine_bps: dict[int, int] = {}  # address -> references (user and internal)
        self.history: list[int] = []
        self.ev = Evaluator(dbg, syms.address, self.history)
        self.xfmt = view.ExamineFormat()
        self.next_x = None
        self.dis = view.Disassembler(syms.where)
        self.scanner = Scanner()
        self.done = False
        self.thread_no = 1  # `thread N`: whose registers regs/bt show (execution acts on the leader, thread 1)
        self.commands = {
            "si": self.cmd_si, "stepi": self.cmd_si, "ni": self.cmd_ni, "nexti": self.cmd_ni,
            "c": self.cmd_c, "continue": self.cmd_c, "cont": self.cmd_c, "finish": self.cmd_finish,
            "rsi": self.cmd_rsi, "reverse-stepi": self.cmd_rsi, "rni": self.cmd_rni,
            "reverse-nexti": self.cmd_rni, "rc": self.cmd_rc, "reverse-continue": self.cmd_rc,
            "b": self.cmd_break, "break": self.cmd_break, "tb": self.cmd_tbreak, "tbreak": self.cmd_tbreak,
            "d": self.cmd_delete, "delete": self.cmd_delete, "watch": self.cmd_watch,
            "x": self.cmd_x, "p": self.cmd_print, "print": self.cmd_print, "set": self.cmd_set,
            "regs": self.cmd_regs, "disas": self.cmd_disas, "disassemble": self.cmd_disas,
            "bt": self.cmd_bt, "backtrace": self.cmd_bt, "where": self.cmd_bt, "info": self.cmd_info,
            "i": self.cmd_info, "find": self.cmd_find, "q": self.cmd_quit, "quit": self.cmd_quit,
            "help": self.cmd_help, "echo": self.cmd_echo, "thread": self.cmd_thread,
        }

    # ----- plumbing ------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def read(self, addr: int, n: int) -> bytes:
        return self.dbg.read_memory(addr, n)

    def regs(self) -> dict:
        task = self.selected_thread()
        return self.dbg.registers() if task is self.proc else {n: self.dbg.thread_register(task, n) for n in REG_NAMES}

    def execute(self, line: str) -> None:
        """Run one command line; errors are one line, as in gdb."""
        line = line.strip()
        if not line or line.startswith("#"):
            return
        name, _, arg = line.partition(" ")
        if "/" in name:
            name, _, fmt = name.partition("/")
            arg = "/" + fmt + (" " + arg if arg else "")
        fn = self.commands.get(name)
        if fn is None:
            self.say(f'Undefined command: "{name}".  Try "help".')
            return
        try:
            fn(arg.strip())
        except ExprError as exc:
            self.say(str(exc))
        except ValueError as exc:
            self.say(str(exc))
        except KeyboardInterrupt:
            self.say("\nInterrupted.")
            self.location()
        self.out.flush()  # the guest writes straight to fd 1: keep the order

    def alive(self) -> bool:
        if self.dbg.exited is not None:
            self.say("The program is not being run.")
            return False
        return True

    def count(self, arg: str) -> int:
        n = self.ev.value(arg) if arg else 1
        if n <= 0 or n >= 1 << 63:
            raise ExprError("Argument must be positive.")
        return n

    # ----- reporting a stop ---------------------------------------------------------
    def location(self) -> None:
        """'=> pc <sym+off>:\tinsn', plus the decoded system call when pc is at `syscall`."""
        pc = self.dbg.pc
        insns = self.dis.decode(self.read, pc, 1)
        if not insns:
            self.say(f"=> {pc:#x}{view.sym_suffix(self.syms.where, pc, True)}:\t(bad)")
            return
        self.say(self.dis.line(insns[0], pc))
        if insns[0].bytes == view.SYSCALL_INSN:
            self.say(f"   syscall: {self.syscall_text()}")

    def syscall_text(self) -> str:
        return view.syscall_text(self.proc)

    def report(self, ev) -> None:
        """Print a stop the way gdb does, then refresh what later stops compare against."""
        if self.proc.image is not self.image:  # execve replaced the program: its symbols too
            self.image = self.proc.image
            self.syms.__dict__.update(load_symbols(self.proc.exe, self.image.base).__dict__)
        r = ev.reason
        if r == "exited":
            status = ev.exit_status
            self.say(f"[Inferior 1 exited with code {status:02o}]" if status else "[Inferior 1 exited normally]")
            return
        if r == "killed":
            sig = signal.Signals(ev.signo)
            self.say(f"\nProgram terminated with signal {sig.name}, {signal.strsignal(ev.signo)}.")
            self.say("The program no longer exists.")
            return
        if r == "signal":
            sig = signal.Signals(ev.signo)
            self.say(f"\nProgram received signal {sig.name}, {signal.strsignal(ev.signo)}.")
        elif r == "start-of-history":
            self.say("\nNo more reverse-execution history.")
        elif r == "breakpoint":
            for p in self.user_bp_at(ev.addr):
                p.hits += 1
                kind = "Temporary breakpoint" if p.temporary else "Breakpoint"
                where = self.syms.where(ev.addr)
                self.say(f"\n{kind} {p.num}, {ev.addr:#018x} in {where[0] if where else '??'} ()")
                if p.temporary:
                    self.drop(p)
                break
        elif r == "watchpoint":
            p = self.changed_watch(ev)
            if p is not None:
                p.hits += 1
                new = self.safe_read(p.addr, p.length)
                self.say(f"\nHardware watchpoint {p.num}: {p.what}\n")
                self.say(f"Old value = {self.watch_value(p.old)}")
                self.say(f"New value = {self.watch_value(new)}")
        self.refresh_watches()
        self.location()

    # ----- moving ------------------------------------------------------------------------
    def cmd_si(self, arg: str) -> None:
        n = self.count(arg)
        if self.alive():
            self.report(self.dbg.stepi(n))

    def run_until(self, addr: int, rsp_min: int, reverse: bool = False):
        """Continue (or reverse-continue) until pc == addr with rsp >= rsp_min; other stops win."""
        self.bp_ref(addr)
        try:
            while True:
                ev = self.dbg.reverse_cont() if reverse else self.dbg.cont()
                if ev.reason == "breakpoint" and ev.addr == addr and self.dbg.read_register("rsp") >= rsp_min:
                    if self.user_bp_at(addr):
                        return ev
                    return None
                if ev.reason == "breakpoint" and ev.addr == addr and not self.user_bp_at(addr):
                    continue  # a deeper recursion level passing the same address
                if ev.reason == "watchpoint" and self.changed_watch(ev) is None:
                    continue
                return ev
        finally:
            self.bp_unref(addr)

    def cmd_ni(self, arg: str) -> None:
        n = self.count(arg)
        if not self.alive():
            return
        for _ in range(n):
            pc = self.dbg.pc
            insns = self.dis.decode(self.read, pc, 1)
            if insns and insns[0].mnemonic.startswith("call"):
                rsp = self.dbg.read_register("rsp")
                ev = self.run_until(pc + insns[0].size, rsp)
                if ev is not None:
                    return self.report(ev)
            else:
                ev = self.dbg.stepi(1)
                if ev.reason != "step":
                    return self.report(ev)
        self.report(self.step_event())

    def step_event(self):
        from emulator.debug.debugger import StopEvent

        return StopEvent("step", self.dbg.pc)

    def cmd_c(self, arg: str) -> None:
        if not self.alive():
            return
        while True:
            ev = self.dbg.cont()
            if ev.reason == "watchpoint" and self.changed_watch(ev) is None:
                continue
            return self.report(ev)

    def frames(self, limit: int = 64):
        return view.unwind(self.read, self.regs(), self.syms.function, self.dis, self.is_code, limit)

    def caller(self):
        """(return address, rsp after the return) of the current frame, or None."""
        frames = self.frames(limit=2)
        if len(frames) < 2:
            return None
        return frames[1][0], frames[0][1]

    def cmd_finish(self, arg: str) -> None:
        if not self.alive():
            return
        up = self.caller()
        if up is None:
            self.say('"finish" not meaningful in the outermost frame.')
            return
        self.say("Run till exit from " + view.frame_line(0, self.dbg.pc, self.syms.where))
        ev = self.run_until(up[0], up[1])
        self.report(ev if ev is not None else self.step_event())

    def cmd_rsi(self, arg: str) -> None:
        n = self.count(arg)
        self.report(self.dbg.reverse_stepi(n))

    def call_before(self, addr: int):
        """The address of the call instruction that ends exactly at addr, if any."""
        for k in (5, 2, 3, 6, 7, 4):
            insns = self.dis.decode(self.read, addr - k, 1)
            if insns and insns[0].size == k and insns[0].mnemonic.startswith("call"):
                return addr - k
        return None

    def cmd_rni(self, arg: str) -> None:
        n = self.count(arg)
        for _ in range(n):
            pc0, rsp0 = self.dbg.pc, self.dbg.read_register("rsp")
            ev = self.dbg.reverse_stepi(1)
            if ev.reason != "step":
                return self.report(ev)
            insns = self.dis.decode(self.read, self.dbg.pc, 1)
            if insns and insns[0].mnemonic.startswith("ret"):
                call = self.call_before(pc0)
                if call is not None:
                    ev = self.run_until(call, rsp0, reverse=True)
                    if ev is not None:
                        return self.report(ev)
        self.report(self.step_event())

    def cmd_rc(self, arg: str) -> None:
        while True:
            ev = self.dbg.reverse_cont()
            if ev.reason == "watchpoint" and self.changed_watch(ev) is None:
                continue
            return self.report(ev)

    def cmd_quit(self, arg: str) -> None:
        self.done = True

    def cmd_echo(self, arg: str) -> None:
        """gdb's echo: text with C escapes, no newline unless asked (handy as a marker in scripts)."""
        self.out.write(arg.encode().decode("unicode_escape"))

    def cmd_help(self, arg: str) -> None:
        self.say(HELP)


HELP = """Moving:   si [N], ni [N], c, finish, rsi [N], rni [N], rc (reverse to the previous stop)
Points:   b ADDR|SYMBOL|*EXPR, tb ..., d [N...], watch ADDR|SYMBOL [LEN], info b
State:    x/FMT EXPR (FMT: count + x d u o t c a s i + b h w g), p[/x] EXPR, set $reg=V,
          set *ADDR=V, set {char|short|int|long}ADDR=V, regs, disas [ADDR], bt,
          info proc mappings, info syscall, set disassembly-flavor att|intel
Scanner:  find VALUE (32-bit, writable memory; again to narrow), find reset
Other:    q, help.  EXPR: $reg, numbers, 'c', symbols, + and -."""


def read_commands():
    """Lines from stdin: readline with a prompt on a tty, else one byte at a time (the guest may read the rest)."""
    if os.isatty(0):
        try:
            import readline  # noqa: F401 - line editing for input()
        except ImportError:
            pass
        last = ""
        while True:
            try:
                line = input(PROMPT)
            except EOFError:
                print()
                return
            except KeyboardInterrupt:
                print("Quit")
                continue
            if line.strip():
                last = line
            yield last
    buf = b""
    while True:
        b = os.read(0, 1)
        if not b:
            if buf:
                yield buf.decode(errors="replace")
            return
        if b == b"\n":
            yield buf.decode(errors="replace")
            buf = b""
        else:
            buf += b


def session(proc) -> int:
    """Drive one loaded process from stdin; returns elfemu's exit status."""
    from emulator.debug.debugger import Debugger

    dbg = Debugger(proc)
    st = Stepper(proc, dbg, load_symbols(proc.exe, proc.image.base))
    st.location()
    st.out.flush()
    for line in read_commands():
        st.execute(line)
        if st.done:
            break
    ev = dbg.exited
    if ev is None:
        return 0
    if ev.reason == "exited":
        return ev.exit_status
    return 128 + ev.signo
