"""ELF file -> LoadPlan (frozen records) -> mapped image + System V initial stack.

pyelftools' dict-style view stays inside this module: plan() validates the file the way
Linux's execve (fs/binfmt_elf.c) does and returns plain immutable records (named tuples:
as readable as frozen dataclasses, without @dataclass's start-up cost); map_image() and
build_stack() only ever see those.
"""

import errno
import os
import struct
from collections import namedtuple

from elftools.elf.structs import ELFStructs

from emulator.abi.constants import TASK_SIZE as STACK_TOP
from emulator.errors import ExecError
from emulator.machine.hostpages import commit_refused
from emulator.machine.memory import MMAP_TOP, PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, TASK_SIZE, page_down, page_up

PT_LOAD, PT_INTERP, PT_PHDR, PT_GNU_STACK = 1, 3, 6, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
PIE_BASE = 0x5555_5555_4000  # where Linux (without ASLR) puts ET_DYN executables
INTERP_BASE = 0x7FFF_F7FC_3000  # where the dynamic loader goes, below the mmap area top
STACK_SIZE = 8 << 20  # RLIMIT_STACK's default: how far the stack may grow
STACK_EXPAND = 128 << 10  # room Linux gives the initial stack below the argument strings
STACK_MAX = 120 << 20  # the stack may not reach down into the mmap area (MMAP_TOP)
HWCAP = 0x178BFBFF  # CPUID.1:EDX of a baseline x86-64

AT = dict(AT_NULL=0, AT_PHDR=3, AT_PHENT=4, AT_PHNUM=5, AT_PAGESZ=6, AT_BASE=7, AT_FLAGS=8,
          AT_ENTRY=9, AT_UID=11, AT_EUID=12, AT_GID=13, AT_EGID=14, AT_PLATFORM=15, AT_HWCAP=16,
          AT_CLKTCK=17, AT_SECURE=23, AT_RANDOM=25, AT_HWCAP2=26, AT_EXECFN=31, AT_SYSINFO_EHDR=33,
          AT_MINSIGSTKSZ=51)


class Segment(namedtuple("Segment", "vaddr memsz offset filesz prot")):
    """One PT_LOAD: file bytes [offset, offset+filesz) at vaddr, zero-filled up to memsz."""

    __slots__ = ()


class LoadPlan(namedtuple("LoadPlan",
                          "path is_dyn entry phoff phentsize phnum segments interp exec_stack phdr_vaddr defect")):
    """Everything execve needs to know about one ELF file, checked and ready to map.

    is_dyn: ET_DYN (position independent, mapped at a chosen base); segments: a tuple of
    Segment; interp: PT_INTERP's path or None; phdr_vaddr: from PT_PHDR, else derived from
    the segment holding e_phoff, else None; defect: what Linux finds wrong with a PT_LOAD only
    when it maps it, past execve's point of no return (map_image fails with it), else None."""

    __slots__ = ()


class Image(namedtuple("Image", "plan base entry phdr end")):
    """A plan mapped at a base: the addresses the auxv and the brk need. base is the load bias
    (0 for ET_EXEC); end is the page-aligned end of the highest segment, where the brk starts."""

    __slots__ = ()


def _prot(flags: int) -> int:
    return ((PROT_READ if flags & PF_R else 0) | (PROT_WRITE if flags & PF_W else 0)
            | (PROT_EXEC if flags & PF_X else 0))


def _structs(e_type=None, e_machine=None):
    """pyelftools' 64-bit little-endian layouts. Like binfmt_elf we do not trust e_ident's
    class/data bytes: only e_machine, e_type and e_phentsize decide (Linux runs such files)."""
    st = ELFStructs(little_endian=True, elfclass=64)
    st.create_basic_structs()
    if e_type is not None:
        st.create_advanced_structs(e_type, e_machine, "ELFOSABI_SYSV")
    return st


def plan(path: str, data: bytes, interpreter: bool = False) -> LoadPlan:
    """Validate an ELF image like binfmt_elf and describe how to load it; ExecError otherwise.

    Only what Linux rejects before execve's point of no return raises here (ENOEXEC, EIO). What it
    finds only while mapping (filesz > memsz, segments beyond the address space, misaligned
    offsets) is the plan's `defect`: map_image, which runs past that point, fails with it.
    interpreter: the file is a PT_INTERP, checked as load_elf_binary checks one: a short header
    is EIO (elf_read), anything else wrong with it ELIBBAD, and its type only when it is mapped."""

    def bad(why: str, err: int = errno.ENOEXEC) -> ExecError:
        if interpreter:
            err = errno.EIO if len(data) < 64 else errno.ELIBBAD
        return ExecError(err, path, why)

    defect = None
    if len(data) < 64 or data[:4] != b"\x7fELF":
        raise bad("not an ELF file" if data[:4] != b"\x7fELF" else "truncated ELF header")
    try:
        hdr = _structs().Elf_Ehdr.parse(data[:64])
        if hdr["e_type"] not in ("ET_EXEC", "ET_DYN"):
            if not interpreter:
                raise bad(f"not an executable ({hdr['e_type']})")
            defect = f"interpreter is not an executable ({hdr['e_type']})"
        if hdr["e_machine"] != "EM_X86_64":
            raise bad(f"wrong machine {hdr['e_machine']}")
        if hdr["e_phentsize"] != 56 or not 1 <= hdr["e_phnum"] <= 65536 // 56:
            raise bad("bad program header table")
        phoff = hdr["e_phoff"]
        if phoff + hdr["e_phnum"] * 56 > len(data):
            raise bad("program headers outside the file")
        st = _structs(hdr["e_type"], hdr["e_machine"])
        phdrs = [st.Elf_Phdr.parse(data[phoff + 56 * i:phoff + 56 * (i + 1)]) for i in range(hdr["e_phnum"])]
    except ExecError:
        raise
    except Exception as exc:  # pyelftools/construct's many parse errors: all mean "malformed"
        raise bad(f"malformed ELF ({type(exc).__name__})") from None

    segments, interp, exec_stack, phdr_vaddr = [], None, False, None
    for ph in phdrs:
        ptype = ph["p_type"]
        if ptype == "PT_INTERP" and not interpreter:  # an interpreter's own is not read
            off, size = ph["p_offset"], ph["p_filesz"]
            if interp is not None or size < 2 or size > 4096:
                raise bad("bad PT_INTERP")
            if off + size > len(data):
                raise bad("PT_INTERP outside the file", errno.EIO)
            raw = data[off:off + size]
            if raw[-1:] != b"\0":
                raise bad("bad PT_INTERP")
            interp = raw[:-1].split(b"\0")[0].decode("latin-1")
        elif ptype == "PT_GNU_STACK":
            exec_stack = bool(ph["p_flags"] & PF_X)
        elif ptype == "PT_PHDR":
            phdr_vaddr = ph["p_vaddr"]
    for ph in phdrs:
        if ph["p_type"] != "PT_LOAD":
            continue
        vaddr, memsz, off, filesz = ph["p_vaddr"], ph["p_memsz"], ph["p_offset"], ph["p_filesz"]
        if defect is None and (vaddr - off) % PAGE:
            defect = "misaligned segment"
        elif defect is None and filesz > memsz:
            defect = "segment file size exceeds its memory size"
        elif defect is None and (memsz > TASK_SIZE or vaddr + memsz > TASK_SIZE):
            defect = "segment beyond the user address space"
        if memsz:
            segments.append(Segment(vaddr, memsz, off, filesz, _prot(ph["p_flags"])))
    if not segments:
        raise bad("no loadable segments")
    if phdr_vaddr is None:
        for s in segments:
            if s.offset <= phoff < s.offset + s.filesz:
                phdr_vaddr = s.vaddr + phoff - s.offset
    # Segments stay in file order: Linux maps them in that order, a later one over an earlier.
    return LoadPlan(path, hdr["e_type"] == "ET_DYN", hdr["e_entry"], phoff, 56,
                    hdr["e_phnum"], tuple(segments), interp, exec_stack, phdr_vaddr, defect)


def map_image(aspace, plan_: LoadPlan, data: bytes, base: int, inode: int = 0, dev: str = "00:00") -> Image:
    """Map each PT_LOAD with its permissions as elf_load does (fs/binfmt_elf.c): the file's pages
    (named by the path, as /proc/self/maps shows them), the bss tail of the last file page
    zeroed, then anonymous pages up to memsz. File pages past the end of a truncated file raise
    SIGBUS when touched, as on Linux; a writable bss that would need zeroing there fails (EFAULT,
    as padzero's clear_user). Memory Linux would not commit is ENOMEM: the file pages of a
    writable segment (a private writable mmap) and any bss (vm_brk_flags always accounts it).
    ExecError (or the memory layer's OSError) when a segment cannot be mapped: the caller is past
    execve's point of no return (exec.build)."""
    if plan_.defect is not None:
        raise ExecError(errno.EINVAL, plan_.path, plan_.defect)
    low = min(page_down(s.vaddr) for s in plan_.segments)
    high = max(s.vaddr + s.memsz for s in plan_.segments)
    bias = base - low if plan_.is_dyn else 0
    if bias + high > TASK_SIZE:
        raise ExecError(errno.ENOMEM, plan_.path, "image does not fit in the address space")
    eof = page_up(len(data))
    for s in plan_.segments:
        start = page_down(bias + s.vaddr)
        file_end = bias + s.vaddr + s.filesz
        fend = page_up(file_end) if s.filesz else start
        end = page_up(bias + s.vaddr + s.memsz)
        if (s.prot & PROT_WRITE and commit_refused(fend - start)) or commit_refused(end - fend):
            raise ExecError(errno.ENOMEM, plan_.path, "more memory than the host commits")
        if fend > start:
            foff = page_down(s.offset)
            valid = min(fend, start + max(0, eof - foff))  # pages the file really has
            if valid > start:
                aspace.map(start, valid - start, s.prot, plan_.path, offset=foff, inode=inode, dev=dev)
                aspace.poke(start, data[foff:foff + (valid - start)])
            zero_tail = s.memsz > s.filesz and file_end % PAGE  # padzero's part of the last file page
            if valid < fend:
                if zero_tail and page_down(file_end) >= valid:
                    if s.prot & PROT_WRITE:  # padzero faults; Linux ignores it for a read-only segment
                        raise ExecError(errno.EFAULT, plan_.path, "bss starts past the end of the file")
                    zero_tail = False
                aspace.map(valid, fend - valid, s.prot, plan_.path, offset=foff + valid - start, inode=inode,
                           dev=dev, sigbus=True)
            if zero_tail:
                aspace.poke(file_end, bytes(fend - file_end))
        if end > fend:
            aspace.map(fend, end - fend, s.prot)
    phdr = bias + plan_.phdr_vaddr if plan_.phdr_vaddr is not None else 0
    return Image(plan_, bias, bias + plan_.entry, phdr, page_up(bias + high))


def build_stack(aspace, exe: Image, interp: Image | None, argv: list[bytes], envp: list[bytes],
                execfn: bytes, random16: bytes, ids: tuple[int, int, int, int], vdso: int = 0,
                stack_limit: int = STACK_SIZE) -> int:
    """Lay out the System V initial stack exactly as Linux's create_elf_tables does; returns rsp.
    vdso: the [vdso] address (AT_SYSINFO_EHDR, first as ARCH_DLINFO puts it), 0 for none;
    stack_limit: RLIMIT_STACK's soft limit, how far the stack may grow."""
    prot = PROT_READ | PROT_WRITE | (PROT_EXEC if exe.plan.exec_stack else 0)
    # Like setup_arg_pages: the strings' pages plus 128 KiB are the stack vma. Below it, up to
    # RLIMIT_STACK, a reserve is mapped too, so growing needs no fault handling; /proc/self/maps
    # shows the part of it the guest has touched as stack (AddressSpace.merged).
    strings = 8 + sum(len(x) + 1 for x in [execfn, *envp, *argv])
    low = page_down(STACK_TOP - strings) - STACK_EXPAND
    bottom = max(STACK_TOP - min(stack_limit, STACK_MAX), MMAP_TOP + PAGE)
    aspace.map(low, STACK_TOP - low, prot, "[stack]")
    if bottom < low:
        aspace.map(bottom, low - bottom, prot, "[stack]", growsdown=True)
    blob = bytearray()
    sp = STACK_TOP - 8  # Linux leaves one NULL word at the very top

    def push_bytes(b: bytes) -> int:
        nonlocal sp
        sp -= len(b)
        blob[:0] = b
        return sp

    execfn_at = push_bytes(execfn + b"\0")
    env_at = [push_bytes(e + b"\0") for e in reversed(envp)][::-1]
    arg_at = [push_bytes(a + b"\0") for a in reversed(argv)][::-1]
    aspace.poke(sp, bytes(blob) + bytes(8))
    sp &= ~0xF
    platform_at = sp = sp - 16
    aspace.poke(platform_at, b"x86_64\0".ljust(16, b"\0"))
    random_at = sp = sp - 16
    aspace.poke(random_at, random16)
    uid, euid, gid, egid = ids
    auxv = [("AT_SYSINFO_EHDR", vdso)] if vdso else []
    auxv += [
        ("AT_HWCAP", HWCAP), ("AT_PAGESZ", PAGE), ("AT_CLKTCK", os.sysconf("SC_CLK_TCK")),
        ("AT_PHDR", exe.phdr), ("AT_PHENT", exe.plan.phentsize), ("AT_PHNUM", exe.plan.phnum),
        ("AT_BASE", interp.base if interp else 0), ("AT_FLAGS", 0), ("AT_ENTRY", exe.entry),
        ("AT_UID", uid), ("AT_EUID", euid), ("AT_GID", gid), ("AT_EGID", egid),
        ("AT_SECURE", 0), ("AT_RANDOM", random_at), ("AT_HWCAP2", 0x2), ("AT_EXECFN", execfn_at),
        ("AT_PLATFORM", platform_at), ("AT_MINSIGSTKSZ", 3632), ("AT_NULL", 0),
    ]
    words = [len(argv), *arg_at, 0, *env_at, 0]
    for key, val in auxv:
        words += [AT[key], val]
    sp -= 8 * len(words)
    sp &= ~0xF  # argc sits on a 16-byte boundary at process entry
    aspace.poke(sp, struct.pack(f"<{len(words)}Q", *words))
    return sp


def auxv_bytes(aspace, rsp: int) -> bytes:
    """The auxv as /proc/self/auxv and gdb's qXfer:auxv:read see it, read back from the stack."""
    argc = aspace.read_u64(rsp)
    pos = rsp + 8 * (argc + 2)
    while aspace.read_u64(pos):
        pos += 8
    pos += 8
    start = pos
    while aspace.read_u64(pos):
        pos += 16
    return aspace.read(start, pos + 16 - start)
