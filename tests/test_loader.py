"""The loader: what Linux's execve rejects (and how), static-PIE, and the System V initial stack.

Malformed files are made by patching real ELF files. Each is run natively (execve in a forked
child: -errno or the signal it dies by) and under elfemu, both as the program elfemu starts and
through a guest's execve: ENOEXEC and friends become a one-line `elfemu: PATH: reason` with
status 126/127, or the guest's execve returns the errno; failures Linux only finds after
execve's point of no return kill the process with SIGSEGV, and elfemu dies the same way. A
hypothesis fuzz test mutates headers and truncates files: never a Python traceback.
"""

import errno
import os
import re
import signal
import struct
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.errors import ExecError
from emulator.image import exec as exec_
from emulator.image import loader
from tests.conftest import HELLO178, ROOT, assert_same, contains, need_tool, run_emu, run_native, sample

AUXV_SRC = r"""
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
extern char **environ;
extern const char __ehdr_start[];
extern char _start[];
int main(int argc, char **argv) {
    char **envp = argv + argc + 1;
    int n = 0;
    while (envp[n]) n++;
    uint64_t *auxv = (uint64_t *)(envp + n + 1);
    unsigned char *rnd = (unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    for (int i = 0; i < 16; i++) nonzero |= rnd[i];
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    for (int i = 0; i < n; i++) printf("envp[%d]=%s\n", i, envp[i]);
    printf("environ==envp %d\n", environ == envp);
    printf("argv%%16=%lu\n", (unsigned long)((uintptr_t)argv % 16));
    printf("argv strings contiguous %d\n", argc < 2 || argv[1] == argv[0] + strlen(argv[0]) + 1);
    printf("env after argv %d\n", n == 0 || envp[0] == argv[argc - 1] + strlen(argv[argc - 1]) + 1);
    printf("execfn above env %d\n", n == 0 || (char *)getauxval(AT_EXECFN) > envp[n - 1]);
    printf("random above auxv %d nonzero %d\n", (uint64_t *)rnd > auxv, nonzero != 0);
    printf("AT_PAGESZ=%lu AT_PHENT=%lu AT_PHNUM=%lu AT_CLKTCK=%lu AT_FLAGS=%lu AT_BASE=%lx\n",
           getauxval(AT_PAGESZ), getauxval(AT_PHENT), getauxval(AT_PHNUM), getauxval(AT_CLKTCK),
           getauxval(AT_FLAGS), getauxval(AT_BASE));
    printf("AT_PHDR-ehdr=%lu AT_ENTRY-_start=%lu\n", getauxval(AT_PHDR) - (unsigned long)__ehdr_start,
           getauxval(AT_ENTRY) - (unsigned long)_start);
    printf("AT_UID=%lu AT_EUID=%lu AT_GID=%lu AT_EGID=%lu AT_SECURE=%lu\n", getauxval(AT_UID),
           getauxval(AT_EUID), getauxval(AT_GID), getauxval(AT_EGID), getauxval(AT_SECURE));
    printf("AT_PLATFORM=%s AT_EXECFN=%s\n", (char *)getauxval(AT_PLATFORM), (char *)getauxval(AT_EXECFN));
#ifdef NONPIE
    printf("AT_ENTRY=%lx AT_PHDR=%lx\n", getauxval(AT_ENTRY), getauxval(AT_PHDR));
#endif
    return 0;
}
"""


@pytest.fixture(scope="module")
def auxv_progs(build):
    return {"glibc": build(AUXV_SRC, "gcc", "-DNONPIE"), "musl": build(AUXV_SRC, "musl-gcc", "-DNONPIE"),
            "static-pie": build(AUXV_SRC, "gcc", link="static-pie")}


@pytest.mark.parametrize("kind", ["glibc", "musl", "static-pie"])
@pytest.mark.parametrize("nargs", [0, 1, 3])  # both parities of the word count above argc
def test_initial_stack_and_auxv(auxv_progs, kind, nargs):
    """argc/argv/envp layout and the deterministic auxv entries match a native run exactly."""
    exe = auxv_progs[kind]
    env = {"A": "1", "LONGER_NAME": "x" * 37, "EMPTY": ""}
    args = [exe, "one", "", "three and spaces"][:nargs + 1]
    # rsp % 16 == 0 at entry: argc at rsp, argv at rsp+8
    assert_same(run_native(args, env=env, cwd=ROOT), run_emu(args, env=env, cwd=ROOT), status=0,
                stdout=contains(b"argv%16=8", b"AT_PLATFORM=x86_64"))


def test_static_pie_sample_loads_at_a_base():
    """ET_DYN without PT_INTERP: mapped at a base (Linux's no-ASLR PIE base), runs like native."""
    exe = sample("glibc", "hello_pie")
    data = exe.read_bytes()
    p = loader.plan(str(exe), data)
    assert p.is_dyn and p.interp is None
    assert_same(run_native([exe]), run_emu([exe]), status=0, stdout=bool)


# ----- rejections, differential against the host kernel ---------------------------------------------
def native_exec(path) -> tuple[str, int]:
    """("errno", E) if execve fails, ("signal", S) if the new process dies by S, ("exit", status)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            os.set_inheritable(w, False)
            os.execv(path, [path])
        except OSError as exc:
            os.write(w, str(exc.errno).encode())
        os._exit(255)
    os.close(w)
    err = os.read(r, 100)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if err:
        return "errno", int(err)
    code = os.waitstatus_to_exitcode(status)
    return ("signal", -code) if code < 0 else ("exit", code)


def _load(data: bytes) -> list[int]:
    """Offsets of the PT_LOAD program headers."""
    phoff, phnum = struct.unpack_from("<Q", data, 32)[0], struct.unpack_from("<H", data, 56)[0]
    return [phoff + 56 * i for i in range(phnum) if struct.unpack_from("<I", data, phoff + 56 * i)[0] == 1]


def _patch(fmt: str, off: int, value: int):
    def f(b: bytearray):
        struct.pack_into(fmt, b, off, value)
    return f


def _ph(index: int, field: int, value):
    """Set a field of the index-th PT_LOAD: 8=p_offset 16=p_vaddr 32=p_filesz 40=p_memsz."""
    def f(b: bytearray):
        off = _load(bytes(b))[index] + field
        struct.pack_into("<Q", b, off, value(b, off) if callable(value) else value)
    return f


MUTATIONS = {
    "empty": (lambda b: b.clear(), ("errno", errno.ENOEXEC)),
    "magic": (lambda b: b.__setitem__(1, ord("X")), ("errno", errno.ENOEXEC)),
    "truncated_header": (lambda b: b.__delitem__(slice(40, None)), ("errno", errno.ENOEXEC)),
    "truncated_phdrs": (lambda b: b.__delitem__(slice(64 + 20, None)), ("errno", errno.ENOEXEC)),
    "truncated_half": (lambda b: b.__delitem__(slice(len(b) // 2, None)), ("signal", signal.SIGSEGV)),
    "class32_runs": (lambda b: b.__setitem__(4, 1), ("exit", 0)),
    "bigendian_runs": (lambda b: b.__setitem__(5, 2), ("exit", 0)),
    "machine_i386": (_patch("<H", 18, 3), ("errno", errno.ENOEXEC)),
    "machine_aarch64": (_patch("<H", 18, 183), ("errno", errno.ENOEXEC)),
    "type_rel": (_patch("<H", 16, 1), ("errno", errno.ENOEXEC)),
    "type_core": (_patch("<H", 16, 4), ("errno", errno.ENOEXEC)),
    "phoff_outside": (_patch("<Q", 32, 0x7FFF_FFFF), ("errno", errno.ENOEXEC)),
    "phnum_zero": (_patch("<H", 56, 0), ("errno", errno.ENOEXEC)),
    "phnum_huge": (_patch("<H", 56, 0xFFFF), ("errno", errno.ENOEXEC)),
    "phentsize": (_patch("<H", 54, 32), ("errno", errno.ENOEXEC)),
    "filesz_gt_memsz": (_ph(0, 32, lambda b, o: struct.unpack_from("<Q", b, o + 8)[0] + 0x1000),
                        ("signal", signal.SIGSEGV)),
    "memsz_huge": (_ph(0, 40, 0x7FFF_FFFF_F000), ("signal", signal.SIGSEGV)),
    "memsz_wraps": (_ph(1, 40, 0xFFFF_FFFF_FFFF_F000), ("signal", signal.SIGSEGV)),
    "vaddr_top": (_ph(0, 16, 0x7FFF_FFFF_F000), ("signal", signal.SIGSEGV)),
    "misaligned": (_ph(0, 8, 0x123), ("signal", signal.SIGSEGV)),
    "offset_past_eof": (_ph(0, 8, 0x1000_0000), ("signal", signal.SIGBUS)),
    # Within the address space, but more than Linux commits (RAM + swap): ENOMEM past the point
    # of no return. The bss once ended elfemu in a Python traceback (a host mmap's OSError).
    "last_memsz_huge": (_ph(-1, 40, 0x6FFF_0000_0000), ("signal", signal.SIGSEGV)),
    "last_filesz_memsz_huge": (lambda b: (_ph(-1, 32, 0x6FFF_0000_0000)(b), _ph(-1, 40, 0x6FFF_0000_0000)(b)),
                               ("signal", signal.SIGSEGV)),
    "last_memsz_reaches_stack": (_ph(-1, 40, lambda b, o: 0x7FFF_FFFF_0000 - struct.unpack_from("<Q", b, o - 24)[0]),
                                 ("signal", signal.SIGSEGV)),
    "second_over_first": (lambda b: [_ph(1, f, struct.unpack_from("<Q", b, _load(bytes(b))[0] + 16)[0])(b)
                                     for f in (16, 24)], ("signal", signal.SIGSEGV)),  # p_vaddr, p_paddr
}


@pytest.fixture(scope="module")
def static_hello():
    return sample("glibc", "hello")


def mutant(base, directory, name: str):
    """`base` with MUTATIONS[name] applied, as an executable file named `name` in `directory`."""
    data = bytearray(base.read_bytes())
    MUTATIONS[name][0](data)
    path = directory / name
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_rejection_matches_linux(static_hello, tmp_path, name):
    expected = MUTATIONS[name][1]
    path = mutant(static_hello, tmp_path, name)
    assert native_exec(str(path)) == expected  # pins what the host kernel does
    emu = run_emu([path])
    assert b"Traceback" not in emu.stderr
    kind, value = expected
    if kind == "errno":
        assert emu.returncode == (127 if value == errno.ENOENT else 126)
        assert re.fullmatch(rb"elfemu: [^\n]*: [^\n]+\n", emu.stderr), emu.stderr
    elif kind == "signal":
        assert emu.returncode == -value, emu.stderr
    else:
        assert emu.returncode == value, emu.stderr


@pytest.fixture(scope="module")
def exec_report(build):
    return build(ROOT / "tests" / "progs" / "exec_report.c")


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_rejection_through_execve_matches_linux(static_hello, exec_report, tmp_path, name):
    """The same files reached through a guest's execve: its errno, or the signal that kills it."""
    expected = MUTATIONS[name][1]
    path = mutant(static_hello, tmp_path, name)
    native, emu = run_native([exec_report, path]), run_emu([exec_report, path])
    kind, value = expected
    if kind == "errno":  # pins what the host kernel does
        assert (native.returncode, native.stdout) == (3, f"execve failed: errno {value}\n".encode())
    elif kind == "signal":
        assert native.returncode == -value
    assert b"Traceback" not in emu.stderr, emu.stderr.decode(errors="replace")
    assert (emu.returncode, emu.stdout) == (native.returncode, native.stdout), emu.stderr


def test_execve_past_point_of_no_return_traces_like_strace(static_hello, exec_report, tmp_path):
    """strace shows execve's errno, then the SIGSEGV that kills the process (bprm_execve's
    force_fatal_sig); elfemu's trace ends the same way."""
    mutant(static_hello, tmp_path, "last_memsz_huge")
    prog = "./last_memsz_huge"
    native = run_native([need_tool("strace"), "-o", tmp_path / "native", exec_report, prog], cwd=tmp_path)
    emu = run_emu([exec_report, prog], command="trace", options=["-o", str(tmp_path / "emu")], cwd=tmp_path)
    assert native.returncode == emu.returncode == -signal.SIGSEGV, emu.stderr

    def tail(name: str) -> list[str]:
        lines = (tmp_path / name).read_text().splitlines()[-3:]
        # envp: a stack address, and under pytest strace's child sees COLUMNS and LINES besides
        return [re.sub(r"0x[0-9a-f]+ /\* \d+ vars \*/", "ENVP", line) for line in lines]

    native_tail = tail("native")
    assert native_tail == [f'execve("{prog}", ["{prog}"], ENVP) = -1 ENOMEM (Cannot allocate memory)',
                           "--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL} ---",
                           "+++ killed by SIGSEGV +++"]
    assert tail("emu") == native_tail


def test_build_errors(static_hello, tmp_path):
    """exec.build's one error type: the errno execve returns, and the signal only past the
    point of no return (whatever failed underneath: a header, a segment, the host's memory)."""
    good = static_hello.read_bytes()
    cases = [
        (b"", errno.ENOEXEC, 0),
        (good[:100], errno.ENOEXEC, 0),
        (good[:16] + struct.pack("<H", 1) + good[18:], errno.ENOEXEC, 0),
    ]
    b = bytearray(good)
    _ph(0, 32, lambda b, o: struct.unpack_from("<Q", b, o + 8)[0] + 1)(b)
    cases.append((bytes(b), errno.EINVAL, signal.SIGSEGV))
    b = bytearray(good)
    _ph(-1, 40, 0x6FFF_0000_0000)(b)
    cases.append((bytes(b), errno.ENOMEM, signal.SIGSEGV))
    path = tmp_path / "prog"
    for data, err, signo in cases:
        path.write_bytes(data)
        path.chmod(0o755)
        with pytest.raises(ExecError) as info:
            exec_.build(str(path), [b"prog"], [])
        assert (info.value.errno, info.value.signo) == (err, signo)


def test_bad_interpreter_errnos(tmp_path, exec_report):
    """A PT_INTERP that is no ELF file: EIO when shorter than an ELF header, else ELIBBAD, both
    before the point of no return (load_elf_binary's checks of the interpreter)."""
    src = tmp_path / "dyn.c"
    src.write_text("int main(void){return 0;}\n")
    for name, content, err in (("short", b"hello\n", errno.EIO), ("junk", bytes(range(256)) * 20, errno.ELIBBAD)):
        interp = tmp_path / name
        interp.write_bytes(content)
        interp.chmod(0o755)
        exe = tmp_path / f"dyn_{name}"
        subprocess.run([need_tool("gcc"), "-o", exe, src, f"-Wl,--dynamic-linker={interp}"], check=True)
        native, emu = run_native([exec_report, exe]), run_emu([exec_report, exe])
        assert (native.returncode, native.stdout) == (3, f"execve failed: errno {err}\n".encode())
        assert (emu.returncode, emu.stdout) == (native.returncode, native.stdout), emu.stderr


def test_bad_interp_is_enoent(build):
    """A PT_INTERP naming a missing file: execve says ENOENT, elfemu exits 127."""
    exe = build("int main(void){return 0;}\n", "gcc", "-Wl,--dynamic-linker=/nonexistent/ld.so", link="dynamic")
    assert native_exec(str(exe)) == ("errno", errno.ENOENT)
    emu = run_emu([exe])
    assert emu.returncode == 127 and emu.stderr.startswith(b"elfemu: "), emu.stderr


# ----- fuzz: mutated real ELF files never give a traceback ------------------------------------------
FUZZ_BASES = {"hello178": HELLO178, "glibc_hello": ROOT / "samples" / "build" / "glibc" / "hello"}


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(base=st.sampled_from(sorted(FUZZ_BASES)),
       flips=st.lists(st.tuples(st.integers(0, 64 + 56 * 12 - 1), st.integers(0, 255)), max_size=6),
       cut=st.one_of(st.none(), st.integers(0, 4096), st.floats(0.0, 1.0)))
def test_fuzz_never_traceback(tmp_path_factory, base, flips, cut):
    data = bytearray(FUZZ_BASES[base].read_bytes())
    for off, val in flips:
        if off < len(data):
            data[off] = val
    if isinstance(cut, int):
        del data[cut:]
    elif isinstance(cut, float):
        del data[int(len(data) * cut):]
    path = tmp_path_factory.mktemp("fuzz") / "prog"
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    try:
        emu = run_emu([path], timeout=5, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return  # a mutated program may loop forever, natively too
    assert b"Traceback" not in emu.stderr, emu.stderr.decode(errors="replace")
    own = [ln for ln in emu.stderr.splitlines() if ln.startswith(b"elfemu: ") and b"unimplemented" not in ln]
    if emu.returncode in (126, 127) and own:
        assert len(own) == 1 and re.fullmatch(rb"elfemu: .*: .+", own[0])
    else:
        assert emu.returncode < 0 or 0 <= emu.returncode <= 255
