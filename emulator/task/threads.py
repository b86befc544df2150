"""Guest threads: clone(CLONE_VM|CLONE_THREAD) as a host thread with its own Unicorn instance.

Linux gives each thread its own task_struct that shares the mm, the file table and the signal
handlers with the others (kernel/fork.c copy_process). elfemu does the same: a thread is a
ThreadTask, a Process whose CPU is a fresh Unicorn instance and whose memory, fd table, signal
actions, brk and image are the leader's objects. The Unicorn instances all map the same host
pages (machine/ucgroup.py), and a host thread runs each one.

One guest thread runs at a time (baton.py says why). The baton is released around every blocking
host call (call_blocking, futex waits, sleeps) and at the end of a time slice:
- at a syscall, once another thread has waited SLICE for the baton (safe: inside the syscall hook);
- for a thread that makes no syscall, after FORCE_SLICE, through a flag its own native block
  hook reads (machine/slicestop.py): a plain emu_stop from the slicer thread re-ran instructions
  (unicorn#1355, measured there).

Thread ids are the host threads' real tids (threading.get_native_id): one guest process is one
host process, so gettid, /proc/self/task and tgkill from outside need no translation.
"""

import os
import signal
import struct
import threading
import time

from emulator.abi.constants import CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_PARENT_SETTID, CLONE_SETTLS
from emulator.errors import GuestFault, ImageReplaced, ProcessExit, ProcessKilled
from emulator.image import exec as exec_
from emulator.machine.cpu import Cpu
from emulator.machine.slicestop import SliceStop
from emulator.machine.tlb import TlbSizer
from emulator.machine.ucgroup import UcGroup
from emulator.task import ending, hostfutex, robust
from emulator.task.baton import Baton
from emulator.task.hostsignals import KICK_SIGNAL, Interrupted
from emulator.task.process import Process
from emulator.task.threadsig import ThreadHostSignals, ThreadSignals

SLICE = 0.005  # seconds another thread may wait before the holder yields at its next syscall
FORCE_SLICE = 0.01  # ... before the holder, running code without syscalls, is stopped from outside


class ThreadGone(BaseException):
    """Another thread's execve ended this one (Linux's de_thread kills the other threads)."""


class ThreadExit(BaseException):
    """exit(2) of one thread while others live: unwinds that thread's run loop only."""

    def __init__(self, status: int):
        super().__init__(f"thread exit {status}")
        self.status = status


class ThreadGroup:
    """The threads of one guest process: the baton, the live tasks, their Unicorn instances."""

    def __init__(self, leader: Process):
        self.leader = leader
        self.baton = Baton()
        self.baton.acquire()  # the leader is inside a syscall hook, running
        leader.ident = threading.get_ident()
        self.tasks: dict[int, Process] = {os.getpid(): leader}  # tid -> task, every live thread
        self.lock = threading.Lock()  # guards tasks
        self.ucs = UcGroup(leader.uc)
        leader.mem.uc = self.ucs  # from now on every map change reaches every thread's CPU
        self.holder_since = time.monotonic()  # when the baton last changed hands (the slicer reads it)
        self.last_handovers = 0
        self.running: Process | None = leader  # the task inside emu_start, if any (the slicer stops it)
        self.unmirrored: set[int] = set()  # signals whose action a non-main thread changed: the leader mirrors them
        self.stops: dict[Process, SliceStop] = {leader: SliceStop(leader.uc)}  # each live task's preemption flag
        self.retranslate: set[Process] = {leader}  # tasks whose code was translated before their SliceStop hook
        leader.uc.emu_stop()  # in the leader's own syscall hook: safe; its run loop retranslates (before_run)
        self.exec_commit = None  # execve from a non-leader thread: the commit the leader's host thread runs
        self.doomed: set[Process] = set()  # threads an execve ended: they go when they next hold the baton
        threading.Thread(target=self._slicer, name="elfemu-slicer", daemon=True).start()

    # ----- creating a thread -----------------------------------------------------
    def spawn(self, parent: Process, flags: int, stack: int, parent_tid: int, child_tid: int, tls: int) -> int:
        """clone(CLONE_THREAD...) in the parent's syscall hook; returns the new thread's tid."""
        uc = exec_.new_uc()
        self.ucs.add(uc, parent.mem.vmas)
        uc.context_restore(parent.uc.context_save())
        task = ThreadTask(parent, uc)
        self.stops[task] = SliceStop(uc)
        cpu = task.cpu
        task.pc = parent.cpu["rip"] + 2  # inside the hook RIP is the syscall itself
        cpu["rax"] = 0
        if stack:
            cpu["rsp"] = stack
        if flags & CLONE_SETTLS:
            cpu["fs_base"] = tls
        if flags & CLONE_CHILD_CLEARTID:
            task.clear_child_tid = child_tid
        started = threading.Event()
        threading.Thread(target=self._thread_main, args=(task, started), daemon=True).start()
        started.wait()
        tid = task.tid
        task.tracer = parent.tracer.for_thread(tid) if parent.tracer is not None else None
        if flags & CLONE_PARENT_SETTID:
            parent.mem.write(parent_tid, struct.pack("<i", tid))
        if flags & CLONE_CHILD_SETTID:  # Linux writes it in the child before it runs: it runs after us
            parent.mem.write(child_tid, struct.pack("<i", tid))
        return tid

    def _thread_main(self, task: "ThreadTask", started: threading.Event) -> None:
        # Host signals for the process go to the main thread (its Python handlers run there);
        # KICK_SIGNAL stays open so that a thread-directed signal can break a host futex wait.
        signal.pthread_sigmask(signal.SIG_SETMASK, set(signal.valid_signals()) - {KICK_SIGNAL})
        task.tid = threading.get_native_id()
        task.ident = threading.get_ident()
        with self.lock:
            self.tasks[task.tid] = task
        started.set()
        self.baton.acquire()
        try:
            self.check_fate()
            task.run()
        except ThreadExit as how:
            self.thread_exit(task, how.status)
        except ThreadGone:
            with self.lock:
                self.tasks.pop(task.tid, None)
            self.baton.release()
        except (ProcessExit, ProcessKilled) as how:
            ending.end(task, how)
        except BaseException as exc:  # our bug: end the process, as a Python traceback would
            import traceback

            traceback.print_exception(exc)
            os._exit(70)

    # ----- ending one thread -------------------------------------------------------
    def thread_exit(self, task: Process, status: int) -> None:
        """Linux's exit_mm/mm_release for one thread: robust futexes, clear_child_tid, then gone."""
        if task.tracer is not None:
            task.tracer.exited(task, status)
        robust.release_all(task, task.tid or os.getpid())
        if task.clear_child_tid:  # pthread_join waits on this word
            try:
                task.mem.write(task.clear_child_tid, b"\0\0\0\0")
            except GuestFault:
                pass
            else:
                hostfutex.wake(task.mem, task.clear_child_tid)
        with self.lock:
            self.tasks.pop(task.tid, None)
        self.stops.pop(task, None)
        if task is not self.leader:
            self.ucs.remove(task.uc)
            exec_.retire(task.uc)
        if self.running is task:
            self.running = None
        self.baton.release()

    def others_alive(self, task: Process) -> bool:
        with self.lock:
            return any(t is not task for t in self.tasks.values())

    def leader_exit(self, status: int) -> None:
        """exit(2) of the leader while other threads run: the process lives on until they end, and
        then exits with the leader's status (Linux's wait_task_zombie reads the leader's exit_code)."""
        self.thread_exit(self.leader, status)
        while True:
            with self.lock:
                if not self.tasks:
                    break
            if self.exec_commit is not None:  # a thread's execve: the leader takes the new image
                self.baton.acquire()
                self._take_over()
            time.sleep(0.005)
        self.baton.acquire()
        raise ProcessExit(status)

    # ----- the baton around blocking calls ------------------------------------------
    def released(self, fn):
        """fn, run without the baton: other threads run while this one blocks in the host."""
        baton = self.baton

        def call(*args):
            baton.release()
            try:
                result = fn(*args)
            except BaseException:
                _reacquire(baton)
                self._now_running()
                self.check_fate()
                raise
            _reacquire(baton, keep_result=True)
            self._now_running()
            self.check_fate()
            return result
        return call

    def _now_running(self) -> None:
        """After this host thread took the baton back: the slicer must preempt *this* task."""
        me = threading.get_ident()
        with self.lock:
            self.running = next((t for t in self.tasks.values() if t.ident == me), None)

    # ----- execve from a thread (Linux's de_thread) ------------------------------------
    def exec_takeover(self, task: Process, commit) -> None:
        """execve committed by `task`: every other thread dies, and the process goes on in the
        leader's host thread (the one Python runs signal handlers in) with `task`'s signal mask,
        as Linux's de_thread makes the exec'ing thread the leader. Returns when task is the leader;
        else ends task's host thread once the leader has been asked to commit."""
        with self.lock:
            self.doomed = {t for t in self.tasks.values() if t is not task and t is not self.leader}
        if task is self.leader:
            self._dissolve()
            return
        self.exec_commit = (commit, task.sig.mask)
        for t in [self.leader, *self.doomed]:
            self.kick(t)
        raise ThreadGone

    def check_fate(self) -> None:
        """After taking the baton back: die if an execve ended this thread, or take the image over."""
        me = threading.get_ident()
        if any(t.ident == me for t in self.doomed):
            raise ThreadGone
        if self.exec_commit is not None and me == self.leader.ident:
            self._take_over()

    def _take_over(self, in_hook: bool = True) -> None:
        commit, mask = self.exec_commit
        self.exec_commit = None
        leader = self.leader
        self._dissolve()
        commit(leader)
        leader.sig.set_mask(mask)
        if in_hook:
            raise ImageReplaced()

    def _dissolve(self) -> None:
        """The process is single-threaded again: the leader runs without the baton."""
        self.leader.group = None
        self.leader.mem.uc = self.ucs.members[0]
        with self.lock:
            self.tasks = {}
        self.baton.release()  # the doomed threads take it in turn, and go

    def kick(self, task: Process) -> None:
        """Break task's host futex wait or sleep (it must look at a signal it was sent)."""
        ident = task.ident
        if ident is not None and ident != threading.get_ident():
            try:
                signal.pthread_kill(ident, KICK_SIGNAL)
            except (ProcessLookupError, OSError):
                pass

    # ----- time slices ---------------------------------------------------------------
    def at_syscall_exit(self, task: Process) -> None:
        """The safe place to hand the baton over: inside the syscall hook."""
        if self.unmirrored and task is self.leader and threading.current_thread() is threading.main_thread():
            for signo in self.unmirrored:
                task.host_signals.mirror(signo)
            self.unmirrored.clear()
        if self.baton.waiting and time.monotonic() - self.holder_since >= SLICE:
            self.hand_over(task)

    def before_run(self, task: Process) -> None:
        """In the run loop, before emu_start: code translated before the slice hook existed goes."""
        if task in self.retranslate:
            self.retranslate.discard(task)
            task.uc.ctl_flush_tb()

    def hand_over(self, task: Process, in_hook: bool = True) -> bool:
        """End task's time slice if others wait. True when another thread's execve replaced the
        image meanwhile (only outside the syscall hook: inside it, ImageReplaced unwinds)."""
        stop = self.stops.get(task)
        if stop is not None:
            stop.clear()
        self.running = None
        self.baton.yield_()
        self.holder_since = time.monotonic()
        self.running = task
        if self.exec_commit is not None and not in_hook and task is self.leader:
            self._take_over(in_hook=False)
            return True
        self.check_fate()
        return False

    def _slicer(self) -> None:
        """Ask the running thread to yield once others have waited SLICE; stop it after FORCE_SLICE."""
        signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        while True:
            time.sleep(SLICE)
            with self.lock:
                tasks = list(self.tasks.values())
            if not tasks:
                return
            for t in tasks:  # process-directed signals sit in the leader's set: let every thread look
                if not t.pending_signals and t.sig.deliverable():
                    t.pending_signals = True
            if self.baton.handovers != self.last_handovers:
                self.last_handovers = self.baton.handovers
                self.holder_since = time.monotonic()
                continue
            if not self.baton.waiting:
                continue
            running, waited = self.running, time.monotonic() - self.holder_since
            if running is None:
                continue
            if waited >= SLICE:
                running.pending_signals = True  # its next syscall exit goes through after_syscall
            stop = self.stops.get(running)
            if waited >= FORCE_SLICE and stop is not None and running.syscall_interposer is None:
                # (not under a debugger: it drives that CPU itself, and an unexplained stop would
                # read as another hit of the breakpoint it is stepping over)
                running.stop_requested = True
                stop.request()
                self.holder_since = time.monotonic()

    # ----- fork -------------------------------------------------------------------------
    def after_fork(self, task: Process) -> None:
        """In a forked child only the calling thread exists (POSIX fork); it leads what is left
        (Go's os/exec forks from any thread, and the child execs)."""
        self.lock = threading.Lock()
        self.tasks = {os.getpid(): task}
        self.leader = task
        task.tid = os.getpid()
        task.ident = threading.get_ident()
        self.baton.reset()
        self.ucs.members[:] = [task.uc]
        self.stops = {task: self.stops[task]}


def _reacquire(baton: Baton, keep_result: bool = False) -> None:
    try:
        baton.acquire()
    except Interrupted:  # a result did arrive: the signal stays pending and is delivered after the call
        if not keep_result:
            raise


class ThreadTask(Process):
    """A guest thread other than the leader: its own CPU and signal mask, everything else shared."""

    def __init__(self, parent: Process, uc):
        leader = parent.group.leader
        self.brk_owner = None  # the process holding brk (the first leader); None while Process.__init__ runs
        super().__init__(parent.on_syscall, tracer=parent.tracer, report_unimplemented=parent.report_unimplemented,
                         settings=parent.settings)
        self.brk_owner = leader.brk_owner if isinstance(leader, ThreadTask) else leader
        self.fds = leader.fds
        self.group = leader.group
        self.uc, self.mem, self.cpu = uc, leader.mem, Cpu(uc)
        self.exe, self.argv, self.comm, self.image, self.rsp0 = leader.exe, leader.argv, parent.comm, leader.image, 0
        self.posix_timers = leader.posix_timers
        self.sig = ThreadSignals(self, leader.sig, parent.sig)
        self.host_signals = ThreadHostSignals(self)
        self.tlb = TlbSizer(self)
        self._install_hooks()

    # brk belongs to the memory map, which every thread shares (Linux: mm->brk)
    @property
    def brk_start(self) -> int:
        return self.brk_owner.brk_start

    @brk_start.setter
    def brk_start(self, value: int) -> None:
        if self.brk_owner is not None:
            self.brk_owner.brk_start = value

    @property
    def brk_cur(self) -> int:
        return self.brk_owner.brk_cur

    @brk_cur.setter
    def brk_cur(self, value: int) -> None:
        if self.brk_owner is not None:
            self.brk_owner.brk_cur = value

    def run(self) -> None:
        if self.mem.accessible > self.mem.growth_mark:  # the leader's TLB was grown: grow ours too
            self.tlb.grow()
        self.group.running = self
        super().run()


def group_of(p: Process) -> ThreadGroup:
    """The thread group p belongs to, made when the process creates its second thread."""
    if p.group is None:
        p.group = ThreadGroup(p)
    return p.group
