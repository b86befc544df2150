"""What one traced call's line is made of, between the call's entry and its exit.

A Plan is worked out once per syscall number from its table row: which arguments print at
entry (inputs), which at exit (outputs, like read's buffer), and where the line would be cut
if another process interrupts it (head_n: strace's `<unfinished ...>` falls before the first
output argument). A CallLine is one call in flight: the formatted parts so far, kept in
dispatch.Call.trace from Tracer.enter to Tracer.print_exit or Tracer.unwind.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from emulator.errors import GuestFault
from syscalls.decode.sigstructs import sigset_text
from syscalls.decode.text import fd_path, s32

SIGFRAME_UC_SIGMASK = 0x128  # offset of uc_sigmask from RSP at rt_sigreturn (arch/x86/kernel/signal.c's rt_sigframe)


def raw_hex(t, raw) -> str:
    """An argument or result printed undecoded (-e raw=, unknown syscalls), as strace does."""
    return f"{raw:#x}" if raw else "0"


def sigreturn_mask(t, proc) -> str:
    """rt_sigreturn has no arguments; strace shows the signal mask it restores (uc_sigmask)."""
    data = t.read(proc.cpu["rsp"] + SIGFRAME_UC_SIGMASK, 8)
    return "{mask=" + (sigset_text(int.from_bytes(data, "little")) if data else "?") + "}"


class Plan(NamedTuple):
    """How one syscall's line is printed, bound once per number."""

    ins: list[tuple[int, Callable]]  # (argument index, formatter) printed at entry
    outs: list[tuple[int, Callable]]  # (argument index, formatter) printed at exit
    head_n: int  # arguments before the first output one: an interrupted line ends there
    template: list  # one slot per argument, copied for each call
    ret_format: Callable  # the result's formatter (for values >= 0)


def make_plan(spec, raw: bool) -> Plan:
    """The Plan for a row; `raw` (-e raw=) prints every argument and the result as hex numbers."""
    if not spec.args and spec.handler is None and spec.name.startswith("syscall_"):  # not in the table
        return Plan([(i, raw_hex) for i in range(6)], [], 6, [None] * 6, spec.ret.format)
    n = len(spec.args)
    if raw:
        return Plan([(i, raw_hex) for i in range(n)], [], n, [None] * n, raw_hex)
    ins = [(i, a.format) for i, a in enumerate(spec.args) if not a.out]
    outs = [(i, a.format) for i, a in enumerate(spec.args) if a.out]
    return Plan(ins, outs, outs[0][0] if outs else n, [None] * n, spec.ret.format)


class CallLine:
    """One traced call in flight (dispatch.Call.trace): its formatted parts and its start times."""

    __slots__ = ("ctx", "parts", "head_n", "summary_start", "started_ns")

    def __init__(self, ctx, parts, head_n: int, summary_start: float, started_ns: int):
        self.ctx = ctx  # the TraceContext the formatters read through (None when only counting, -c)
        self.parts = parts  # one formatted text per argument; None or "" where nothing prints
        self.head_n = head_n  # how many parts belong before an `<unfinished ...>` cut
        self.summary_start = summary_start  # time.time() at entry, for -c/-C (0.0 without them)
        self.started_ns = started_ns  # time.monotonic_ns() at entry, for -T (0 without it)


def separates_itself(call, i: int) -> bool:
    """Does argument i print its own leading ", " at exit (clone's tail), as strace's decoder does?"""
    args = call.spec.args
    return i < len(args) and getattr(args[i], "sep_at_exit", False)


def touches(proc, call, paths: set[str]) -> bool:
    """-P: does the call name one of the paths, by a path argument or an fd open on it?"""
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
