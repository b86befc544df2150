"""A non-leader thread's signal state: its own mask, alternate stack and thread-directed signals;
the actions and the process-directed pending set are the leader's.

Linux keeps the handlers in the shared sighand_struct, process-directed signals in the shared
signal->shared_pending, and each thread's blocked mask, sigaltstack and task->pending in its own
task_struct (kernel/signal.c). A thread takes a process-directed signal at its next return to
user mode if it does not block it (complete_signal picks such a thread).

The host side (handlers, watcher thread, wake-up pipes) stays the leader's: host signals are
delivered to the main host thread (threads.py blocks them in the others), which makes them
pending in the leader's set. This thread's waits poll (kick_r stays -1: HostSignals.wait) and a
signal sent to it breaks its host futex wait with KICK_SIGNAL (threads.ThreadGroup.kick).
"""

import ctypes
import errno
import os

from emulator.machine.libc import libc
from emulator.task.hostsignals import HostSignals, Interrupted
from emulator.task.signals import ERESTARTSYS, SignalState


class MergedPending(dict):
    """This thread's pending signals (the dict itself) seen together with the process's (shared):
    what SignalState and the signal syscalls read from `pending` covers both, and taking a signal
    takes the thread's own first, as Linux's dequeue_signal does."""

    def __init__(self, shared: dict):
        super().__init__()
        self.shared = shared  # the leader's pending dict: process-directed signals

    def __iter__(self):
        return iter(set(dict.keys(self)) | set(self.shared))

    def __contains__(self, signo) -> bool:
        return dict.__contains__(self, signo) or signo in self.shared

    def __len__(self) -> int:
        return len(set(dict.keys(self)) | set(self.shared))

    def __bool__(self) -> bool:
        return dict.__len__(self) > 0 or bool(self.shared)

    def get(self, signo, default=None):
        return dict.get(self, signo, self.shared.get(signo, default))

    def pop(self, signo, *default):
        if dict.__contains__(self, signo):
            return dict.pop(self, signo)
        return self.shared.pop(signo, *default)


class ThreadSignals(SignalState):
    def __init__(self, task, leader_sig: SignalState, creator_sig: SignalState):
        super().__init__(task)
        self.leader_sig = leader_sig  # the process's signal state: actions, host plumbing, shared pending
        self.actions = leader_sig.actions  # one list for the whole group (CLONE_SIGHAND)
        self.mask = creator_sig.mask  # a new thread inherits its creator's mask (copy_process)
        self.pending = MergedPending(leader_sig.pending)
        self.signalfds = leader_sig.signalfds

    def generate(self, signo: int, info: dict) -> None:
        """A thread-directed signal (tgkill, a fault): this thread's own set; wake it if it waits."""
        super().generate(signo, info)
        group = self.proc.group
        if group is not None and self.deliverable():
            group.kick(self.proc)


class ThreadHostSignals(HostSignals):
    """The host side of a non-leader thread: no handlers or watcher of its own (they are the
    leader's, run on the main host thread), its blocking calls made interruptible by KICK_SIGNAL."""

    def call_blocking(self, fn, *args, restart: int = ERESTARTSYS):
        """Python's os.read retries on EINTR outside the main thread (its signal check only runs
        there), so a signal sent to this thread could never end it: read through libc instead."""
        if fn is os.read:
            fn = self._read
        return super().call_blocking(fn, *args, restart=restart)

    def _read(self, fd: int, count: int) -> bytes:
        buf = ctypes.create_string_buffer(count)
        while True:
            got = libc.read(fd, buf, ctypes.c_size_t(count))
            if got >= 0:
                return buf.raw[:got]
            err = ctypes.get_errno()
            if err != errno.EINTR:
                raise OSError(err, os.strerror(err))
            if self.proc.sig.deliverable():
                raise Interrupted

    def start(self) -> None:
        """The host machinery is the leader's (it runs once per host process)."""

    def mirror(self, signo: int) -> None:
        """Host dispositions can only be set from the main host thread: the leader sets them at its
        next syscall exit (threads.ThreadGroup.at_syscall_exit)."""
        group = self.proc.group
        if group is not None:
            group.unmirrored.add(signo)
            group.leader.pending_signals = True
