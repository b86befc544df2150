"""execve's loading half: resolve a program (ELF or #! script) and build a fresh image.

Everything is built into a new Unicorn instance first; the caller commits it only when
nothing failed, as xv6's exec.c does, so the old image is untouched until then.

build() has Linux's two halves (fs/exec.c, fs/binfmt_elf.c load_elf_binary). First everything
execve may still refuse: the file, #!, the argument size, the ELF headers and the interpreter's.
A failure there is an ExecError carrying the errno execve returns. Then the point of no return
(begin_new_exec), after which Linux has thrown the old image away: mapping the segments, the
interpreter, the vDSO and the stack. A failure there is an ExecError with signo=SIGSEGV: execve
still returns its errno (strace shows it), but the process dies by SIGSEGV (bprm_execve's
force_fatal_sig). Every failure is an ExecError, and both callers (emulator/guest.py for the
first program, syscalls/handlers/lifecycle.py for a guest's execve) act on those two fields.
"""

import errno
import os
import signal
import stat

from emulator.errors import ExecError, GuestFault
from emulator.image import loader, vdso
from emulator.machine.cpu import Cpu
from emulator.machine.memory import AddressSpace
from emulator.machine.unicorn_ffi import UC, Uc, UcError

BINPRM_BUF_SIZE = 256  # Linux reads this much of a #! line
MAX_ARG_STRLEN = 32 * 4096
MAX_SHEBANG_DEPTH = 4


class NewImage:
    """A fully built, not yet committed process image. exe is the ELF file's absolute path
    (what /proc/self/exe shows). A plain class: @dataclass costs start-up time."""

    __slots__ = ("uc", "cpu", "mem", "exe", "argv", "entry", "rsp", "brk", "image")

    def __init__(self, uc: Uc, cpu: Cpu, mem: AddressSpace, exe: str, argv: list[bytes], entry: int, rsp: int,
                 brk: int, image: loader.Image):
        self.uc, self.cpu, self.mem, self.exe, self.argv = uc, cpu, mem, exe, argv
        self.entry, self.rsp, self.brk, self.image = entry, rsp, brk, image


def _read_program(path: str) -> tuple[bytes, os.stat_result]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ExecError(errno.ENOENT, path) from None
    except NotADirectoryError:
        raise ExecError(errno.ENOTDIR, path) from None
    except OSError as exc:
        raise ExecError(exc.errno or errno.EACCES, path) from None
    if not stat.S_ISREG(st.st_mode):
        raise ExecError(errno.EACCES, path, "not a regular file")
    if not os.access(path, os.X_OK):
        raise ExecError(errno.EACCES, path)
    try:
        with open(path, "rb") as f:
            return f.read(), st
    except OSError as exc:
        raise ExecError(exc.errno or errno.EACCES, path) from None


def parse_shebang(data: bytes) -> tuple[bytes, bytes | None] | None:
    """`#!A B C` -> (b"A", b"B C"): one interpreter and at most one (unsplit) argument."""
    if not data.startswith(b"#!"):
        return None
    line = data[2:BINPRM_BUF_SIZE].split(b"\n", 1)[0].strip(b" \t")
    if not line:
        return None
    parts = line.replace(b"\t", b" ").split(b" ", 1)
    interp = parts[0]
    arg = parts[1].strip(b" \t") if len(parts) > 1 else b""
    return interp, (arg or None)


# Unicorn's TLB mode: "virtual" skips the emulated page-table walk (there is no guest
# kernel), which `make bench` measures against "cpu", the default. ELFEMU_TLB overrides.
TLB_MODES = {"cpu": UC.UC_TLB_CPU, "virtual": UC.UC_TLB_VIRTUAL}
DEFAULT_TLB = "virtual"


def new_uc() -> Uc:
    uc = Uc()
    uc.ctl_set_tlb_mode(TLB_MODES[os.environ.get("ELFEMU_TLB", DEFAULT_TLB)])
    return uc


def build(path: str, argv: list[bytes], envp: list[bytes], stack_limit: int = loader.STACK_SIZE) -> NewImage:
    """Load `path` (following #! as Linux does) into a fresh Unicorn, its stack allowed to grow to
    stack_limit (RLIMIT_STACK); ExecError on any failure (signo set past the point of no return)."""
    path, argv, data, st = _follow_shebangs(path, argv)
    if sum(len(a) + 1 for a in argv + envp) > 2 * 1024 * 1024 or any(len(a) >= MAX_ARG_STRLEN for a in argv + envp):
        raise ExecError(errno.E2BIG, path)
    program = _Program(loader.plan(path, data), data, st)
    interp = None
    if program.plan.interp:
        idata, ist = _read_program(program.plan.interp)
        interp = _Program(loader.plan(program.plan.interp, idata, interpreter=True), idata, ist)
    # ----- the point of no return: from here on a failure kills the process -------------------
    try:
        return _map(path, argv, envp, stack_limit, program, interp)
    except ExecError as exc:
        raise ExecError(exc.errno, exc.path, exc.why, signo=signal.SIGSEGV) from None
    except GuestFault:
        raise ExecError(errno.EFAULT, path, signo=signal.SIGSEGV) from None
    except OSError as exc:  # the host would not give the memory (the memory layer's host mmaps)
        raise ExecError(exc.errno or errno.ENOMEM, path, signo=signal.SIGSEGV) from None
    except UcError:  # Unicorn would not map or allocate
        raise ExecError(errno.ENOMEM, path, signo=signal.SIGSEGV) from None


class _Program:
    """One ELF file about to be mapped: its checked plan, its bytes, its stat."""

    __slots__ = ("plan", "data", "st")

    def __init__(self, plan: loader.LoadPlan, data: bytes, st: os.stat_result):
        self.plan, self.data, self.st = plan._replace(path=os.path.realpath(plan.path)), data, st

    def map(self, mem: AddressSpace, base: int) -> loader.Image:
        """Map it; named in the maps by its real path, with the file's inode and device."""
        dev = f"{os.major(self.st.st_dev):02x}:{os.minor(self.st.st_dev):02x}"
        return loader.map_image(mem, self.plan, self.data, base, inode=self.st.st_ino, dev=dev)


def _follow_shebangs(path: str, argv: list[bytes]) -> tuple[str, list[bytes], bytes, os.stat_result]:
    """The ELF file execve ends up loading, and its argv: `#!A B` runs A with argv A, "B", path, ..."""
    depth = 0
    while True:
        data, st = _read_program(path)
        shebang = parse_shebang(data)
        if shebang is None:
            return path, argv, data, st
        if depth == MAX_SHEBANG_DEPTH:
            raise ExecError(errno.ELOOP, path)
        interp, arg = shebang
        argv = [interp] + ([arg] if arg else []) + [path.encode()] + argv[1:]
        path = os.fsdecode(interp)
        depth += 1


def _map(path: str, argv: list[bytes], envp: list[bytes], stack_limit: int, program: _Program,
         interp: _Program | None) -> NewImage:
    """Past the point of no return: map the program, its interpreter, the vDSO and the stack."""
    uc = new_uc()
    mem = AddressSpace(uc)
    image = program.map(mem, loader.PIE_BASE)
    interp_image = interp.map(mem, loader.INTERP_BASE) if interp is not None else None
    ids = (os.getuid(), os.geteuid(), os.getgid(), os.getegid())
    vdso_at = vdso.install(mem)  # after the interpreter: Linux maps it top-down below ld.so
    rsp = loader.build_stack(mem, image, interp_image, argv, envp, path.encode(), os.urandom(16), ids, vdso_at,
                             stack_limit)
    entry = interp_image.entry if interp_image is not None else image.entry
    # exe: what /proc/self/exe and the maps show, symlinks resolved
    return NewImage(uc, Cpu(uc), mem, program.plan.path, argv, entry, rsp, image.end, image)


def retire(uc: Uc) -> None:
    """Free a replaced image now: drop the hook closures that tie the old Unicorn into
    reference cycles, so its memory goes without waiting for the GC."""
    uc.drop_hooks()
