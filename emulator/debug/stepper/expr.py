"""The stepper's small expression language and the lecture's value scanner.

Expressions are what a person types after `p`, `x/`, `b *` and `set`: registers ($rax, $pc,
$sp, $fp, $eax ...), numbers (0x.., decimal, 'c'), ELF symbols (their address) and value
history ($1), joined by + and -. That is enough to point anywhere without a C parser.
"""

import re
import struct

from emulator.machine.memory import PROT_WRITE

ALIASES = {"pc": "rip", "sp": "rsp", "fp": "rbp"}
SUB32 = {f"e{r}": f"r{r}" for r in ("ax", "bx", "cx", "dx", "si", "di", "bp", "sp")}
SUB32.update({f"r{i}d": f"r{i}" for i in range(8, 16)})
TYPES = {"char": 1, "short": 2, "int": 4, "long": 8, "unsigned": 4, "long long": 8,
         "unsigned char": 1, "unsigned short": 2, "unsigned int": 4, "unsigned long": 8,
         "int8_t": 1, "int16_t": 2, "int32_t": 4, "int64_t": 8,
         "uint8_t": 1, "uint16_t": 2, "uint32_t": 4, "uint64_t": 8, "void *": 8, "char *": 8}
TOKEN = re.compile(r"\s*(?:(\$[A-Za-z_][A-Za-z0-9_]*|\$\d+)|(0x[0-9a-fA-F]+|\d+)|'(\\?.)'|"
                   r"(&?[A-Za-z_.][A-Za-z0-9_.@]*)|([-+]))")
CHAR_ESC = {"\\n": 10, "\\t": 9, "\\0": 0, "\\r": 13, "\\\\": 92, "\\'": 39}


class ExprError(Exception):
    """A message for the person, printed as gdb would print it."""


def reg_name(name: str) -> tuple[str, int]:
    """($name without '$' resolved to a 64-bit register, mask) for $pc, $eax, $r8d ..."""
    name = ALIASES.get(name, name)
    if name in SUB32:
        return SUB32[name], 0xFFFF_FFFF
    return name, 0xFFFF_FFFF_FFFF_FFFF


class Evaluator:
    """Evaluates expressions against the debugger (registers), symbols and the value history."""

    def __init__(self, dbg, address_of, history: list):
        self.dbg, self.address_of, self.history = dbg, address_of, history

    def register(self, name: str) -> int:
        full, mask = reg_name(name)
        try:
            return self.dbg.read_register(full) & mask
        except (KeyError, ValueError):
            raise ExprError(f"Invalid register `{name}'") from None

    def term(self, m) -> tuple[int, bool]:
        """(value, symbolic): symbolic values print as addresses."""
        reg, num, ch, sym, _op = m.groups()
        if reg:
            if reg[1:].isdigit():
                i = int(reg[1:])
                if not 1 <= i <= len(self.history):
                    raise ExprError(f"History has not yet reached ${i}.")
                return self.history[i - 1], False
            name = reg[1:]
            return self.register(name), reg_name(name)[0] in ("rip", "rsp", "rbp")
        if num:
            return int(num, 0), False
        if ch:
            return (CHAR_ESC[ch] if ch in CHAR_ESC else ord(ch)), False
        addr = self.address_of(sym.lstrip("&"))
        if addr is None:
            raise ExprError(f'No symbol "{sym.lstrip("&")}" in current context.')
        return addr, True

    def eval(self, text: str) -> tuple[int, bool]:
        """(value mod 2**64, whether it is an address worth printing with its symbol)."""
        text = text.strip()
        if not text:
            raise ExprError("Argument required (expression to compute).")
        pos, total, sign, symbolic, expect_term = 0, 0, 1, False, True
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ExprError(f"A syntax error in expression, near `{text[pos:].strip()}'.")
            pos = m.end()
            if m.group(5):
                if expect_term:  # unary sign
                    sign = sign * (-1 if m.group(5) == "-" else 1)
                    continue
                sign = -1 if m.group(5) == "-" else 1
                expect_term = True
                continue
            if not expect_term:
                raise ExprError(f"A syntax error in expression, near `{m.group(0).strip()}'.")
            value, sym = self.term(m)
            total += sign * value
            symbolic |= sym
            sign, expect_term = 1, False
        if expect_term:
            raise ExprError("A syntax error in expression, near `'.")
        return total & 0xFFFF_FFFF_FFFF_FFFF, symbolic

    def value(self, text: str) -> int:
        return self.eval(text)[0]


def parse_lvalue(lhs: str) -> tuple[str, str, int]:
    """`$reg`, `*EXPR`, `{type}EXPR`, `*(type *)EXPR` -> ('reg', name, 0) or ('mem', expr, size)."""
    lhs = lhs.strip()
    if lhs.startswith("var "):
        lhs = lhs[4:].strip()
    if lhs.startswith("$"):
        return "reg", lhs[1:], 0
    m = re.fullmatch(r"\{\s*([a-z_0-9 *]+?)\s*\}\s*(.+)", lhs)
    if m:
        return "mem", m.group(2), type_size(m.group(1))
    m = re.fullmatch(r"\*\s*\(\s*([a-z_0-9 ]+?)\s*\*\s*\)\s*(.+)", lhs)
    if m:
        return "mem", m.group(2), type_size(m.group(1))
    if lhs.startswith("*"):
        return "mem", lhs[1:], 4
    raise ExprError(f"Left operand of assignment is not an lvalue: {lhs}")


def type_size(name: str) -> int:
    name = " ".join(name.split())
    if name not in TYPES:
        raise ExprError(f'No symbol "{name}" in current context.')
    return TYPES[name]


class Scanner:
    """knight.c from the lecture: find a 32-bit value in writable memory, then narrow by new values."""

    LIMIT = 1 << 30  # do not copy mappings larger than this (an 8 GiB MAP_NORESERVE region)

    def __init__(self):
        self.remain: list[int] = []

    def search(self, vmas, read, value: int) -> list[str]:
        """Lines to print; a first search scans every rw mapping, later ones filter the matches."""
        pattern = struct.pack("<I", value & 0xFFFF_FFFF)
        lines = []
        if not self.remain:
            for v in vmas:
                if not v.prot & PROT_WRITE:
                    continue
                if v.end - v.start > self.LIMIT:
                    lines.append(f"Skipping {v.start:x}--{v.end:x} (too large)")
                    continue
                lines.append(f"Scanning {v.start:x}--{v.end:x}")
                try:
                    data = read(v.start, v.end - v.start)
                except Exception:  # noqa: BLE001 - unreadable (PROT_NONE guard): skip it
                    continue
                pos = data.find(pattern)
                while pos >= 0:
                    if pos % 4 == 0:
                        self.remain.append(v.start + pos)
                    pos = data.find(pattern, pos + 1)
        else:
            keep = []
            for a in self.remain:
                try:
                    if read(a, 4) == pattern:
                        keep.append(a)
                except Exception:  # noqa: BLE001 - unmapped since: drop it
                    pass
            self.remain = keep
        lines.append(f"There are {len(self.remain)} match(es).")
        return lines
