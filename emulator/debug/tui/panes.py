"""What each pane of the TUI shows, as text cut to the pane's size (rich Text where it has colour).

Pure functions of the stepper's state (emulator/debug/tui/session.py) and a size: the app
calls them once per completed command, and the tests call them too. Addresses and numbers
look as in the stepper (emulator/debug/stepper/view.py formats them), so what a person reads
in the panes is what `elfemu step` prints for the same state.
"""

import struct

from rich.text import Text

from emulator.debug.stepper import view

# Two registers per line; rip first, so the pane shows it however small the terminal.
REG_PAIRS = (("rip", "eflags"), ("rax", "rbx"), ("rcx", "rdx"), ("rsi", "rdi"), ("rbp", "rsp"),
             ("r8", "r9"), ("r10", "r11"), ("r12", "r13"), ("r14", "r15"), ("fs_base", "gs_base"))
CHANGED = "bold reverse"  # registers the last command changed
AT_PC = "bold reverse"  # the instruction about to run
BREAK = "bold red"  # breakpoint marks
BEFORE_PC = 4  # disassembly lines shown before the current instruction
MAX_BACK = 2048  # decode from the function's start only when pc is this close to it


def gone(st) -> str | None:
    """Why there is no state to show: the guest has ended (None while it lives)."""
    ev = st.dbg.exited
    if ev is None:
        return None
    if ev.reason == "exited":
        return f"(the program exited with status {ev.exit_status})"
    return f"(the program was killed by signal {ev.signo})"


def registers(st, before: dict | None) -> Text:
    """Two registers a line, 16 hex digits each; the ones that changed since `before` highlighted."""
    if gone(st):
        return Text(gone(st))
    regs = st.regs()
    out = Text()
    for n, pair in enumerate(REG_PAIRS):
        if n:
            out.append("\n")
        for i, name in enumerate(pair):
            label = {"eflags": "efl", "fs_base": "fsb", "gs_base": "gsb"}.get(name, name)
            style = CHANGED if before is not None and before.get(name) != regs[name] else ""
            out.append(" " if i else "")
            out.append(f"{label:>3} ")
            out.append(f"{regs[name]:016x}", style)
    return out


def flags_line(st) -> str:
    return "" if gone(st) else view.flags_text(st.regs()["eflags"])


def code(st, rows: int) -> Text:
    """The instructions around rip: a few before it (decoded from its function's start), then on."""
    if gone(st):
        return Text(gone(st))
    pc = st.dbg.pc
    fn = st.syms.function(pc)
    insns = []
    if fn is not None and 0 <= pc - fn[1] <= MAX_BACK:
        walk = st.dis.decode(st.read, fn[1], (pc - fn[1]) + 1)
        upto = [i for i in walk if i.address < pc]
        if walk and any(i.address == pc for i in walk):
            insns = upto[-BEFORE_PC:]
    insns += st.dis.decode(st.read, pc, max(1, rows - len(insns)))
    out = Text()
    for n, insn in enumerate(insns[:rows]):
        if n:
            out.append("\n")
        mark = "b" if insn.address in st.dbg.breakpoints else " "
        out.append(mark, BREAK)
        line = st.dis.line(insn, pc)
        out.append(line.replace("\t", " "), AT_PC if insn.address == pc else "")
    if not insns:
        out.append(f"=> {pc:#x}: (cannot read the code)")
    return out


def stack(st, rows: int) -> str:
    """The quadwords from rsp upwards, with the symbol a value points into."""
    if gone(st):
        return gone(st)
    rsp = st.regs()["rsp"]
    lines = []
    for i in range(rows):
        addr = rsp + 8 * i
        try:
            (value,) = struct.unpack("<Q", st.read(addr, 8))
        except Exception:  # noqa: BLE001 - the top of the stack
            break
        mark = "rsp" if i == 0 else f"+{8 * i:<2x}"
        lines.append(f"{mark:>3} {addr:x}: {value:016x}{view.sym_suffix(st.syms.where, value)}")
    return "\n".join(lines)


def memory(st, rows: int, width: int) -> str:
    """A hex dump at the address `mem EXPR` follows (evaluated now), as many bytes a line as fit."""
    if gone(st):
        return gone(st)
    try:
        base = st.ev.value(st.follow)
    except Exception as exc:  # noqa: BLE001 - an expression that no longer evaluates
        return f"{st.follow}: {exc}"
    per = next((n for n in (16, 8) if width >= 13 + 3 * n), 4)  # the address, then 3 columns a byte
    chars = width >= 13 + 4 * per  # and the bytes as characters, where they fit
    lines = []
    for i in range(rows):
        addr = base + per * i
        try:
            data = st.read(addr, per)
        except Exception:  # noqa: BLE001 - unmapped
            lines.append(f"{addr:012x} (not mapped)")
            break
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data) if chars else ""
        lines.append(f"{addr:012x} {data.hex(' ')} {text}".rstrip())
    return "\n".join(lines)


def maps(st) -> str:
    """/proc/PID/maps of the guest, as `info proc mappings` prints it."""
    return gone(st) or st.proc.mem.maps_text().rstrip("\n")


def fit(line: str, width: int) -> str:
    """A call's line cut in its arguments, not its end: the result stays in sight."""
    head, eq, result = line.rpartition(") = ")
    if len(line) <= width or not eq:
        return line
    return head[:max(8, width - len(result) - 5)] + "…" + eq + result


def syscalls(st, rows: int, width: int = 1 << 30) -> Text:
    """The last system calls that ran before this point; then the one at rip, if rip is at `syscall`."""
    log = st.log.entries if st.dbg.exited else None
    lines = [line for _pos, line in log] if log is not None else st.log.before(st.dbg.icount)
    out = Text()
    pending = None
    if st.dbg.exited is None:
        insns = st.dis.decode(st.read, st.dbg.pc, 1)
        if insns and insns[0].bytes == view.SYSCALL_INSN:
            pending = st.syscall_text() + " ..."
    keep = rows - (pending is not None)
    for n, line in enumerate(lines[-keep:] if keep > 0 else []):
        out.append(("\n" if n else "") + fit(line, width))
    if pending is not None:
        out.append(("\n" if lines and keep > 0 else "") + pending, AT_PC)
    return out


def tail(text: str, rows: int) -> str:
    """The last `rows` lines of a text (the output and console panes)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines[-rows:]) if rows > 0 else ""
