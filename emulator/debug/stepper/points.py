"""The stepper's breakpoints and watchpoints, numbered as gdb numbers them (a Stepper mixin).

The engine keeps one breakpoint per address; here several users of an address (a person's
`b`, `tb`, and the temporary ones `ni`/`finish` set to run to a return address) share it by
reference count. A write watchpoint keeps the watched bytes, so a stop reports gdb's
Old value/New value, and a write of the same value is passed over, as gdb does.
"""

from dataclasses import dataclass

from emulator.debug.stepper import view
from emulator.debug.stepper.expr import ExprError


@dataclass
class Point:
    """A breakpoint or write watchpoint, numbered as gdb numbers them."""

    num: int
    kind: str  # "breakpoint" | "watchpoint"
    addr: int
    length: int = 0
    temporary: bool = False
    what: str = ""
    hits: int = 0
    old: bytes = b""


class Points:
    """Point commands and bookkeeping; expects Stepper's say/read/dbg/syms/ev, points and next_num."""

    def bp_ref(self, addr: int) -> None:
        if self.engine_bps.get(addr, 0) == 0:
            self.dbg.add_breakpoint(addr)
        self.engine_bps[addr] = self.engine_bps.get(addr, 0) + 1

    def bp_unref(self, addr: int) -> None:
        self.engine_bps[addr] -= 1
        if self.engine_bps[addr] == 0:
            del self.engine_bps[addr]
            self.dbg.remove_breakpoint(addr)

    def user_bp_at(self, addr: int):
        return [p for p in self.points.values() if p.kind == "breakpoint" and p.addr == addr]

    def refresh_watches(self) -> None:
        for p in self.points.values():
            if p.kind == "watchpoint":
                p.old = self.safe_read(p.addr, p.length)

    def safe_read(self, addr: int, n: int) -> bytes:
        try:
            return self.read(addr, n)
        except Exception:  # noqa: BLE001 - gdb shows <unreadable>
            return b""

    def changed_watch(self, ev):
        """The watchpoint whose value an event changed, or None (a write of the same value)."""
        for p in self.points.values():
            if p.kind == "watchpoint" and p.addr - 8 < ev.watch_addr < p.addr + p.length:
                if self.safe_read(p.addr, p.length) != p.old:
                    return p
        return None

    def watch_value(self, data: bytes) -> str:
        if not data:
            return "<unreadable>"
        if len(data) in (1, 2, 4, 8):
            v = int.from_bytes(data, "little", signed=True)
            return str(v)
        return "{" + ", ".join(f"{b:#04x}" for b in data) + "}"

    def address(self, arg: str) -> int:
        return self.ev.value(arg[1:] if arg.startswith("*") else arg)

    def add_point(self, kind: str, addr: int, **kw) -> Point:
        p = Point(self.next_num, kind, addr, **kw)
        self.next_num += 1
        self.points[p.num] = p
        return p

    def cmd_break(self, arg: str, temporary: bool = False) -> None:
        addr = self.address(arg) if arg else self.dbg.pc
        p = self.add_point("breakpoint", addr, temporary=temporary)
        self.bp_ref(addr)
        kind = "Temporary breakpoint" if temporary else "Breakpoint"
        self.say(f"{kind} {p.num} at {addr:#x}{view.sym_suffix(self.syms.where, addr)}")

    def cmd_tbreak(self, arg: str) -> None:
        self.cmd_break(arg, temporary=True)

    def drop(self, p: Point) -> None:
        del self.points[p.num]
        if p.kind == "breakpoint":
            self.bp_unref(p.addr)
        else:
            self.dbg.remove_watchpoint(p.addr, p.length)

    def cmd_delete(self, arg: str) -> None:
        try:
            nums = [int(a) for a in arg.split()] if arg else list(self.points)
        except ValueError:
            raise ExprError(f"Convert number failed on \"{arg}\".") from None
        for n in nums:
            if n not in self.points:
                self.say(f"No breakpoint number {n}.")
                continue
            self.drop(self.points[n])

    def cmd_watch(self, arg: str) -> None:
        parts = arg.split()
        if not parts:
            raise ExprError("Argument required (expression to compute).")
        target = parts[0]
        addr = self.address(target)
        name = target.lstrip("*&")
        length = self.ev.value(parts[1]) if len(parts) > 1 else (self.syms.size(name) or 4)
        what = name if self.syms.address(name) == addr else f"*{addr:#x}"
        p = self.add_point("watchpoint", addr, length=length, what=what)
        self.dbg.add_watchpoint(addr, length)
        p.old = self.safe_read(addr, length)
        self.say(f"Hardware watchpoint {p.num}: {what}")

    def info_breakpoints(self) -> None:
        if not self.points:
            self.say("No breakpoints or watchpoints.")
            return
        self.say("Num     Type           Disp Enb Address            What")
        for p in self.points.values():
            disp = "del " if p.temporary else "keep"
            if p.kind == "breakpoint":
                what = view.sym_suffix(self.syms.where, p.addr)
                self.say(f"{p.num:<7} breakpoint     {disp} y   {p.addr:#018x}{what}")
            else:
                self.say(f"{p.num:<7} hw watchpoint  {disp} y                      {p.what}")
            if p.hits:
                self.say(f"\tbreakpoint already hit {p.hits} time{'s' if p.hits > 1 else ''}")
