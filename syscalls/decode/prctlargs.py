"""prctl's arguments and result as strace prints them (strace's src/prctl.c).

prctl is one call with ~70 operations: the option decides what the other four arguments are
(a signal, a string, a capability, a flag set, an int written back) and how the result reads
(PR_GET_DUMPABLE's SUID_DUMP_*, PR_GET_SECUREBITS' flags). The option names and values come from
emulator/abi/constants.py, the same names syscalls/handlers/proc.py acts on.
"""

from __future__ import annotations

from emulator.abi.constants import (
    PR_CAP_AMBIENT,
    PR_CAPBSET_DROP,
    PR_CAPBSET_READ,
    PR_GET_CHILD_SUBREAPER,
    PR_GET_DUMPABLE,
    PR_GET_KEEPCAPS,
    PR_GET_NAME,
    PR_GET_PDEATHSIG,
    PR_GET_SECCOMP,
    PR_GET_SECUREBITS,
    PR_GET_TIMERSLACK,
    PR_SET_DUMPABLE,
    PR_SET_KEEPCAPS,
    PR_SET_NAME,
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    PR_SET_SECUREBITS,
    PR_SET_THP_DISABLE,
    PR_SET_TIMERSLACK,
    TASK_COMM_LEN,
)
from syscalls.decode import xlat
from syscalls.decode.text import flags_text, ptr, quote, s32
from syscalls.decode.types import Arg

PR_NOARGS = {PR_GET_DUMPABLE, PR_GET_KEEPCAPS, PR_GET_SECCOMP, PR_GET_SECUREBITS, PR_GET_TIMERSLACK}  # nothing after the option
PR_UINT = {PR_SET_KEEPCAPS, PR_SET_TIMERSLACK, PR_SET_NO_NEW_PRIVS, PR_SET_THP_DISABLE}  # arg2 in decimal
PR_UINT_THEN_HEX = {PR_SET_NO_NEW_PRIVS, PR_SET_THP_DISABLE}  # ... and the other three in hex
PR_CAPS = {PR_CAPBSET_READ, PR_CAPBSET_DROP}
PR_STRING = {PR_SET_NAME, PR_GET_NAME}
PR_INT_OUT = {PR_GET_PDEATHSIG, PR_GET_CHILD_SUBREAPER}  # an int the kernel writes at arg2
PR_CAP_AMBIENT_WITH_CAP = {1, 2, 3}  # PR_CAP_AMBIENT_IS_SET, _RAISE, _LOWER name a capability
PR_DUMPABLE = {0: "SUID_DUMP_DISABLE", 1: "SUID_DUMP_USER", 2: "SUID_DUMP_ROOT"}


class PrctlArgs(Arg):
    """prctl's option carries the call as strace prints it (the other four args print nothing)."""

    out = True  # PR_GET_NAME's name is known only on return

    def format(self, t, raw):
        opt = raw & 0xFFFF_FFFF
        name = dict(xlat.PRCTL_OPTIONS).get(opt)
        a2 = t.args[1]
        if name is None:
            return f"{opt:#x} /* PR_??? */, " + hex_args(t.args[1:5])
        if opt in PR_NOARGS:
            return name
        if opt == PR_SET_PDEATHSIG:
            return f"{name}, {xlat.signame(s32(a2)) if a2 else '0'}"
        if opt in PR_INT_OUT:
            return f"{name}, {self._int_out(t, a2, signal=opt == PR_GET_PDEATHSIG)}"
        if opt in PR_STRING:
            return f"{name}, {self._comm(t, opt, a2)}"
        if opt == PR_SET_DUMPABLE:
            return f"{name}, {PR_DUMPABLE.get(a2, str(a2))}"
        if opt in PR_CAPS:
            return f"{name}, {cap_text(a2)}"
        if opt == PR_CAP_AMBIENT:  # OP[, CAP], then the rest in hex
            op = dict(xlat.PR_CAP_AMBIENT_OPS).get(a2, f"{a2:#x} /* PR_CAP_AMBIENT_??? */")
            if a2 in PR_CAP_AMBIENT_WITH_CAP:
                return f"{name}, {op}, {cap_text(t.args[2])}, {hex_args(t.args[3:5])}"
            return f"{name}, {op}, {hex_args(t.args[2:5])}"
        if opt == PR_SET_SECUREBITS:
            return f"{name}, {flags_text(xlat.SECBITS, a2)}"
        if opt in PR_UINT:
            rest = f", {hex_args(t.args[2:5])}" if opt in PR_UINT_THEN_HEX else ""
            return f"{name}, {a2 & 0xFFFF_FFFF_FFFF_FFFF}{rest}"
        return f"{name}, {hex_args(t.args[1:5])}"

    @staticmethod
    def _int_out(t, addr: int, signal: bool) -> str:
        """[value] as the kernel wrote it (a signal name for PR_GET_PDEATHSIG), or the pointer."""
        data = None if t.failed else t.read(addr, 4)
        if not data:
            return ptr(addr)
        value = s32(int.from_bytes(data, "little"))
        return f"[{xlat.signame(value) if signal else value}]"

    @staticmethod
    def _comm(t, opt: int, addr: int) -> str:
        """The task name, as strace shows a TASK_COMM_LEN buffer."""
        if opt == PR_GET_NAME and t.failed:
            return ptr(addr)
        try:
            data = t.proc.mem.read_cstr(addr, TASK_COMM_LEN)
        except Exception:  # noqa: BLE001 - a bad pointer prints as the pointer
            return ptr(addr)
        cut = len(data) >= TASK_COMM_LEN  # no NUL in TASK_COMM_LEN bytes: strace shows 15 of them and "..."
        return quote(data[: TASK_COMM_LEN - 1] if cut else data, t.strsize, cut)


def cap_text(cap: int) -> str:
    return xlat.CAPS[cap] if cap < len(xlat.CAPS) else f"{cap:#x} /* CAP_??? */"


def hex_args(args) -> str:
    """strace's print_prctl_args: the remaining arguments, in hex (0 as 0)."""
    return ", ".join(f"{a:#x}" if a else "0" for a in args)


class PrctlRet:
    def format(self, t, value):
        opt = t.args[0] & 0xFFFF_FFFF
        if opt == PR_GET_DUMPABLE and value >= 0:
            return f"{value} ({PR_DUMPABLE.get(value, '?')})"
        if opt == PR_GET_SECUREBITS and value > 0:
            return f"{value:#x} ({flags_text(xlat.SECBITS, value)})"
        return str(value)
