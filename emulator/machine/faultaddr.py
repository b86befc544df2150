"""Where did a faulting instruction try to go? (si_addr for SIGSEGV, without a memory hook.)

Unicorn 2.1.4 reports a bad access only as an error code when no memory hook is installed,
and any memory hook (even UC_HOOK_MEM_INVALID) slows every load and store: a memory-bound
sieve ran 2.3x slower with one. So the run path installs none, and on the rare fault this
module decodes the instruction at RIP with Capstone and computes its memory operands'
effective addresses from the registers, as the CPU did.
"""

from emulator.machine.unicorn_ffi import x86_const as X

# Instructions whose memory access is implicit (no memory operand in Capstone's view).
STACK_PUSH = {"push", "call", "pushfq", "pushf", "enter"}
STACK_POP = {"pop", "ret", "popfq", "popf", "leave", "iretq"}
STRING_SRC = ("movs", "lods", "cmps", "outs")
STRING_DST = ("movs", "stos", "scas", "cmps", "ins")

_md = None


def _disassembler():
    global _md
    if _md is None:
        import capstone

        _md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        _md.detail = True
    return _md


def _reg(uc, insn, reg_id: int, next_rip: int) -> int:
    name = insn.reg_name(reg_id)
    if name == "rip":
        return next_rip
    return uc.reg_read(getattr(X, f"UC_X86_REG_{name.upper()}"))


def candidate_addresses(uc, rip: int, code: bytes) -> list[int]:
    """Every address the instruction at rip reads or writes, explicit operands first."""
    import capstone.x86 as cx

    try:
        insn = next(_disassembler().disasm(code, rip, 1))
    except StopIteration:
        return [rip]
    next_rip = rip + insn.size
    out = []
    for op in insn.operands:
        if op.type != cx.X86_OP_MEM:
            continue
        m = op.mem
        addr = m.disp
        if m.base:
            addr += _reg(uc, insn, m.base, next_rip)
        if m.index:
            addr += _reg(uc, insn, m.index, next_rip) * m.scale
        if m.segment:
            seg = insn.reg_name(m.segment)
            if seg in ("fs", "gs"):
                addr += uc.reg_read(X.UC_X86_REG_FS_BASE if seg == "fs" else X.UC_X86_REG_GS_BASE)
        out.append(addr & 0xFFFF_FFFF_FFFF_FFFF)
    rsp = uc.reg_read(X.UC_X86_REG_RSP)
    mnem = insn.mnemonic.split()[-1]  # drop rep prefixes
    if mnem in STACK_PUSH:
        out.append(rsp - 8)
    if mnem in STACK_POP:
        out.append(rsp)
    if mnem.startswith(STRING_SRC):
        out.append(uc.reg_read(X.UC_X86_REG_RSI))
    if mnem.startswith(STRING_DST):
        out.append(uc.reg_read(X.UC_X86_REG_RDI))
    return out


def fault_address(uc, mem, rip: int, write: bool, fetch: bool) -> int:
    """The first address the instruction may not touch, as the page fault would report it."""
    if fetch or mem.find(rip) is None:
        return rip
    try:
        code = bytes(uc.mem_read(rip, 16))
    except Exception:  # the instruction straddles into an unmapped page
        code = bytes(uc.mem_read(rip, 0x1000 - rip % 0x1000))
    candidates = candidate_addresses(uc, rip, code)
    need = 2 if write else 1
    for addr in candidates:
        v = mem.find(addr)
        if v is None or not v.prot & need or v.sigbus:
            return addr
    return candidates[0] if candidates else 0
