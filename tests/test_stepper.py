"""`elfemu step` driven through stdin: the gdb-test scenarios plus the lecture's value scanner.

Each test feeds a script (one command per line) and checks what the stepper printed and what
the guest itself wrote to stdout. Addresses come from the ELF symbol table, not from memory.
"""

import re

import pytest

from emulator.debug.stepper import view
from emulator.debug.stepper.expr import Evaluator, ExprError, Scanner, parse_lvalue
from emulator.image.symbols import load_symbols
from tests.conftest import HELLO178, sample, step

MSG = 0x100A6  # "Hello world\n" inside the 178-byte hello


def regs_block(out: str, start: int = 0) -> str:
    """The first `regs` listing at or after text offset start (rax .. gs_base)."""
    i = out.index("rax ", start)
    j = out.index("gs_base", i)
    return out[i:out.index("\n", j)]


# ----- the 178-byte hello: si, regs, x/s, the system call line, patching its text --------------
def test_si_regs_and_x_s_on_hello178():
    out, rc = step(HELLO178, "si 3\nregs\nx/s $rsi\nx/2i $pc\np $rdi\nq\n")
    assert out.startswith("=> 0x10078:\tmov rax, 1\n")
    assert "=> 0x1008d:\tmov rdx, 0xc\n" in out
    regs = regs_block(out)
    assert re.search(r"^rax +0x1 +1$", regs, re.M)
    assert re.search(r"^rsi +0x100a6 +65702$", regs, re.M)
    assert re.search(r"^rip +0x1008d +0x1008d$", regs, re.M)
    assert re.search(r"^eflags +0x[0-9a-f]+ +\[ .*\]$", regs, re.M)
    assert '0x100a6:\t"Hello world\\n"\n' in out
    assert "=> 0x1008d:\tmov rdx, 0xc\n   0x10094:\tsyscall\n" in out
    assert "$1 = 1\n" in out
    assert rc == 0


def test_syscall_decoded_at_syscall_instruction():
    out, _ = step(HELLO178, "si 4\nq\n")
    assert '=> 0x10094:\tsyscall\n   syscall: write(1, "Hello world\\n", 12)\n' in out


def test_patch_text_of_hello178_then_continue():
    script = f"set {{char}}{MSG:#x}='J'\nx/s {MSG:#x}\nc\n"
    out, rc = step(HELLO178, script)
    assert f'{MSG:#x}:\t"Jello world\\n"\n' in out
    assert "Jello world\n" in out.split("\n", 2)[2]  # the guest's own write, after the x/s line
    assert "Hello world" not in out
    assert "[Inferior 1 exited normally]" in out
    assert rc == 0


def test_set_register_changes_the_write():
    # write(1, msg, 5): only "Hello" reaches stdout, then the exit notice
    out, rc = step(HELLO178, "si 4\nset $rdx=5\nc\n")
    assert out.endswith('syscall: write(1, "Hello world\\n", 12)\nHello[Inferior 1 exited normally]\n'), out
    assert rc == 0


def test_reverse_stepi_restores_registers_and_memory_on_hello178():
    script = "si 2\necho <A>\\n\nregs\nx/2gx $rsp\nsi 4\nrsi 4\necho <B>\\n\nregs\nx/2gx $rsp\nq\n"
    out, _ = step(HELLO178, script)
    a, b = out.index("<A>\n"), out.index("<B>\n")
    assert out[a + 4:out.index("Hello world\n")] == out[b + 4:]
    assert out.count("Hello world\n") == 1  # replay does not write again


# ----- a static glibc program: breakpoints on symbols, watchpoints, finish, exit codes -----------
def syms(libc: str, name: str):
    return load_symbols(str(sample(libc, name)))


def test_break_on_symbol_and_disassembly_names():
    prog = sample("glibc", "hello")
    s = syms("glibc", "hello")
    main = s.address("main")
    out, rc = step(prog, "b main\nc\nbt\ndisas\nx/2i $pc\nc\n")
    assert f"Breakpoint 1 at {main:#x} <main>\n" in out
    assert f"Breakpoint 1, {main:#018x} in main ()\n=> {main:#x} <main+0>:\t" in out
    assert f"#0  {main:#018x} in main ()\n#1  " in out
    assert "Dump of assembler code for function main:\n=> " in out
    call = re.search(r"call (0x[0-9a-f]+) <(\w+)>", out)
    assert call, out
    assert s.where(int(call.group(1), 16)) == (call.group(2), 0)
    assert call.group(2) in ("puts", "printf", "_IO_puts")
    assert "Hello world\n" in out
    assert out.rstrip().endswith("[Inferior 1 exited normally]")
    assert rc == 0


def test_att_flavor():
    out, _ = step(HELLO178, "set disassembly-flavor att\nx/i $pc\nq\n")
    assert "=> 0x10078:\tmovq   $1, %rax\n" in out or "=> 0x10078:\tmov    $1, %rax\n" in out


def test_watchpoint_on_gold_prints_old_and_new():
    out, rc = step(sample("glibc", "scanner_target"), "watch gold\nc\nc\ninfo b\nd\nc\n")
    assert "Hardware watchpoint 1: gold\n" in out
    assert "Old value = 1000\nNew value = 990\n" in out
    assert "Old value = 990\nNew value = 1015\n" in out
    assert "breakpoint already hit 2 times" in out
    assert "final gold = 695\n" in out
    assert rc == 0


def test_finish_and_ni_and_tbreak():
    s = syms("glibc", "scanner_target")
    spend, main = s.address("spend"), s.address("main")
    out, _ = step(sample("glibc", "scanner_target"), "tb spend\nc\nfinish\ninfo b\nx/dw &gold\nq\n")
    assert f"Temporary breakpoint 1, {spend:#018x} in spend ()" in out
    assert "Run till exit from #0" in out
    ret = re.search(r"=> (0x[0-9a-f]+) <main\+(\d+)>", out.split("Run till exit", 1)[1])
    assert ret and int(ret.group(1), 16) == main + int(ret.group(2))
    assert "No breakpoints or watchpoints." in out
    assert re.search(r"<gold>:\t990\n", out)


def test_ni_steps_over_calls():
    s = syms("glibc", "scanner_target")
    main = s.address("main")
    fn = s.function(main)
    script = "b main\nc\n" + "ni\n" * 40 + "q\n"
    out, _ = step(sample("glibc", "scanner_target"), script)
    pcs = [int(m, 16) for m in re.findall(r"^=> (0x[0-9a-f]+)", out, re.M)]
    after = pcs[pcs.index(main):]
    # every stop of ni stays inside main: calls are stepped over
    assert all(fn[1] <= pc < fn[1] + fn[2] for pc in after), [hex(p) for p in after]
    call = re.search(r"^=> (0x[0-9a-f]+) <main\+\d+>:\tcall 0x[0-9a-f]+ <printf>$", out, re.M)
    assert call, out
    at = int(call.group(1), 16)
    assert pcs[pcs.index(at) + 1] == at + 5  # the whole printf ran inside one ni


def test_continue_to_exit_code():
    out, rc = step(sample("glibc", "exit_modes"), "c\n", "exit")
    assert "mode exit: buffered text without newline | atexit handler ran\n" in out
    assert out.rstrip().endswith("[Inferior 1 exited with code 03]")
    assert rc == 3


def test_reverse_continue_returns_to_the_previous_breakpoint_hit():
    script = ("b spend\nc\nc\necho <A>\\n\nregs\nx/dw &gold\nc\nx/dw &gold\nrc\necho <B>\\n\nregs\nx/dw &gold\n"
              "rsi 3\nsi 3\necho <C>\\n\nregs\nx/dw &gold\nd\nc\n")
    out, _ = step(sample("glibc", "scanner_target"), script)
    a, b, c = out.index("<A>\n"), out.index("<B>\n"), out.index("<C>\n")
    second = regs_block(out, a)
    assert regs_block(out, b) == second
    assert regs_block(out, c) == second
    golds = re.findall(r"<gold>:\t(-?\d+)", out)
    assert golds == ["1015", "1020", "1015", "1015"]
    assert out[a:b].count("Breakpoint 1, ") == 2
    # the guest's output appears once: replay does not repeat writes
    assert out.count("round 2: gold = 1020\n") == 1
    assert out.count("final gold = 695\n") == 1


def test_value_scanner_finds_and_sets_gold():
    s = syms("glibc", "scanner_target")
    gold = s.address("gold")
    first, _ = step(sample("glibc", "scanner_target"), "b earn\nc\nfind 990\nc\nfind 995\nq\n")
    assert first.count("match(es)") == 2
    last = first.rsplit("There are", 1)[1]
    assert last.startswith(" 1 match(es).\n"), last
    found = int(re.search(r"^  (0x[0-9a-f]+) <gold>$", last, re.M).group(1), 16)
    assert found == gold
    script = f"b earn\nc\nfind 990\nc\nfind 995\nset *{found:#x}=5000\nd\nc\n"
    out, rc = step(sample("glibc", "scanner_target"), script)
    assert "round 1: gold = 1015\n" in out
    assert "round 2: gold = 5025\n" in out
    assert "final gold = " in out and "final gold = 695" not in out
    assert rc == 0


def test_info_proc_mappings_and_errors():
    out, _ = step(HELLO178, "info proc mappings\nx/s 0\nfoo\np $nope\nb nosuch\nq\n")
    assert re.search(r"^00010000-00011000 r-xp 00000000 .* /.*hello178$", out, re.M)
    assert re.search(r"-7ffffffff000 rw-p .*\[stack\]$", out, re.M)
    assert "Cannot access memory at address 0x0" in out
    assert 'Undefined command: "foo".' in out
    assert "Invalid register `nope'" in out
    assert 'No symbol "nosuch" in current context.' in out


# ----- the pure views, without a guest ------------------------------------------------------------
MEM = {0x1000 + i: b for i, b in enumerate(b"\xe8\x03\x00\x00Hi\n\x00" + bytes(range(8)))}


def fake_read(addr, n):
    try:
        return bytes(MEM[a] for a in range(addr, addr + n))
    except KeyError:
        raise ValueError("unmapped") from None


def where(addr):
    return ("gold", addr - 0x1000) if 0x1000 <= addr < 0x1004 else None


@pytest.mark.parametrize("spec,addr,expect", [
    ("4dw", 0x1000, ["0x1000 <gold>:\t1000\t682312\t50462976\t117835012"]),
    ("2xb", 0x1000, ["0x1000 <gold>:\t0xe8\t0x03"]),
    ("2c", 0x1000, ["0x1000 <gold>:\t-24 '\\350'\t3 '\\003'"]),
    ("1xg", 0x1000, ["0x1000 <gold>:\t0x000a6948000003e8"]),
    ("2uh", 0x1000, ["0x1000 <gold>:\t1000\t0"]),
    ("1tb", 0x1001, ["0x1001 <gold+1>:\t00000011"]),
    ("1ow", 0x1000, ["0x1000 <gold>:\t01750"]),
    ("s", 0x1004, ['0x1004:\t"Hi\\n"']),
    ("2s", 0x1004, ['0x1004:\t"Hi\\n"', '0x1008:\t""']),
])
def test_examine_formats(spec, addr, expect):
    f = view.ExamineFormat()
    count = f.parse(spec)
    lines, _ = view.examine(f, count, addr, fake_read, where, view.Disassembler(where), 0)
    assert lines == expect


def test_examine_unreadable():
    f = view.ExamineFormat()
    lines, _ = view.examine(f, f.parse("4xg"), 0x1008, fake_read, where, view.Disassembler(where), 0)
    assert lines == ["Cannot access memory at address 0x1008"]


def test_flags_and_registers_text():
    assert view.flags_text(0x246) == "[ PF ZF IF ]"
    assert view.flags_text(0x2) == "[ ]"
    text = view.format_regs({"rax": 12, "rsp": 0x7FFF0, "rip": 0x1002, "eflags": 0x206}, where)
    assert text.splitlines() == [
        "rax            0xc                 12",
        "rsp            0x7fff0             0x7fff0",
        "rip            0x1002              0x1002 <gold+2>",
        "eflags         0x206               [ PF IF ]",
    ]


class FakeDbg:
    def read_register(self, name):
        return {"rax": 5, "rip": 0x1000, "rsp": 0x7FF0}[name]


def test_expressions():
    ev = Evaluator(FakeDbg(), {"gold": 0x1000}.get, [7])
    assert ev.eval("$rax + 3") == (8, False)
    assert ev.eval("gold+4") == (0x1004, True)
    assert ev.eval("$pc") == (0x1000, True)
    assert ev.eval("-1")[0] == 0xFFFF_FFFF_FFFF_FFFF
    assert ev.eval("'J'") == (74, False)
    assert ev.eval("$1 - 0x2") == (5, False)
    with pytest.raises(ExprError):
        ev.eval("$rax +")
    with pytest.raises(ExprError):
        ev.eval("nosuch")
    assert parse_lvalue("*0x10") == ("mem", "0x10", 4)
    assert parse_lvalue("{char} gold") == ("mem", "gold", 1)
    assert parse_lvalue("*(long *) $rsp") == ("mem", "$rsp", 8)
    assert parse_lvalue("$rax ") == ("reg", "rax", 0)


def test_scanner_narrows():
    from emulator.machine.memory import Vma

    mem = bytearray(16)
    mem[0:4] = (1000).to_bytes(4, "little")
    mem[8:12] = (1000).to_bytes(4, "little")

    def read(a, n):
        return bytes(mem[a - 0x1000:a - 0x1000 + n])

    sc = Scanner()
    lines = sc.search([Vma(0x1000, 0x1010, 3), Vma(0x2000, 0x3000, 5)], read, 1000)
    assert lines == ["Scanning 1000--1010", "There are 2 match(es)."]
    mem[8:12] = (990).to_bytes(4, "little")
    assert sc.search([], read, 990) == ["There are 1 match(es)."]
    assert sc.remain == [0x1008]


def test_reverse_nexti_steps_back_over_a_whole_call():
    script = "b main\nc\nni 9\necho <A>\\n\nregs\nni\nrni\necho <B>\\n\nregs\nq\n"
    out, _ = step(sample("glibc", "scanner_target"), script)
    a, b = out.index("<A>\n"), out.index("<B>\n")
    assert re.search(r"=> 0x[0-9a-f]+ <main\+\d+>:\tcall 0x[0-9a-f]+ <printf>\n<A>", out)
    assert regs_block(out, a) == regs_block(out, b)
    assert re.search(r"<printf>\n<B>", out)


def test_reverse_continue_to_a_watchpoint_hit():
    script = "watch gold\nc\nc\nrc\nx/dw &gold\nbt\nq\n"
    out, _ = step(sample("glibc", "scanner_target"), script)
    assert out.count("Old value = ") == 3
    tail = out.split("New value = 1015\n", 1)[1]
    assert "Old value = 1015\nNew value = 990\n" in tail  # back at the first stop, seen backwards
    assert re.search(r"<gold>:\t990\n#0  0x[0-9a-f]+ in spend \(\)\n#1  0x[0-9a-f]+ in main \(\)\n", tail)


def test_fault_stops_then_kills():
    out, rc = step(sample("glibc", "null_deref"), "c\nbt\nc\nregs\n")
    assert "\nProgram received signal SIGSEGV, Segmentation fault.\n=> " in out
    assert re.search(r"#0  0x[0-9a-f]+ in main \(\)\n", out)
    assert "Program terminated with signal SIGSEGV, Segmentation fault.\nThe program no longer exists.\n" in out
    assert out.endswith("The program has no registers now.\n")
    assert rc == 128 + 11


def test_backtrace_through_code_without_frame_pointers():
    # glibc's own functions omit the frame pointer: frames come from reading each prologue
    out, _ = step(sample("glibc", "hello"), "b puts\nc\nsi 20\nbt\nfinish\nfinish\nq\n")
    names = re.findall(r"^#\d+ +0x[0-9a-f]+ in (\S+) \(\)$", out, re.M)
    assert names[1:] == ["puts", "main", "__libc_start_call_main", "__libc_start_main_impl", "_start"], out
    assert re.search(r"Run till exit from #0 .* in puts \(\)\n=> 0x[0-9a-f]+ <main\+\d+>:\t", out)
