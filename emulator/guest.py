"""Start one guest program: resolve it, load it, run it, and end elfemu the way it ended.

The one place every front (run, trace, step, gdb) starts a guest. elfemu's own failures are one
line on stderr, `elfemu: PATH: reason`: 127 when the program is not found, 126 when it cannot run.
"""

import errno
import os
import sys

from emulator.errors import ExecError, ProcessExit, ProcessKilled
from emulator.task import ending
from emulator.task.process import Process
from syscalls import dispatch


def fail(path: str, why: str, status: int) -> int:
    print(f"elfemu: {path}: {why}", file=sys.stderr)
    return status


def resolve(program: str) -> str:
    """Like strace and the shell: a name without '/' is looked up in PATH."""
    if "/" in program:
        return program
    for d in os.environ.get("PATH", "/usr/bin:/bin").split(":"):
        cand = os.path.join(d or ".", program)
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return program


def initial_environment() -> list[bytes]:
    """The environment elfemu was started with, byte for byte and in order. os.environ is not
    it: Python's start-up may add LC_CTYPE=C.UTF-8 (PEP 538 locale coercion)."""
    try:
        with open("/proc/self/environ", "rb") as f:
            return [e for e in f.read().split(b"\0") if e]
    except OSError:
        return [os.fsencode(f"{k}={v}") for k, v in os.environ.items()]


def run_guest(program: str, args: list[str], tracer=None, setup=None, settings=None) -> int:
    """Load and run one guest program; never returns normally once the guest has started.
    settings: the guest's world (task/settings.py: --rootfs, --time-rate, --time-start, API hooks)."""
    path = resolve(program)
    proc = Process(dispatch.on_syscall, tracer=tracer, settings=settings)
    argv = [os.fsencode(a) for a in [program, *args]]
    envp = initial_environment()
    if tracer is not None and tracer.opts.env:  # strace -E
        from emulator.trace.options import edit_environment

        envp = edit_environment(envp, tracer.opts.env)
    try:
        proc.load(path, argv, envp)
    except ExecError as exc:
        if exc.signo:  # past Linux's point of no return: the new process dies by the signal
            fail(program, exc.why, 0)
            ending.die_by_signal(exc.signo)
        return fail(program, exc.why, 127 if exc.errno in (errno.ENOENT, errno.ENOTDIR) else 126)
    if tracer is not None:
        tracer.start(proc, path, argv, envp)
    try:
        if setup is not None:
            setup(proc)  # e.g. a gdb session: returns on detach, raises when the guest ends
        proc.run()
    except (ProcessExit, ProcessKilled) as how:
        ending.end(proc, how)
    return 0
