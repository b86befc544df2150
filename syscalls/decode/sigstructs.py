"""Signal and wait structs as strace prints them: sigset_t, struct sigaction, stack_t, wait statuses, siginfo.

The tracer prints a delivered signal's siginfo and the mask rt_sigreturn restores with the
same helpers (siginfo_text, sigset_text) that rt_sigaction, rt_sigprocmask and wait4 use.
"""

from __future__ import annotations

import struct

from syscalls.decode import xlat
from syscalls.decode.structs import (
    StructPtr,
)
from syscalls.decode.text import flags_text, named, ptr, s32, signal_text

SIGNAMES = xlat.SIGNAL_NAMES


def sigset_text(mask: int, nbits: int = 64) -> str:
    """[USR1 TERM], or ~[...] when more than half the signals are set, as strace prints it."""
    sigs = [i + 1 for i in range(nbits) if mask >> i & 1]
    if len(sigs) > nbits // 2:
        inv = [i + 1 for i in range(nbits) if not mask >> i & 1]
        return "~[" + " ".join(named(str(s), xlat.signame(s)[3:]) for s in inv) + "]"
    return "[" + " ".join(named(str(s), xlat.signame(s)[3:]) for s in sigs) + "]"


class Sigset(StructPtr):
    """A sigset_t of `size` bytes given by argument `size_index` (8 for rt_sig*)."""

    size = 8

    def __init__(self, out=None, size_index: int | None = None):
        super().__init__(out)
        self.size_index = size_index

    def format(self, t, raw):
        if self.size_index is not None and t.args[self.size_index] != 8:
            return ptr(raw)
        return super().format(t, raw)

    def show(self, t, data):
        return sigset_text(int.from_bytes(data, "little"))


class Sigaction(StructPtr):
    size = 32

    def show(self, t, data):
        handler, flags, restorer, mask = struct.unpack("<QQQQ", data)
        h = dict(xlat.SIG_HANDLERS).get(handler) or f"{handler:#x}"
        text = f"{{sa_handler={h}, sa_mask={sigset_text(mask)}, sa_flags={flags_text(xlat.SA_FLAGS, flags & 0xFFFF_FFFF)}"
        if flags & 0x04000000:
            text += f", sa_restorer={ptr(restorer)}"
        return text + "}"


class Stack(StructPtr):
    size = 24

    def show(self, t, data):
        sp, flags, size = struct.unpack("<Qi4xQ", data)
        return f"{{ss_sp={ptr(sp)}, ss_flags={flags_text(xlat.SS_FLAGS, flags & 0xFFFF_FFFF)}, ss_size={size}}}"


class WaitStatus(StructPtr):
    size = 4
    out = True

    def format(self, t, raw):
        if raw and not t.failed and t.ret == 0:  # WNOHANG with nothing to report: untouched
            return ptr(raw)
        return super().format(t, raw)

    def show(self, t, data):
        return "[" + wait_status_text(int.from_bytes(data, "little")) + "]"


def wait_status_text(s: int) -> str:
    if s & 0x7F == 0:
        return f"{{WIFEXITED(s) && WEXITSTATUS(s) == {s >> 8 & 0xFF}}}"
    if s & 0xFF == 0x7F:
        return f"{{WIFSTOPPED(s) && WSTOPSIG(s) == {xlat.signame(s >> 8 & 0xFF)}}}"
    if s == 0xFFFF:
        return "{WIFCONTINUED(s)}"
    core = " && WCOREDUMP(s)" if s & 0x80 else ""
    return f"{{WIFSIGNALED(s) && WTERMSIG(s) == {xlat.signame(s & 0x7F)}{core}}}"


def siginfo_text(info: dict) -> str:
    """{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10}, for --- lines."""
    signo = info.get("si_signo", 0)
    code = s32(info.get("si_code", 0))
    name = dict(xlat.SI_CODES).get(code)
    if name is None or (code > 0 and code != 0x80):
        name = dict(xlat.SI_CODES_BY_SIGNAL.get(signo, [])).get(code, name or str(code))
    parts = [f"si_signo={signal_text(signo)}", f"si_code={named(f'{code & 0xFFFF_FFFF:#x}' if code else '0', name)}"]
    if "si_errno" in info and info["si_errno"]:
        parts.insert(1, f"si_errno={info['si_errno']}")
    if signo in (11, 7, 4, 8, 5) and code > 0:  # faults carry an address, SI_KERNEL ones too (NULL)
        parts.append(f"si_addr={ptr(info.get('si_addr', 0))}")
    elif signo == 17 and code > 0:
        st = info.get("si_status", 0)
        status = xlat.signame(st) if code in (2, 3, 5, 6) else str(st)
        parts += [f"si_pid={info.get('si_pid', 0)}", f"si_uid={info.get('si_uid', 0)}",
                  f"si_status={status}", f"si_utime={info.get('si_utime', 0)}", f"si_stime={info.get('si_stime', 0)}"]
    elif code == -2:  # SI_TIMER
        value = info.get("si_value", 0)
        parts += [f"si_timerid={info.get('si_timerid', 0)}", f"si_overrun={info.get('si_overrun', 0)}",
                  f"si_int={s32(value)}", f"si_ptr={ptr(value)}"]
    elif code <= 0:
        parts += [f"si_pid={info.get('si_pid', 0)}", f"si_uid={info.get('si_uid', 0)}"]
        if code == -1 or code == -2:
            parts.append(f"si_int={info.get('si_int', 0)}")
            parts.append(f"si_ptr={ptr(info.get('si_ptr', 0))}")
    return "{" + ", ".join(parts) + "}"
