"""What gdb is told the target is: amd64 GNU/Linux, its registers in `g` packet order, its signals.

The description is the one gdbserver sends for amd64-linux (gdb/features/i386/64bit-*.xml):
core registers with eflags' bits, x87, SSE with mxcsr's bits, orig_rax (org.gnu.gdb.i386.linux,
so `catch syscall` and syscall restarts work) and fs_base/gs_base. gdb numbers signals its own
way on the wire (gdb/include/gdb/signals.def), so Linux's numbers are translated.
"""

# (name, bytes) in the order of the description below: the `g` packet layout.
REGS = ([(n, 8) for n in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                          "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip")]
        + [("eflags", 4)] + [(n, 4) for n in ("cs", "ss", "ds", "es", "fs", "gs")]
        + [(f"st{i}", 10) for i in range(8)]
        + [(n, 4) for n in ("fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop")]
        + [(f"xmm{i}", 16) for i in range(16)] + [("mxcsr", 4), ("orig_rax", 8), ("fs_base", 8), ("gs_base", 8)])

# Linux signal numbers -> gdb's own (GDB_SIGNAL_*) numbering used on the wire.
GDB_SIGNAL = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 10, 8: 8, 9: 9, 10: 30, 11: 11, 12: 31, 13: 13, 14: 14,
              15: 15, 17: 20, 18: 19, 19: 17, 20: 18, 21: 21, 22: 22, 23: 16, 24: 24, 25: 25, 26: 26,
              27: 27, 28: 28, 29: 23, 30: 32, 31: 12}


def _target_xml() -> str:
    def regs(names, bits, typ, extra=""):
        return "".join(f'<reg name="{n}" bitsize="{bits}" type="{typ}"{extra}/>' for n in names)

    eflags = "".join(f'<field name="{n}" start="{b}" end="{b}"/>' for n, b in (
        ("CF", 0), ("PF", 2), ("AF", 4), ("ZF", 6), ("SF", 7), ("TF", 8), ("IF", 9), ("DF", 10), ("OF", 11),
        ("NT", 14), ("RF", 16), ("VM", 17), ("AC", 18), ("VIF", 19), ("VIP", 20), ("ID", 21)))
    mxcsr = "".join(f'<field name="{n}" start="{b}" end="{b}"/>' for n, b in (
        ("IE", 0), ("DE", 1), ("ZE", 2), ("OE", 3), ("UE", 4), ("PE", 5), ("DAZ", 6), ("IM", 7), ("DM", 8),
        ("ZM", 9), ("OM", 10), ("UM", 11), ("PM", 12), ("FZ", 15)))
    core = ('<feature name="org.gnu.gdb.i386.core">'
            f'<flags id="i386_eflags" size="4">{eflags}</flags>'
            + regs(("rax", "rbx", "rcx", "rdx", "rsi", "rdi"), 64, "int64")
            + regs(("rbp", "rsp"), 64, "data_ptr")
            + regs([f"r{i}" for i in range(8, 16)], 64, "int64")
            + regs(("rip",), 64, "code_ptr") + regs(("eflags",), 32, "i386_eflags")
            + regs(("cs", "ss", "ds", "es", "fs", "gs"), 32, "int32")
            + regs([f"st{i}" for i in range(8)], 80, "i387_ext")
            + regs(("fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"), 32, "int", ' group="float"')
            + '</feature>')
    sse = ('<feature name="org.gnu.gdb.i386.sse">'
           '<vector id="v4f" type="ieee_single" count="4"/><vector id="v2d" type="ieee_double" count="2"/>'
           '<vector id="v16i8" type="int8" count="16"/><vector id="v8i16" type="int16" count="8"/>'
           '<vector id="v4i32" type="int32" count="4"/><vector id="v2i64" type="int64" count="2"/>'
           '<union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/>'
           '<field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/>'
           '<field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/>'
           '<field name="uint128" type="uint128"/></union>'
           f'<flags id="i386_mxcsr" size="4">{mxcsr}</flags>'
           + regs([f"xmm{i}" for i in range(16)], 128, "vec128")
           + regs(("mxcsr",), 32, "i386_mxcsr", ' group="vector"') + '</feature>')
    linux = '<feature name="org.gnu.gdb.i386.linux">' + regs(("orig_rax",), 64, "int") + '</feature>'
    segs = '<feature name="org.gnu.gdb.i386.segments">' + regs(("fs_base", "gs_base"), 64, "int") + '</feature>'
    return ('<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0">'
            '<architecture>i386:x86-64</architecture><osabi>GNU/Linux</osabi>'
            + core + sse + linux + segs + '</target>')


TARGET_XML = _target_xml().encode()


def register_bytes(value: int, size: int) -> bytes:
    """A register's value as the `g`/`p` packets carry it: little-endian, `size` bytes."""
    return (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
