"""execve's loading half: resolve a program (ELF or #! script) and build a fresh image.

Everything is built into a new Unicorn instance first; the caller commits it only when
nothing failed, as xv6's exec.c does, so a failing execve leaves the old image untouched.
"""

import errno
import os
import stat

from emulator.errors import ExecError
from emulator.image import loader, vdso
from emulator.machine.cpu import Cpu
from emulator.machine.memory import AddressSpace
from emulator.machine.unicorn_ffi import UC, Uc

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


def build(path: str, argv: list[bytes], envp: list[bytes], stack_limit: int = loader.STACK_SIZE,
          depth: int = 0) -> NewImage:
    """Load `path` (following #! as Linux does) into a fresh Unicorn, its stack allowed to grow to
    stack_limit (RLIMIT_STACK); ExecError on failure."""
    data, st = _read_program(path)
    shebang = parse_shebang(data)
    if shebang is not None:
        if depth >= MAX_SHEBANG_DEPTH:
            raise ExecError(errno.ELOOP, path)
        interp, arg = shebang
        new_argv = [interp] + ([arg] if arg else []) + [path.encode()] + argv[1:]
        return build(os.fsdecode(interp), new_argv, envp, stack_limit, depth + 1)
    if sum(len(a) + 1 for a in argv + envp) > 2 * 1024 * 1024 or any(len(a) >= MAX_ARG_STRLEN for a in argv + envp):
        raise ExecError(errno.E2BIG, path)
    plan = loader.plan(path, data)
    uc = new_uc()
    mem = AddressSpace(uc)
    exe = os.path.realpath(path)  # what /proc/self/exe and the maps show: symlinks resolved
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}"
    plan = _with_path(plan, exe)
    image = loader.map_image(mem, plan, data, loader.PIE_BASE, inode=st.st_ino, dev=dev)
    interp_image = None
    entry = image.entry
    if plan.interp:
        idata, ist = _read_program(plan.interp)
        iplan = _with_path(loader.plan(plan.interp, idata), os.path.realpath(plan.interp))
        idev = f"{os.major(ist.st_dev):02x}:{os.minor(ist.st_dev):02x}"
        interp_image = loader.map_image(mem, iplan, idata, loader.INTERP_BASE, inode=ist.st_ino, dev=idev)
        entry = interp_image.entry
    ids = (os.getuid(), os.geteuid(), os.getgid(), os.getegid())
    vdso_at = vdso.install(mem)  # after the interpreter: Linux maps it top-down below ld.so
    rsp = loader.build_stack(mem, image, interp_image, argv, envp, path.encode(), os.urandom(16), ids, vdso_at,
                             stack_limit)
    return NewImage(uc, Cpu(uc), mem, exe, argv, entry, rsp, image.end, image)


def retire(uc: Uc) -> None:
    """Free a replaced image now: drop the hook closures that tie the old Unicorn into
    reference cycles, so its memory goes without waiting for the GC."""
    uc.drop_hooks()


def _with_path(plan: loader.LoadPlan, path: str) -> loader.LoadPlan:
    return plan._replace(path=path)
