"""The stepper's commands that look at (and poke) state: x, p, set, regs, disas, bt, info, find.

A mixin of Stepper (emulator/debug/stepper/main.py), which owns the session, the moves and the points;
these commands only read and write through the debugger and format through stepper_view.
"""

import os

from emulator.debug.stepper import view
from emulator.debug.stepper.expr import ExprError, parse_lvalue, reg_name


class Inspect:
    """State commands; expects Stepper's say/read/regs/dbg/proc/syms/ev/dis/xfmt/scanner."""

    def cmd_x(self, arg: str) -> None:
        count = 1
        if arg.startswith("/"):
            spec, _, arg = arg[1:].partition(" ")
            count = self.xfmt.parse(spec)
        if arg.strip():
            addr = self.ev.value(arg)
        elif self.next_x is not None:
            addr = self.next_x
        else:
            raise ExprError("Argument required (starting display address).")
        lines, self.next_x = view.examine(self.xfmt, count, addr, self.read, self.syms.where, self.dis, self.dbg.pc)
        for line in lines:
            self.say(line)

    def cmd_print(self, arg: str) -> None:
        fmt = ""
        if arg.startswith("/"):
            fmt, _, arg = arg[1:].partition(" ")
        if fmt and fmt[-1] not in "xduotacz":
            raise ExprError(f'Undefined output format "{fmt[-1]}".')
        value, symbolic = self.ev.eval(arg)
        self.history.append(value)
        n = len(self.history)
        text = arg.strip()
        if fmt:
            self.say(f"${n} = {view.format_value(fmt[-1], value, self.syms.where)}")
        elif text.startswith("$") and reg_name(text[1:])[0] == "rip":
            self.say(f"${n} = (void (*)()) {value:#x}{view.sym_suffix(self.syms.where, value)}")
        elif text == "$eflags":
            self.say(f"${n} = {view.flags_text(value)}")
        elif text.startswith("$") and reg_name(text[1:])[0] in ("rsp", "rbp"):
            self.say(f"${n} = (void *) {value:#x}")
        elif symbolic:
            self.say(f"${n} = {value:#x}{view.sym_suffix(self.syms.where, value)}")
        else:
            self.say(f"${n} = {value - (1 << 64) if value >> 63 else value}")

    def cmd_set(self, arg: str) -> None:
        if arg.startswith("disassembly-flavor"):
            flavor = arg.split()[-1]
            if flavor not in ("att", "intel"):
                raise ExprError(f'Undefined item: "{flavor}".')
            self.dis.att = flavor == "att"
            return
        lhs, eq, rhs = arg.partition("=")
        if not eq:
            raise ExprError("A syntax error in expression, near `'.")
        kind, target, size = parse_lvalue(lhs)
        value = self.ev.value(rhs)
        if kind == "reg":
            full, mask = reg_name(target)
            if mask != 0xFFFF_FFFF_FFFF_FFFF:
                value = value & mask
            try:
                self.dbg.write_register(full, value)
            except (KeyError, ValueError):
                raise ExprError(f"Invalid register `{target}'") from None
            self.refresh_watches()
            return
        addr = self.ev.value(target)
        data = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        try:
            self.dbg.write_memory(addr, data)
        except Exception:  # noqa: BLE001 - unmapped
            raise ExprError(f"Cannot access memory at address {addr:#x}") from None
        self.refresh_watches()

    def cmd_regs(self, arg: str) -> None:
        if self.dbg.exited is not None:
            self.say("The program has no registers now.")
            return
        regs = self.regs()
        names = [reg_name(a.lstrip("$"))[0] for a in arg.split()] or view.REG_ORDER
        for name in names:
            if name not in regs:
                raise ExprError(f"Invalid register `{name}'")
        self.say(view.format_regs(regs, self.syms.where, names))

    def cmd_disas(self, arg: str) -> None:
        addr = self.address(arg) if arg else self.dbg.pc
        fn = self.syms.function(addr)
        if fn is not None:
            name, start, size = fn
            self.say(f"Dump of assembler code for function {name}:")
            insns = [i for i in self.dis.decode(self.read, start, size) if i.address < start + size]
        else:
            start = addr
            insns = self.dis.decode(self.read, start, 16)
            if not insns:
                raise ExprError(f"Cannot access memory at address {start:#x}")
            end = insns[-1].address + insns[-1].size
            self.say(f"Dump of assembler code from {start:#x} to {end:#x}:")
        pc = self.dbg.pc
        for i in insns:
            mark = "=> " if i.address == pc else "   "
            label = f" <+{i.address - start}>" if fn is not None else view.sym_suffix(self.syms.where, i.address, True)
            self.say(f"{mark}{i.address:#018x}{label}:\t{self.dis.text(i)}")
        self.say("End of assembler dump.")

    def is_code(self, addr: int) -> bool:
        """Plausible return address: in executable memory, right after a call instruction."""
        v = self.proc.mem.find(addr)
        return v is not None and bool(v.prot & 4) and self.call_before(addr) is not None

    def cmd_bt(self, arg: str) -> None:
        if self.dbg.exited is not None:
            self.say("No stack.")
            return
        for no, (pc, _cfa) in enumerate(self.frames()):
            self.say(view.frame_line(no, pc, self.syms.where))

    def cmd_info(self, arg: str) -> None:
        words = arg.split()
        if not words:
            raise ExprError('"info" must be followed by the name of an info command.')
        what = words[0]
        if what in ("b", "break", "breakpoints", "watchpoints"):
            self.info_breakpoints()
        elif what in ("r", "registers", "reg", "all-registers"):
            self.cmd_regs(" ".join(words[1:]))
        elif what == "proc" and words[1:2] == ["mappings"]:
            self.out.write(self.proc.mem.maps_text())
        elif what in ("syscall", "sys"):
            self.say(self.syscall_text())
        elif what == "threads":
            self.info_threads()
        else:
            self.say(f'Undefined info command: "{arg}".  Try "help info".')

    def cmd_find(self, arg: str) -> None:
        if arg == "reset":
            self.scanner.remain = []
            self.say("Scan reset.")
            return
        lines = self.scanner.search(self.proc.mem.vmas, self.read, self.ev.value(arg))
        for line in lines:
            self.say(line)
        if 0 < len(self.scanner.remain) <= 10:
            for a in self.scanner.remain:
                self.say(f"  {a:#x}{view.sym_suffix(self.syms.where, a)}")

    # ----- threads (emulator/task/threads.py) ------------------------------------------
    def selected_thread(self):
        threads = self.dbg.threads()
        return threads[self.thread_no - 1] if self.thread_no <= len(threads) else self.proc

    def _thread_title(self, no: int, task) -> str:
        pid = os.getpid()
        return f"Thread {pid}.{task.tid or pid}"

    def info_threads(self) -> None:
        """gdb's table: the leader is thread 1, the others in order of creation."""
        if self.dbg.exited is not None:
            self.say("No threads.")
            return
        for no, task in enumerate(self.dbg.threads(), 1):
            pc = self.dbg.thread_register(task, "rip")
            hit = self.syms.where(pc)
            mark = "*" if no == self.thread_no else " "
            self.say(f"{mark} {no:<4} {self._thread_title(no, task):<22} {pc:#018x} in {hit[0] if hit else '??'} ()")

    def cmd_thread(self, arg: str) -> None:
        if self.dbg.exited is not None:
            self.say("The program is not being run.")
            return
        threads = self.dbg.threads()
        if not arg:
            self.say(f"[Current thread is {self.thread_no} ({self._thread_title(self.thread_no, self.selected_thread())})]")
            return
        if not arg.isdigit() or not 1 <= int(arg) <= len(threads):
            self.say(f"Invalid thread ID: {arg}")
            return
        self.thread_no = int(arg)
        task = threads[self.thread_no - 1]
        self.say(f"[Switching to thread {self.thread_no} ({self._thread_title(self.thread_no, task)})]")
        self.say(view.frame_line(0, self.dbg.thread_register(task, "rip"), self.syms.where))
