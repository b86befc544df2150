"""--trace-insn START-END: print each instruction executed inside one address range.

Only that range is hooked (UC_HOOK_CODE with begin/end = the range), so code outside it runs
at full speed. Lines go to the tracer's output, interleaved with the system calls.
"""

from __future__ import annotations

from capstone import CS_ARCH_X86, CS_MODE_64, Cs

from emulator.machine.unicorn_ffi import UC_HOOK_CODE


class InsnRangeError(Exception):
    pass


def resolve(proc, spec: str) -> tuple[int, int]:
    """START-END (hex addresses or symbols), or one symbol: its whole body. END is exclusive."""
    syms = None

    def addr(text: str) -> tuple[int, int]:
        nonlocal syms
        try:
            return int(text, 16), 0
        except ValueError:
            pass
        if syms is None:
            from emulator.image.symbols import load_symbols

            syms = load_symbols(proc.exe)
        a = syms.address(text)
        if a is None:
            raise InsnRangeError(f"unknown symbol or address '{text}'")
        base = proc.image.base if proc.image is not None else 0  # static-PIE: symbols are relative
        return a + base, syms.size(text) or 1

    if "-" in spec:
        lo_s, hi_s = spec.split("-", 1)
        lo, _ = addr(lo_s)
        hi, size = addr(hi_s)
        if hi_s and not hi_s.lower().startswith("0x"):
            hi += size  # a symbol as END includes its body
        return lo, hi
    lo, size = addr(spec)
    return lo, lo + max(size, 1)


def install(tracer, proc, spec: str) -> None:
    lo, hi = resolve(proc, spec)
    md = Cs(CS_ARCH_X86, CS_MODE_64)
    cache: dict[int, str] = {}

    def on_code(uc, address, size, _ud):
        text = cache.get(address)
        if text is None:
            code = bytes(uc.mem_read(address, size))
            insn = next(md.disasm(code, address), None)
            text = f"{insn.mnemonic} {insn.op_str}".rstrip() if insn else f"(bad) {code.hex()}"
            cache[address] = text
        tracer.emit(f"{address:#x}: {text}\n")

    proc.uc.hook_add(UC_HOOK_CODE, on_code, None, lo, hi - 1)
