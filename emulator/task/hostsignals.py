"""How host signals reach the guest, and how a guest signal interrupts a blocking host call.

elfemu is the guest's host process, so what the kernel sends the guest -- Ctrl-C, a kill from
another process, SIGCHLD, SIGALRM from a timer, SIGPIPE -- arrives at elfemu. This module
- gives each signal the host disposition that makes the host kernel act as the guest's would
  (mirror: SIG_IGN stays in the kernel, a caught or fatal one gets Python's handler);
- turns a host signal into a pending guest signal with the siginfo the kernel would have
  given (Python's handlers are not told it: SIGCHLD's comes from waitid(WNOWAIT), a timer's
  from posix_timers.py);
- gets it delivered. Python runs a handler only between bytecodes, never while Unicorn runs
  guest code, so a watcher thread woken through signal.set_wakeup_fd leaves it to the guest's
  next syscall, and stops the CPU itself only after STOP_GRACE of guest CPU time without one:
  emu_stop from another thread can make Unicorn 2.1.4 run the interrupted instruction twice
  (unicorn#1355; docs/ARCHITECTURE.md, "Unicorn facts");
- interrupts a guest blocked in a host call (read, wait4, select, ...: call_blocking) with EINTR,
  or a restart under SA_RESTART, as Linux's signal_pending() check in a sleeping syscall does.

The guest's own signal state and delivery are signals.py's.
"""

import itertools
import os
import resource
import select
import signal
import sys
import threading
import time

from emulator.abi.constants import CLD_DUMPED, CLD_EXITED, CLD_KILLED
from emulator.errors import SyscallError
from emulator.task import posix_timers
from emulator.task.signals import (
    ERESTARTNOHAND,
    ERESTARTSYS,
    NSIG,
    SI_KERNEL,
    SI_USER,
    SIG_DFL,
    SIG_IGN,
    UNMANAGED,
    S,
    bit,
    default_action,
)

KICK_SIGNAL = signal.SIGRTMAX  # private: the watcher's nudge to a main thread stuck in a syscall
# How much CPU time the guest may spend without a syscall, once a host signal is waiting for it,
# before the CPU is stopped from the watcher thread (a cross-thread stop is the risky route).
STOP_GRACE = 0.05


class Interrupted(BaseException):
    """Raised by the host signal handler into a blocking host call (see call_blocking)."""


def _cld_info(pid: int, status: int) -> dict | None:
    """SIGCHLD's siginfo for a child that ended with wait status `status` (None if it did not end)."""
    if os.WIFEXITED(status):
        code, value = CLD_EXITED, os.WEXITSTATUS(status)
    elif os.WIFSIGNALED(status):
        code, value = (CLD_DUMPED if os.WCOREDUMP(status) else CLD_KILLED), os.WTERMSIG(status)
    else:
        return None
    return dict(si_code=code, si_pid=pid, si_uid=os.getuid(), si_status=value, si_utime=0, si_stime=0)


def _is_wait4_result(value) -> bool:
    """os.wait4's (pid, status, rusage), as call_blocking keeps it."""
    return (isinstance(value, tuple) and len(value) == 3 and isinstance(value[2], resource.struct_rusage)
            and value[0] > 0)


class HostSignals:
    """One process's host-signal plumbing: handlers, the watcher thread, interruptible host calls."""

    def __init__(self, proc):
        self.proc = proc  # its guest signal state is proc.sig
        self.started = False  # handlers and watcher installed in this host process
        self.main_ident = 0  # the host thread that runs the guest (the watcher signals and times it)
        self.rfd = self.wfd = -1  # signal.set_wakeup_fd's pipe: the watcher reads what the host sends
        self.kick_r = self.kick_w = -1  # wakes wait()'s select when a handler ran
        self.box = None  # call_blocking's result list while a host call is in flight
        self.gen = 0  # counts host handler runs (the watcher waits for the next one)
        self.wanted: set[int] = set()  # rt_sigtimedwait waits for these: the host must queue them
        # SIGCHLD's siginfo is read from the zombie (waitid WNOWAIT) when the host handler runs; a
        # guest wait4 that reaped the child first leaves its siginfo here instead (child_reaped).
        self.sigchld_told: set[int] = set()
        self.reaped: list[dict] = []

    # ----- set-up ------------------------------------------------------------------
    def start(self) -> None:
        """Install host handlers and the watcher thread (once per host process)."""
        if self.started:
            return
        self.started = True
        self.main_ident = threading.get_ident()
        rfd, wfd = os.pipe()
        self.rfd = self.proc.fds.hide(rfd)
        wfd = self.proc.fds.hide(wfd)
        os.set_blocking(wfd, False)
        signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
        self.wfd = wfd
        kr, kw = os.pipe()
        self.kick_r, self.kick_w = self.proc.fds.hide(kr), self.proc.fds.hide(kw)
        os.set_blocking(self.kick_w, False)
        signal.signal(KICK_SIGNAL, self._on_kick)
        for signo in range(1, NSIG + 1):
            self.mirror(signo)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        self._start_watcher()

    def _start_watcher(self) -> None:
        """The watcher thread. The host may refuse a thread for a moment (pthread_create's EAGAIN:
        RLIMIT_NPROC, a full pid table; seen as "can't start new thread" in a fork child under a
        parallel test suite): try again a few times, then run without it, told in one line. Host
        signals then still arrive at the guest's next syscall, as they do for a guest in a call."""
        for attempt in range(5):
            try:
                threading.Thread(target=self._watch, name="elfemu-signals", daemon=True).start()
                return
            except RuntimeError:
                time.sleep(0.01 * (attempt + 1))
        print("elfemu: no host thread for signals: a signal waits for the guest's next syscall", file=sys.stderr)

    def after_fork_child(self) -> None:
        """The child shares the parent's wake-up pipes and has no watcher thread: make its own."""
        if not self.started:
            return
        for fd in (self.rfd, self.wfd, self.kick_r, self.kick_w):
            self.proc.fds.hidden.discard(fd)
            os.close(fd)
        self.started = False
        self.start()

    def mirror(self, signo: int) -> None:
        """Give the host the disposition that makes its kernel act like the guest's would."""
        if not self.started or signo in UNMANAGED or signo == KICK_SIGNAL:
            return
        sig = self.proc.sig
        h = sig.actions[signo].handler
        if h == SIG_IGN:
            host = signal.SIG_IGN  # SIGPIPE: EPIPE only; SIGCHLD: children are reaped by the kernel
        elif (h == SIG_DFL and default_action(signo) == "ignore" and self.proc.tracer is None
              and not (sig.mask & bit(signo) or signo in self.wanted)):  # traced: strace shows it, so catch it
            host = signal.SIG_DFL
        else:
            host = self._on_host_signal
        try:
            signal.signal(signo, host)
        except (OSError, ValueError):
            pass

    def mirror_wanted(self, signo: int, on: bool = True) -> None:
        """rt_sigtimedwait waits for `signo` (on) or no longer does: the host must queue it meanwhile."""
        (self.wanted.add if on else self.wanted.discard)(signo)
        self.mirror(signo)

    # ----- a host signal arrives ----------------------------------------------------
    def host_info(self, signo: int) -> dict:
        """The siginfo the kernel would have given the guest for a host signal."""
        info = {"si_signo": signo, "si_code": SI_KERNEL}
        if signo == S.SIGCHLD:
            try:
                res = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                res = None
            just_reaped = self.box[0] if self.box and _is_wait4_result(self.box[0]) else None
            if res is not None:
                info.update(si_code=res.si_code, si_pid=res.si_pid, si_uid=res.si_uid,
                            si_status=res.si_status, si_utime=0, si_stime=0)
                self.sigchld_told.add(res.si_pid)
            elif just_reaped is not None:  # a guest wait4 reaped it a moment ago (call_blocking's box)
                info.update(_cld_info(just_reaped[0], just_reaped[1]) or {})
                self.sigchld_told.add(just_reaped[0])
            elif self.reaped:
                info.update(self.reaped.pop(0))
        elif signo == S.SIGPIPE:
            info.update(si_code=SI_USER, si_pid=os.getpid(), si_uid=os.getuid())
        else:
            info.update(posix_timers.siginfo(self.proc, signo) or {})
        return info

    def child_reaped(self, pid: int, status: int) -> None:
        """A guest wait reaped `pid`: keep its SIGCHLD siginfo if the signal has not been seen yet."""
        if pid in self.sigchld_told:
            self.sigchld_told.discard(pid)
        elif (info := _cld_info(pid, status)) is not None:
            pending = self.proc.sig.pending.get(S.SIGCHLD)
            if pending is not None and not pending.get("si_pid"):  # it came while the wait reaped
                pending.update(info)
                return
            self.reaped.append(info)
            del self.reaped[:-8]  # signals that never come (SIGCHLD ignored, blocked...) must not pile up

    def _on_host_signal(self, signo, _frame) -> None:
        """Python-level host handler (main thread, between bytecodes)."""
        sig = self.proc.sig
        self.gen += 1
        info = self.host_info(signo)
        sig.generate(signo, info)
        if not sig.deliverable():
            return
        act = sig.actions[signo]
        if self.box is not None and not self.box:
            raise Interrupted
        if act.handler == SIG_DFL and signo in sig.pending and not sig.mask & bit(signo):
            if default_action(signo) == "stop":  # stopping is safe between any two bytecodes
                del sig.pending[signo]
                sig.update()
                sig.act_by_default(signo, info)
            elif self.proc.uc is not None:
                # Dying raises ProcessKilled, which must unwind through code that passes it on: not
                # from here, where it could land in a ctypes callback's prologue (printed and lost).
                # It stays pending; the end of this syscall or the run loop delivers it.
                self.proc.uc.emu_stop()

    def _on_kick(self, _signo, _frame) -> None:
        if self.box is not None and not self.box and self.proc.sig.deliverable():
            raise Interrupted

    def stop_host(self, signo: int) -> None:
        """Job control: stop elfemu itself with the same signal, so the parent shell sees it stopped."""
        if signo == S.SIGSTOP:
            os.kill(os.getpid(), signo)
            return
        old = signal.signal(signo, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signo])
        os.kill(os.getpid(), signo)
        signal.signal(signo, old)

    def _watch(self) -> None:
        """Watcher thread: each host signal stops the CPU so the run loop can deliver it."""
        signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        while True:
            try:
                data = os.read(self.rfd, 256)
            except OSError:
                return
            if not data:
                return
            gen0 = self.gen
            try:
                os.write(self.kick_w, b"k")
            except OSError:
                pass
            t0 = time.monotonic()
            main_clock = time.pthread_getcpuclockid(self.main_ident)
            cpu0 = time.clock_gettime(main_clock)
            next_stop = STOP_GRACE
            while True:
                time.sleep(0.002)
                waited = time.monotonic() - t0
                busy = time.clock_gettime(main_clock) - cpu0  # guest CPU time, not time spent descheduled
                if self.gen != gen0 and not self.proc.pending_signals:
                    break  # the main thread took it at a syscall (Python handlers run only in hooks)
                if self.box is not None and self.proc.pending_signals and waited > 0.01:
                    signal.pthread_kill(self.main_ident, KICK_SIGNAL)
                if busy > next_stop:
                    # The guest is running code and makes no syscall: stop the CPU so the run loop can
                    # deliver. Only then: a stop from another thread can, rarely, make Unicorn run the
                    # interrupted instruction twice (unicorn#1355), so syscalls are the normal route.
                    uc = self.proc.uc
                    if uc is not None:
                        self.proc.stop_requested = True
                        uc.emu_stop()
                    next_stop = busy + 0.1
                if waited > 1.0 and not self.proc.pending_signals:
                    break

    # ----- blocking host calls a guest signal interrupts ----------------------------------
    def call_blocking(self, fn, *args, restart: int = ERESTARTSYS):
        """Run one blocking host call (a C function: os.read, os.wait4, select.select, ...) so that a
        guest signal interrupts it: its result is kept if it completed, else the syscall ends with
        `restart` (ERESTARTSYS: EINTR, or a restart under SA_RESTART).

        list.extend(starmap(...)) stores the result without a bytecode boundary in between, so the
        host handler (which raises Interrupted only while `box` is empty) cannot lose a result."""
        sig = self.proc.sig
        sig.restart_nr = self.proc.cpu["rax"]
        box = self.box = []
        try:
            if sig.deliverable():
                raise Interrupted
            if self.proc.group is not None:  # other guest threads run while this one blocks
                fn = self.proc.group.released(fn)
            box.extend(itertools.starmap(fn, (args,)))
        except Interrupted:
            if not box:
                raise SyscallError(restart) from None
        finally:
            self.box = None
        return box[0]

    def wait(self, until, timeout=None) -> bool:
        """Sleep until until() is true (checked after each host signal) or timeout; True if it held."""
        end = None if timeout is None else time.monotonic() + timeout
        while not until():
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                return False
            group = self.proc.group
            if self.kick_r < 0:  # no host machinery (stepping, a non-leader thread): poll
                nap = min(0.01, left) if left is not None else 0.01
                group.released(time.sleep)(nap) if group is not None else time.sleep(nap)
                continue
            self.box = []  # lets the host handler break the select when a signal becomes deliverable
            try:
                r, _, _ = (group.released(select.select) if group is not None else select.select)(
                    [self.kick_r], [], [], left)
            except Interrupted:
                continue
            finally:
                self.box = None
            if r:
                os.read(self.kick_r, 4096)
        return True

    def sleep(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True as soon as a guest signal is deliverable (nanosleep's EINTR)."""
        return self.wait(self.proc.sig.deliverable, seconds)

    def interrupt_wait(self, restart: int = ERESTARTNOHAND):
        """For pause/sigsuspend: sleep until a signal is deliverable, then end the syscall."""
        self.proc.sig.restart_nr = self.proc.cpu["rax"]
        self.wait(self.proc.sig.deliverable)
        raise SyscallError(restart)

