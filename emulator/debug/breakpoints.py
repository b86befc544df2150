"""Breakpoints and watchpoints of a Debugger (a mixin): the hooks that find them, and their hits.

A breakpoint is a UC_HOOK_CODE limited to its one address, a watchpoint a memory hook limited
to its range (widened by WATCH_SLACK: Unicorn calls a ranged memory hook by the access's start
address, so a wide access that starts before the range must still be seen), so code elsewhere
runs without them. The hooks only record a Hit (history.py) for the mode the debugger runs in:
'cont' stops at once, 'step' notes it, 'scan' (reverse_cont looking back) collects every hit,
and 'replay' (re-executing to reach a position) ignores them all.
"""

from emulator.debug.history import Hit
from emulator.machine.unicorn_ffi import UC_HOOK_CODE, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE
from emulator.machine.unicorn_ffi import unicorn_const as UC

WATCH_SLACK = 63  # an access starting this far before a watched range may still overlap it
WATCH_HOOKS = {"write": UC_HOOK_MEM_WRITE, "read": UC_HOOK_MEM_READ, "access": UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE}


class Breakpoints:
    """Expects Debugger's _uc, proc, _mode, icount, _hit, _hits and _pos; owns breakpoints and watchpoints."""

    def _install_points(self) -> None:
        """Hook every point again on a new Unicorn instance (after execve)."""
        for addr, bp in self.breakpoints.items():
            bp[0] = self._uc.hook_add(UC_HOOK_CODE, self._on_bp, None, addr, addr)
        for key in self.watchpoints:
            self.watchpoints[key] = self._watch_hook(*key)

    def _point_hooks(self) -> list:
        return [*(b[0] for b in self.breakpoints.values()), *self.watchpoints.values()]

    def _watch_hook(self, addr: int, length: int, kind: str):
        return self._uc.hook_add(WATCH_HOOKS[kind], self._on_access, None, max(0, addr - WATCH_SLACK),
                                 addr + length - 1)

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

    # ----- the hooks (cheap no-ops outside the modes that need them) -------------------
    def _on_bp(self, uc, addr, size, _ud) -> None:
        if self._mode == "cont":
            self._hit = Hit("breakpoint", self._pos(addr), addr=addr)
            uc.emu_stop()
        elif self._mode == "scan":
            self._hits.append(Hit("breakpoint", self._pos(addr), addr=addr))

    def _on_access(self, uc, access, addr, size, value, _ud) -> None:
        if self._mode == "replay":
            return
        wanted = ("write", "access") if access == UC.UC_MEM_WRITE else ("read", "access")
        hit = next(((a, k) for (a, n, k) in self.watchpoints if k in wanted and addr < a + n and addr + size > a),
                   None)
        if hit is None:
            return
        waddr, kind = max(addr, hit[0]), hit[1]
        if self._mode == "step":
            self._hit = Hit("watchpoint", self.icount, addr=waddr, watch_kind=kind)
        elif self._mode == "cont":
            self._hit = Hit("watchpoint", self._pos(self.proc.cpu["rip"]), addr=waddr, watch_kind=kind)
            uc.emu_stop()
        elif self._mode == "scan":  # found after the access: the stop is past the accessing instruction
            self._hits.append(Hit("watchpoint", self._pos(self.proc.cpu["rip"]) + 1, addr=waddr, watch_kind=kind))
