"""How strace spells values: quoted strings, pointers, flag sets, errnos, modes, signals, hex dumps.

The argument types (types.py, buffers.py) and the struct printers (structs.py and its siblings)
all build their text from these helpers, and the tracer's options that change the spelling of
every value (-x/-xx: STRING_STYLE, -X: CONST_STYLE) are read here and nowhere else.
"""

from __future__ import annotations

import os
import re
import stat

from emulator.abi.constants import ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS
from syscalls.decode import xlat

MASK64 = 0xFFFF_FFFF_FFFF_FFFF


def s32(x: int) -> int:
    x &= 0xFFFF_FFFF
    return x - (1 << 32) if x & 0x8000_0000 else x


def s64(x: int) -> int:
    return x - (1 << 64) if x & (1 << 63) else x


# ----- strings ------------------------------------------------------------------------------
_ESC = {ord('"'): '\\"', ord("\\"): "\\\\", 10: "\\n", 9: "\\t", 13: "\\r", 12: "\\f", 11: "\\v"}


_PLAIN = rb"[\x20-\x21\x23-\x5b\x5d-\x7e]*"  # compiled (and cached) by re when tracing prints a string


# -x/-xx/--strings-in-hex, set once by the tracer: 0 octal escapes, 1 hex escapes (non-ascii-chars),
# 2 a string with any non-printable byte wholly in hex (-x), 3 every string in hex (-xx)
STRING_STYLE = [0]


_NOT_TEXT = rb"[^\x09-\x0d\x20-\x7e]"


def set_string_style(level: int) -> None:
    STRING_STYLE[0] = level


# -X: how named constants print: "abbrev" (the names), "raw" (the number), "verbose" (number /* names */)
CONST_STYLE = ["abbrev"]


def named(number: str, names: str) -> str:
    """A constant under -X: `names` is what strace prints by default, `number` the value's own text."""
    style = CONST_STYLE[0]
    if style == "abbrev" or names == number:
        return names
    return number if style == "raw" else f"{number} /* {names} */"


def quote(data: bytes, limit: int | None = None, cut: bool = False, hexall: bool = False) -> str:
    """strace's string quoting: C escapes, octal for other bytes, '...' when truncated."""
    more = cut or (limit is not None and len(data) > limit)
    if limit is not None:
        data = data[:limit]
    style = STRING_STYLE[0]
    if hexall or style == 3 or style == 2 and re.search(_NOT_TEXT, data):
        return '"' + "".join(f"\\x{b:02x}" for b in data) + '"' + ("..." if more else "")
    if re.fullmatch(_PLAIN, data):
        return '"' + data.decode() + '"' + ("..." if more else "")
    out = []
    n = len(data)
    for i, b in enumerate(data):
        e = _ESC.get(b)
        if e is not None:
            out.append(e)
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        elif style:
            out.append(f"\\x{b:02x}")
        elif i + 1 < n and 0x30 <= data[i + 1] <= 0x37:
            out.append(f"\\{b:03o}")
        else:
            out.append(f"\\{b:o}")
    return '"' + "".join(out) + '"' + ("..." if more else "")


def ptr(x: int) -> str:
    return "NULL" if x == 0 else f"{x:#x}"


def fd_path(fd: int) -> str | None:
    """What -y prints next to an fd: the host's /proc view (guest fds are host fds)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def device_text(fd: int) -> str:
    """-yy: a device's kind and numbers after its path, as strace's `<char 1:3>`."""
    try:
        st = os.fstat(fd)
    except OSError:
        return ""
    kind = "char" if stat.S_ISCHR(st.st_mode) else "block" if stat.S_ISBLK(st.st_mode) else None
    return f"<{kind} {os.major(st.st_rdev)}:{os.minor(st.st_rdev)}>" if kind else ""


def flags_text(table, raw: int, zero: str = "0") -> str:
    if CONST_STYLE[0] != "abbrev":
        return named(f"{raw:#x}" if raw else "0", flags_names(table, raw, zero))
    return flags_names(table, raw, zero)


def flags_names(table, raw: int, zero: str = "0") -> str:
    """The names alone, whatever -X says (strace's own explanations use them)."""
    if raw == 0:
        return zero
    names, rest = [], raw
    for value, name in table:
        if value and rest & value == value:
            names.append(name)
            rest &= ~value
    if rest:
        names.append(f"{rest:#x}")
    return "|".join(names)


RESTART_TEXT = {ERESTARTSYS: "To be restarted if SA_RESTART is set", ERESTARTNOINTR: "To be restarted",
                ERESTARTNOHAND: "To be restarted if no handler", ERESTART_RESTARTBLOCK: "Interrupted by signal"}


def errno_text(err: int) -> str:
    if err in RESTART_TEXT:  # the kernel restarts these: strace shows the call as unfinished
        return f"? {xlat.ERRNO_NAMES[err]} ({RESTART_TEXT[err]})"
    name = xlat.ERRNO_NAMES.get(err)
    if name is None:
        return f"-1 ({os.strerror(err)})" if err < 512 else f"-1 {err}"
    return f"-1 {name} ({os.strerror(err)})"


def hexdump(data: bytes) -> str:
    """-e read=/write=: ` | 00000  xx xx ... xx  ascii... |`, 16 bytes a line, as strace's dumpstr."""
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        cells = [f"{b:02x} " for b in chunk] + ["   "] * (16 - len(chunk))
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f" | {off:05x}  {''.join(cells[:8])} {''.join(cells[8:])} {text:<16} |\n")
    return "".join(lines)


def mode_text(mode: int) -> str:
    """S_IFREG|0644, as stat's st_mode and mknod's mode print."""
    fmt = mode & 0o170000
    perm = mode & 0o7777
    name = dict(xlat.S_IFMT).get(fmt)
    p = f"0{perm:o}" if perm else "000"
    if name:
        return named(f"0{mode:o}", f"{name}|{p}" if perm else name)
    return p if not fmt else f"{mode:#o}"


def signal_text(n: int) -> str:
    """A signal number as strace prints it (SIGTERM; 15 or `15 /* SIGTERM */` under -X)."""
    return named(str(n), xlat.signame(n))
