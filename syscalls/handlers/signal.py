"""Signal syscalls: actions, masks, sending, waiting, the alternate stack, timers.

The state lives in emulator/task/signals.py (SignalState, p.sig; waiting for a signal is
emulator/task/hostsignals.py's, p.host_signals); these handlers only read and
write the Linux structs (kernel struct sigaction, 8-byte sigset, stack_t, itimerval) and
pass real cross-process work (kill of another pid, timers) to the host kernel.
"""

import errno
import os
import signal as host
import struct
import sys

from emulator.abi.constants import SI_TKILL, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGSET_SIZE
from emulator.abi.syscall_numbers import NR
from emulator.errors import SyscallError
from emulator.machine.libc import host as host_syscall
from emulator.task import signals as S
from emulator.task.sigframe import pack_siginfo
from syscalls.handlers import threadcalls

ITIMERS = {0: host.ITIMER_REAL, 1: host.ITIMER_VIRTUAL, 2: host.ITIMER_PROF}


def _check_sig(sig: int, allow_zero: bool = False) -> None:
    if not (0 if allow_zero else 1) <= sig <= S.NSIG:
        raise SyscallError(errno.EINVAL)


def rt_sigaction(p, sig, act, oact, sigsetsize):
    if sigsetsize != SIGSET_SIZE:
        raise SyscallError(errno.EINVAL)
    _check_sig(sig)
    old = p.sig.actions[sig]
    if act:
        if sig in (host.SIGKILL, host.SIGSTOP):
            raise SyscallError(errno.EINVAL)
        handler, flags, restorer, mask = struct.unpack("<QQQQ", p.mem.read(act, 32))
        p.sig.set_action(sig, S.Action(handler, flags, restorer, mask & ~S.UNBLOCKABLE))
    if oact:
        p.mem.write(oact, struct.pack("<QQQQ", old.handler, old.flags, old.restorer, old.mask))
    return 0


def rt_sigprocmask(p, how, set_ptr, oset, sigsetsize):
    if sigsetsize != SIGSET_SIZE:
        raise SyscallError(errno.EINVAL)
    old = p.sig.mask
    new = None
    if set_ptr:
        value = p.mem.read_u64(set_ptr)
        if how == SIG_BLOCK:
            new = old | value
        elif how == SIG_UNBLOCK:
            new = old & ~value
        elif how == SIG_SETMASK:
            new = value
        else:
            raise SyscallError(errno.EINVAL)
    if oset:
        p.mem.write_u64(oset, old)
    if new is not None:
        p.sig.set_mask(new)
    return 0


def rt_sigreturn(p):
    return p.sig.sigreturn()


def rt_sigpending(p, set_ptr, sigsetsize):
    if sigsetsize > SIGSET_SIZE:
        raise SyscallError(errno.EINVAL)
    pending = sum(map(S.bit, tuple(p.sig.pending))) & p.sig.mask
    p.mem.write(set_ptr, pending.to_bytes(8, "little")[:sigsetsize])
    return 0


def rt_sigsuspend(p, mask_ptr, sigsetsize):
    if sigsetsize != SIGSET_SIZE:
        raise SyscallError(errno.EINVAL)
    new = p.mem.read_u64(mask_ptr)
    p.sig.saved_mask = p.sig.mask
    p.sig.set_mask(new)
    p.host_signals.interrupt_wait(S.ERESTARTNOHAND)


def pause(p):
    p.host_signals.interrupt_wait(S.ERESTARTNOHAND)


def _timespec(p, addr):
    if not addr:
        return None
    sec, nsec = struct.unpack("<qq", p.mem.read(addr, 16))
    if sec < 0 or not 0 <= nsec < 1_000_000_000:
        raise SyscallError(errno.EINVAL)
    return sec + nsec / 1e9


def rt_sigtimedwait(p, set_ptr, info_ptr, timeout, sigsetsize):
    if sigsetsize != SIGSET_SIZE:
        raise SyscallError(errno.EINVAL)
    want = p.mem.read_u64(set_ptr) & ~S.UNBLOCKABLE
    limit = _timespec(p, timeout)
    st = p.sig

    def waiting():
        return sum(map(S.bit, tuple(st.pending))) & want

    for s in S.IGNORE_DFL:  # make the host queue these while we wait, as a blocked signal would be
        if want & S.bit(s):
            p.host_signals.mirror_wanted(s)
    try:
        p.host_signals.wait(lambda: waiting() or st.deliverable(), limit)
    finally:
        for s in S.IGNORE_DFL:
            p.host_signals.mirror_wanted(s, False)
    ready = waiting()
    if ready:
        signo = (ready & -ready).bit_length()
        info = st.pending.pop(signo)
        st.update()
        if info_ptr:
            p.mem.write(info_ptr, pack_siginfo(info))
        return signo
    if st.deliverable():
        raise SyscallError(errno.EINTR)
    raise SyscallError(errno.EAGAIN)


def sigaltstack(p, ss, old):
    sp = p.cpu["rsp"]
    st = p.sig
    ss_sp, flags, size = st.altstack
    if flags & S.SS_DISABLE:
        old_val = (0, S.SS_DISABLE, 0)
    else:
        old_val = (ss_sp, (S.SS_ONSTACK if st.on_altstack(sp) else 0) | (flags & S.SS_AUTODISARM), size)
    if ss:
        new_sp, new_flags, new_size = struct.unpack("<Qi4xQ", p.mem.read(ss, 24))
        st.set_altstack(new_sp, new_flags & 0xFFFFFFFF, new_size, sp)
    if old:
        p.mem.write(old, struct.pack("<Qi4xQ", old_val[0], S.s32(old_val[1]), old_val[2]))
    return 0


def _self_signal(p, sig: int, code: int) -> None:
    """A signal to our own process: handled entirely inside elfemu, as the kernel would."""
    if sig == 0:
        return
    info = {"si_signo": sig, "si_code": code, "si_pid": os.getpid(), "si_uid": os.getuid()}
    if sig == host.SIGKILL:  # the kernel's job, exactly (no handler can see it)
        if p.tracer is not None:
            p.tracer.killed(p, sig, info)
        sys.stdout.flush()
        os.kill(os.getpid(), sig)
    if sig == host.SIGSTOP:
        p.host_signals.stop_host(sig)
        return
    p.sig.generate(sig, info)


def kill(p, pid, sig):
    _check_sig(sig, allow_zero=True)
    if pid == os.getpid():
        _self_signal(p, sig, S.SI_USER)
        return 0
    os.kill(pid, sig)  # may include ourselves (pid 0, -pgrp): the host handler picks that up
    return 0


def tkill(p, tid, sig):
    _check_sig(sig, allow_zero=True)
    if tid <= 0:
        raise SyscallError(errno.EINVAL)
    task = threadcalls.task_of(p, tid)
    if task is not None:  # one of our threads: thread-directed, its own pending set (do_tkill)
        _self_signal(task, sig, SI_TKILL)
        return 0
    os.kill(tid, sig)
    return 0


def tgkill(p, tgid, tid, sig):
    if tgid <= 0 or tid <= 0:
        raise SyscallError(errno.EINVAL)
    mine = threadcalls.task_of(p, tid) is not None
    if (tgid == os.getpid()) != mine:  # a tid that is not in that thread group
        raise SyscallError(errno.ESRCH)
    if not mine:
        _check_sig(sig, allow_zero=True)
        signal_host_thread(tgid, tid, sig)
        return 0
    return tkill(p, tid, sig)


def signal_host_thread(tgid: int, tid: int, sig: int) -> None:
    """tgkill of another process's thread: the host's tgkill, which Python's os module lacks."""
    host_syscall(NR["tgkill"], tgid, tid, sig)


def alarm(p, seconds):
    return host.alarm(seconds & 0xFFFFFFFF)


def _itimerval(delay: float, interval: float) -> bytes:
    def tv(x):
        us = round(x * 1_000_000)
        return divmod(us, 1_000_000)
    return struct.pack("<qqqq", *tv(interval), *tv(delay))


def setitimer(p, which, new, old):
    if which not in ITIMERS:
        raise SyscallError(errno.EINVAL)
    isec, iusec, vsec, vusec = struct.unpack("<qqqq", p.mem.read(new, 32)) if new else (0, 0, 0, 0)
    if not (0 <= iusec < 1_000_000 and 0 <= vusec < 1_000_000):
        raise SyscallError(errno.EINVAL)
    delay, interval = host.setitimer(ITIMERS[which], vsec + vusec / 1e6, isec + iusec / 1e6)
    if old:
        p.mem.write(old, _itimerval(delay, interval))
    return 0


def getitimer(p, which, cur):
    if which not in ITIMERS:
        raise SyscallError(errno.EINVAL)
    p.mem.write(cur, _itimerval(*host.getitimer(ITIMERS[which])))
    return 0
