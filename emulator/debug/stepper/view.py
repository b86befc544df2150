"""How the stepper shows state, in gdb's words: x/FMT, registers, disassembly, maps, frames.

Everything here is a pure function of what it is given: a `read(addr, n) -> bytes` callable
(the debugger's memory access), a register dict and a symbol lookup `where(addr)` that
returns (name, offset) or None. Keeping the formatting apart from the command loop lets the
same views serve any front end and keeps the output deterministic (it depends only on state).
"""

import re
import struct

import capstone

FLAG_BITS = ((0, "CF"), (2, "PF"), (4, "AF"), (6, "ZF"), (7, "SF"), (8, "TF"), (9, "IF"), (10, "DF"), (11, "OF"))
REG_ORDER = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
             "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base")
SIZES = {"b": 1, "h": 2, "w": 4, "g": 8}
PER_LINE = {1: 8, 2: 8, 4: 4, 8: 2}
SYSCALL_INSN = b"\x0f\x05"


def flags_text(eflags: int) -> str:
    """gdb's decoded eflags: '[ PF ZF IF ]'."""
    names = [name for bit, name in FLAG_BITS if eflags >> bit & 1]
    return "[ " + " ".join(names) + (" ]" if names else "]")


def sym_suffix(where, addr: int, plus0: bool = False) -> str:
    """' <name+off>' (or ' <name>' at the symbol itself unless plus0), '' without a symbol."""
    hit = where(addr)
    if hit is None:
        return ""
    name, off = hit
    return f" <{name}+{off}>" if off or plus0 else f" <{name}>"


def format_regs(regs: dict, where, names=REG_ORDER) -> str:
    """`info registers`: name, hex, natural value (pointers in hex, rip with its symbol)."""
    lines = []
    for name in names:
        if name not in regs:
            continue
        v = regs[name]
        if name == "eflags":
            natural = flags_text(v)
        elif name == "rip":
            natural = f"{v:#x}{sym_suffix(where, v)}"
        elif name in ("rsp", "rbp"):
            natural = f"{v:#x}"
        else:
            natural = str(v)
        lines.append(f"{name:<15}{v:<#19x} {natural}")
    return "\n".join(lines)


# ----- C-like escapes as gdb prints chars and strings ------------------------------
ESCAPES = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 27: "\\033"}


def escape_byte(b: int, quote: str) -> str:
    if b in ESCAPES:
        return ESCAPES[b]
    if chr(b) in (quote, "\\"):
        return "\\" + chr(b)
    if 0x20 <= b < 0x7F:
        return chr(b)
    return f"\\{b:03o}"


def gdb_string(data: bytes) -> str:
    return '"' + "".join(escape_byte(b, '"') for b in data) + '"'


def gdb_char(b: int) -> str:
    signed = b - 256 if b >= 128 else b
    return f"{signed} '{escape_byte(b, chr(39))}'"


# ----- disassembly ---------------------------------------------------------------------
class Disassembler:
    """Capstone, Intel syntax unless asked for AT&T, with symbolic branch targets."""

    def __init__(self, where, att: bool = False):
        self.where = where
        self.att = att

    def _cs(self):
        cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        if self.att:
            cs.syntax = capstone.CS_OPT_SYNTAX_ATT
        return cs

    def decode(self, read, addr: int, count: int = 1) -> list:
        """Up to `count` instructions from addr (fewer where memory ends or bytes are invalid)."""
        out, cs = [], self._cs()
        while len(out) < count:
            code = b""
            for n in (15 * (count - len(out)), 15, 1):
                try:
                    code = read(addr, min(n, 4096))
                    break
                except Exception:  # noqa: BLE001 - unmapped: try a shorter read
                    continue
            insns = list(cs.disasm(code, addr, count - len(out)))
            if not insns:
                break
            out.extend(insns)
            addr = insns[-1].address + insns[-1].size
        return out

    def text(self, insn) -> str:
        """mnemonic + operands, with '<sym>' after direct targets and '# addr <sym>' for rip-relative."""
        ops = insn.op_str
        m = insn.mnemonic
        if m.startswith(("call", "j", "loop")) and re.fullmatch(r"\$?0x[0-9a-f]+", ops):
            target = int(ops.lstrip("$"), 16)
            ops += sym_suffix(self.where, target)
        elif "rip" in ops:
            m2 = re.search(r"(?:\[rip ([+-]) (0x[0-9a-f]+)\]|(-?0x[0-9a-f]+)\(%rip\))", ops)
            if m2:
                if m2.group(2):
                    disp = int(m2.group(2), 16) * (-1 if m2.group(1) == "-" else 1)
                else:
                    disp = int(m2.group(3), 16)
                target = (insn.address + insn.size + disp) & 0xFFFF_FFFF_FFFF_FFFF
                ops += f"        # {target:#x}{sym_suffix(self.where, target)}"
        if not ops:
            return m
        return f"{m:<6} {ops}" if self.att else f"{m} {ops}"

    def line(self, insn, pc: int, plus0: bool = True) -> str:
        """'=> 0x401000 <_start+0>:\tmov rax, 1' (3 spaces instead of '=>' when not at pc)."""
        mark = "=> " if insn.address == pc else "   "
        return f"{mark}{insn.address:#x}{sym_suffix(self.where, insn.address, plus0)}:\t{self.text(insn)}"


# ----- x/FMT -----------------------------------------------------------------------------
class ExamineFormat:
    """gdb's /FMT for x: a count, a format letter and a unit size, remembered between uses."""

    def __init__(self):
        self.fmt, self.size = "x", 4

    def parse(self, spec: str) -> int:
        m = re.fullmatch(r"(\d*)([a-z]*)", spec)
        if not m:
            raise ValueError(f"Invalid format: /{spec}")
        count = int(m.group(1) or 1)
        size = None
        for ch in m.group(2):
            if ch in SIZES:
                size = SIZES[ch]
            elif ch in "xduotacsiz":
                self.fmt = ch
            else:
                raise ValueError(f'Undefined output format "{ch}".')
        if self.fmt == "a":
            size = 8
        elif self.fmt == "c" and size is None:
            size = 1
        if size is not None:
            self.size = size
        return count


def format_unit(fmt: str, size: int, raw: bytes, where) -> str:
    u = int.from_bytes(raw, "little")
    bits = size * 8
    if fmt == "x":
        return f"0x{u:0{size * 2}x}"
    if fmt == "z":
        return f"0x{u:0{size * 2}x}"
    if fmt == "d":
        return str(u - (1 << bits) if u >> (bits - 1) else u)
    if fmt == "u":
        return str(u)
    if fmt == "o":
        return f"0{u:o}" if u else "0"
    if fmt == "t":
        return f"{u:0{bits}b}"
    if fmt == "c":
        return gdb_char(raw[0])
    if fmt == "a":
        return f"{u:#x}{sym_suffix(where, u)}"
    raise ValueError(f"format {fmt}")


def format_value(fmt: str, value: int, where) -> str:
    """p/FMT of a 64-bit value: like x's units, but without zero padding (except z)."""
    if fmt == "x":
        return f"{value:#x}"
    if fmt == "t":
        return f"{value:b}"
    if fmt == "c":
        return gdb_char(value & 0xFF)
    return format_unit(fmt, 8, value.to_bytes(8, "little"), where)


def examine(fmtstate: ExamineFormat, count: int, addr: int, read, where, dis: Disassembler, pc: int):
    """The lines of `x/FMT addr`, and the address after the last unit shown (for a bare `x`)."""
    lines = []
    if fmtstate.fmt == "i":
        insns = dis.decode(read, addr, count)
        for insn in insns:
            lines.append(dis.line(insn, pc, plus0=False))
        if len(insns) < count:
            lines.append(f"Cannot access memory at address {addr if not insns else insns[-1].address + insns[-1].size:#x}")
        end = insns[-1].address + insns[-1].size if insns else addr
        return lines, end
    if fmtstate.fmt == "s":
        for _ in range(count):
            data = b""
            while len(data) < 200:
                try:
                    b = read(addr + len(data), 1)
                except Exception:  # noqa: BLE001 - the string runs into unmapped memory
                    if not data:
                        lines.append(f"{addr:#x}:\t<error: Cannot access memory at address {addr:#x}>")
                        return lines, addr
                    break
                if b == b"\0":
                    break
                data += b
            lines.append(f"{addr:#x}{sym_suffix(where, addr)}:\t{gdb_string(data)}")
            addr += len(data) + 1
        return lines, addr
    size = fmtstate.size
    per = PER_LINE[size]
    done = 0
    while done < count:
        n = min(per, count - done)
        try:
            raw = read(addr, n * size)
        except Exception:  # noqa: BLE001
            lines.append(f"Cannot access memory at address {addr:#x}")
            break
        units = [format_unit(fmtstate.fmt, size, raw[i * size:(i + 1) * size], where) for i in range(n)]
        lines.append(f"{addr:#x}{sym_suffix(where, addr)}:\t" + "\t".join(units))
        addr += n * size
        done += n
    return lines, addr


# ----- frames ---------------------------------------------------------------------------
def prologue(dis, read, start: int, pc: int) -> tuple[int, int | None, bool]:
    """What the function starting at `start` has done to the stack before pc, read from its prologue:
    (bytes pushed/reserved below the return address, depth at which rbp was pushed or None,
    whether `mov rbp, rsp` made rbp the frame pointer). The walk stops at the first branch,
    so later pushes are not seen: best effort, like gdb without unwind tables."""
    depth, rbp_at, fp = 0, None, False
    for i in dis.decode(read, start, 48):
        if i.address >= pc:
            break
        m, ops = i.mnemonic, i.op_str
        if m == "push":
            depth += 8
            if ops == "rbp":
                rbp_at = depth
        elif m == "pop":
            depth -= 8
        elif m in ("sub", "add") and ops.startswith("rsp, ") and re.fullmatch(r"(0x)?[0-9a-f]+", ops[5:]):
            depth += int(ops[5:], 0) * (1 if m == "sub" else -1)
        elif m == "mov" and ops == "rbp, rsp" and rbp_at is not None:
            fp = True
        elif m.startswith(("j", "call", "ret", "loop")) or "rsp" in ops.split(",")[0]:
            break
    return depth, rbp_at, fp


def unwind(read, regs: dict, function, dis, is_code, limit: int = 64) -> list[tuple[int, int]]:
    """[(pc, cfa)] from the innermost frame out; cfa is rsp once that frame has returned.

    Each frame is read from its function's prologue (stepper_view.prologue); code without a
    symbol falls back to the frame-pointer chain. Stops at the first implausible return address.
    """
    def u64(a):
        return struct.unpack("<Q", read(a, 8))[0]

    pc, rsp, rbp = regs["rip"], regs["rsp"], regs["rbp"]
    frames = []
    try:
        while len(frames) < limit:
            fn = function(pc)
            if fn is not None:
                depth, rbp_at, fp = prologue(dis, read, fn[1], pc)
                if fp:
                    cfa = rbp + 16
                    caller_rbp = u64(rbp)
                else:
                    cfa = rsp + depth + 8
                    caller_rbp = u64(cfa - 8 - rbp_at) if rbp_at is not None else rbp
            elif rbp:
                cfa, caller_rbp = rbp + 16, u64(rbp)
            else:
                frames.append((pc, 0))
                break
            if cfa <= rsp or (frames and cfa <= frames[-1][1]):  # stacks unwind upwards only
                frames.append((pc, 0))
                break
            frames.append((pc, cfa))
            ret = u64(cfa - 8)
            if not is_code(ret):
                break
            pc, rsp, rbp = ret, cfa, caller_rbp
    except Exception:  # noqa: BLE001 - the walk ran into unreadable memory
        if len(frames) == 0:
            frames.append((pc, 0))
    return frames


def frame_line(no: int, pc: int, where) -> str:
    hit = where(pc)
    name = hit[0] if hit else "??"
    return f"#{no:<2} {pc:#018x} in {name} ()"


# ----- the system call about to run ------------------------------------------------------
def syscall_text(proc, opts=None) -> str:
    """`write(1, "Hello world\\n", 12)`: the table's argument types format the call as the tracer's
    entry half does; arguments the kernel fills in (out) are not known yet and print as pointers."""
    from syscalls.decode.text import ptr
    from syscalls.decode.types import TraceContext
    from syscalls.table import TABLE

    regs = proc.cpu.syscall_regs()
    nr, args = regs[0], regs[1:]
    spec = TABLE.get(nr)
    if spec is None:
        return f"syscall_{nr:#x}({', '.join(f'{a:#x}' for a in args)})"
    t = TraceContext(proc, args, None, opts)
    parts = [ptr(raw) if a.out else a.format(t, raw) for a, raw in zip(spec.args, args)]
    return f"{spec.name}({', '.join(parts)})"
