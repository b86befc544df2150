"""The Linux x86-64 signal frame, byte for byte: rt_sigframe = pretcode + ucontext + siginfo,
then the FPU state (fxsave layout) above it.

The handler inspects this frame (SA_SIGINFO's ucontext), glibc's siglongjmp ignores it, and
rt_sigreturn restores every register from it, so it must be exactly what Linux builds
(arch/x86/kernel/signal.c: get_sigframe, setup_rt_frame; uapi asm/sigcontext.h).
"""

import struct

from emulator.machine.unicorn_ffi import x86_const as X

# struct rt_sigframe { char *pretcode; struct ucontext uc; struct siginfo info; }
UC_OFF = 8
UC_STACK_OFF = UC_OFF + 16  # uc_flags, uc_link, then stack_t
MCTX_OFF = UC_OFF + 40  # struct sigcontext, 256 bytes
SIGMASK_OFF = MCTX_OFF + 256  # the kernel's 8-byte sigset
INFO_OFF = SIGMASK_OFF + 8  # siginfo, 128 bytes
FRAME_SIZE = INFO_OFF + 128  # 440, as sizeof(struct rt_sigframe) on Linux
FXSAVE_SIZE = 512
REDZONE = 128
UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 0x2, 0x4
USER_CS, USER_SS = 0x33, 0x2B
# EFLAGS bits sigreturn may change (FIX_EFLAGS): AC OF DF TF SF ZF AF PF CF RF
FIX_EFLAGS = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000
EFLAGS_DF, EFLAGS_TF = 0x400, 0x100

# sigcontext order: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags
SC_REGS = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp", "rbx",
           "rdx", "rax", "rcx", "rsp", "rip", "eflags")
SC_IDS = [getattr(X, f"UC_X86_REG_{n.upper()}") for n in SC_REGS]
XMM_IDS = [getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16)]
FP_IDS = [getattr(X, f"UC_X86_REG_FP{i}") for i in range(8)]
M64 = (1 << 64) - 1

# siginfo layouts (asm-generic/siginfo.h): signo, errno, code, pad, then the union at 16.
CLD_SIGNALS = {17}


def pack_siginfo(info: dict) -> bytes:
    """128 bytes of siginfo from the dict the tracer also prints."""
    head = struct.pack("<iii4x", info.get("si_signo", 0), info.get("si_errno", 0), info.get("si_code", 0))
    if "si_addr" in info:
        body = struct.pack("<Q", info["si_addr"] & M64)
    elif "si_status" in info:  # SIGCHLD
        body = struct.pack("<iIi4xqq", info.get("si_pid", 0), info.get("si_uid", 0), info["si_status"],
                           info.get("si_utime", 0), info.get("si_stime", 0))
    elif "si_timerid" in info:
        body = struct.pack("<iiQ", info["si_timerid"], info.get("si_overrun", 0), info.get("si_value", 0))
    else:  # kill, tkill, sigqueue
        body = struct.pack("<iIQ", info.get("si_pid", 0), info.get("si_uid", 0), info.get("si_value", 0))
    return (head + body).ljust(128, b"\0")


# ----- FPU state (fxsave image) -----------------------------------------------------
def save_fpu(uc) -> bytes:
    """The fxsave area Linux puts in the frame, read from Unicorn's x87/SSE registers."""
    rd = uc.reg_read
    fsw = rd(X.UC_X86_REG_FPSW)
    top = (fsw >> 11) & 7
    tag = rd(X.UC_X86_REG_FPTAG)  # Unicorn: 2 bits per physical reg, nonzero = empty
    ftw = 0
    for i in range(8):
        if not (tag >> (2 * i)) & 3:
            ftw |= 1 << i  # abridged tag: 1 = valid
    head = struct.pack("<HHBxHQQII", rd(X.UC_X86_REG_FPCW), fsw, ftw, rd(X.UC_X86_REG_FOP),
                       rd(X.UC_X86_REG_FIP), rd(X.UC_X86_REG_FDP), rd(X.UC_X86_REG_MXCSR), 0xFFFF)
    st = b""
    for i in range(8):
        mant, exp = rd(FP_IDS[(top + i) & 7])
        st += struct.pack("<QH6x", mant & M64, exp & 0xFFFF)
    xmm = b"".join(rd(r).to_bytes(16, "little") for r in XMM_IDS)
    return (head + st + xmm).ljust(FXSAVE_SIZE, b"\0")


def restore_fpu(uc, data: bytes) -> None:
    """rt_sigreturn: put the (possibly edited) fxsave image back into the CPU."""
    fcw, fsw, ftw, fop, fip, fdp, mxcsr, _mask = struct.unpack_from("<HHBxHQQII", data, 0)
    wr = uc.reg_write
    wr(X.UC_X86_REG_FPCW, fcw)
    wr(X.UC_X86_REG_FPSW, fsw)
    top = (fsw >> 11) & 7
    for i in range(8):
        mant, exp = struct.unpack_from("<QH", data, 32 + 16 * i)
        wr(FP_IDS[(top + i) & 7], (mant, exp))
    wr(X.UC_X86_REG_FPTAG, sum(1 << (2 * i) for i in range(8) if not ftw >> i & 1))
    wr(X.UC_X86_REG_MXCSR, mxcsr & 0xFFFF)
    for i, r in enumerate(XMM_IDS):
        wr(r, int.from_bytes(data[160 + 16 * i:176 + 16 * i], "little"))


# ----- building and reading frames -----------------------------------------------------
def frame_base(sp: int) -> tuple[int, int]:
    """(frame address, fpstate address) below sp, aligned as Linux aligns them."""
    fpstate = (sp - FXSAVE_SIZE) & ~63
    frame = ((fpstate - FRAME_SIZE) & ~15) - 8  # as at a function's entry: (rsp + 8) % 16 == 0
    return frame, fpstate


def build(uc, mem, sp: int, regs: dict, restorer: int, info: bytes, mask: int,
          altstack: tuple[int, int, int], trapno: int = 0, err: int = 0, cr2: int = 0) -> int:
    """Write one rt_sigframe below sp; returns its address (the handler's rsp).

    regs holds the interrupted context (SC_REGS names; rip is where it resumes).
    """
    frame, fpstate = frame_base(sp)
    ss_sp, ss_flags, ss_size = altstack
    sc = struct.pack("<18Q", *[regs[n] & M64 for n in SC_REGS])
    sc += struct.pack("<HHHH", USER_CS, 0, 0, USER_SS)
    sc += struct.pack("<QQQQQ", err, trapno, mask & M64, cr2, fpstate)
    sc = sc.ljust(256, b"\0")
    uctx = struct.pack("<QQQi4xQ", UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, 0, ss_sp, ss_flags, ss_size)
    body = struct.pack("<Q", restorer) + uctx + sc + struct.pack("<Q", mask & M64) + info
    assert len(body) == FRAME_SIZE
    mem.write(fpstate, save_fpu(uc))
    mem.write(frame, body)
    return frame


def read(mem, frame: int) -> tuple[dict, int, int, tuple[int, int, int]]:
    """The saved context of the frame at `frame`: (regs, mask, fpstate address, uc_stack)."""
    data = mem.read(frame, FRAME_SIZE)
    ss_sp, ss_flags, ss_size = struct.unpack_from("<Qi4xQ", data, UC_STACK_OFF)
    vals = struct.unpack_from("<18Q", data, MCTX_OFF)
    regs = dict(zip(SC_REGS, vals))
    fpstate = struct.unpack_from("<Q", data, MCTX_OFF + 144 + 8 + 32)[0]
    mask = struct.unpack_from("<Q", data, SIGMASK_OFF)[0]
    return regs, mask, fpstate, (ss_sp, ss_flags, ss_size)


def load_regs(uc, regs: dict) -> None:
    """Restore the general registers of a frame (rip is left to the caller)."""
    for name, rid in zip(SC_REGS, SC_IDS):
        if name == "rip":
            continue
        value = regs[name]
        if name == "eflags":
            value = (uc.reg_read(rid) & ~FIX_EFLAGS) | (value & FIX_EFLAGS)
        uc.reg_write(rid, value & M64)


def save_regs(uc) -> dict:
    return {name: uc.reg_read(rid) for name, rid in zip(SC_REGS, SC_IDS)}


def sign64(x: int) -> int:
    x &= M64
    return x - (1 << 64) if x >> 63 else x


def reset_fpu(uc) -> None:
    """A handler starts with a fresh FPU (fpu__clear_user_states): default control words, zero XMM."""
    uc.reg_write(X.UC_X86_REG_FPCW, 0x37F)
    uc.reg_write(X.UC_X86_REG_FPSW, 0)
    uc.reg_write(X.UC_X86_REG_MXCSR, 0x1F80)
    for r in XMM_IDS:
        uc.reg_write(r, 0)
