"""How a guest process ends, written once: with its exit status, or by its fatal signal.

Every front (run, trace, step, gdb) and every forked child ends here. elfemu exits the way the
guest did, so a parent shell sees exactly what it would see natively (docs/ARCHITECTURE.md,
"Exits match the guest"). A forked child never returns into its parent's Python code.
"""

import os
import resource
import signal
import sys
import threading

from emulator.errors import ProcessExit, ProcessKilled
from emulator.machine.libc import libc
from emulator.task import vforkmem


def die_by_signal(signo: int) -> None:
    """End elfemu with the guest's fatal signal (core dumps off), so a parent sees what it would
    see natively."""
    sys.stdout.flush()
    sys.stderr.flush()
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    try:
        signal.signal(signo, signal.SIG_DFL)
    except ValueError:  # a guest thread's host thread, not the main one: libc's signal() works from any
        libc.signal(signo, 0)  # SIG_DFL
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signo])
    signal.pthread_kill(threading.get_ident(), signo)  # this thread: the others may block it
    os._exit(128 + signo)


def end(proc, how: ProcessExit | ProcessKilled) -> None:
    """The guest ended (exit_group, or a signal it must die by): tell the tracer, hand a vfork
    child's writes to its parent, and end elfemu the same way. Never returns."""
    if isinstance(how, ProcessExit):
        if proc.tracer is not None:  # a child of an untraced fork (no -f) has none
            proc.tracer.exited(proc, how.status)
        sys.stdout.flush()
        vforkmem.release(proc)
        os._exit(how.status)
    if proc.tracer is not None:
        proc.tracer.killed(proc, how.signo, how.siginfo)
    vforkmem.release(proc)
    die_by_signal(how.signo)


def exit_with(proc, status: int) -> None:
    """A front ends the session itself (the stepper's `q`, EOF): elfemu exits with `status`."""
    sys.stdout.flush()
    vforkmem.release(proc)
    os._exit(status)
