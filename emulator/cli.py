"""`elfemu run|trace|step|inspect`, also reachable as `python -m emulator`.

elfemu exits the way the guest did: with its exit status, or by its fatal signal. Its own
failures are one line on stderr: 127 when the program is not found, 126 when it cannot run.
"""

import errno
import os
import resource
import signal
import sys

USAGE = """elfemu run [--trace [strace options]] [--gdb PORT] PROGRAM [ARGS...]
       elfemu trace [strace options] PROGRAM [ARGS...]
       elfemu step [--gdb PORT] PROGRAM [ARGS...]
       elfemu inspect PROGRAM"""


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


def die_by_signal(signo: int) -> None:
    """End elfemu with the guest's fatal signal, so a parent sees what it would see natively."""
    sys.stdout.flush()
    sys.stderr.flush()
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    signal.signal(signo, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signo])
    os.kill(os.getpid(), signo)
    os._exit(128 + signo)


def vfork_release(proc) -> None:
    """A vfork child that ends hands its memory writes to its parent first (syscalls/vforkmem.py)."""
    from syscalls.lifecycle import vfork_release as release

    release(proc)


def initial_environment() -> list[bytes]:
    """The environment elfemu was started with, byte for byte and in order. os.environ is not
    it: Python's start-up may add LC_CTYPE=C.UTF-8 (PEP 538 locale coercion)."""
    try:
        with open("/proc/self/environ", "rb") as f:
            return [e for e in f.read().split(b"\0") if e]
    except OSError:
        return [os.fsencode(f"{k}={v}") for k, v in os.environ.items()]


def run_guest(program: str, args: list[str], tracer=None, setup=None) -> int:
    """Load and run one guest program; never returns normally once the guest has started."""
    from emulator.process import Process
    from syscalls.errors import ExecError, ProcessExit, ProcessKilled

    path = resolve(program)
    proc = Process(tracer=tracer)
    argv = [os.fsencode(a) for a in [program, *args]]
    envp = initial_environment()
    if tracer is not None and tracer.opts.env:  # strace -E
        from emulator.trace_options import edit_environment

        envp = edit_environment(envp, tracer.opts.env)
    try:
        proc.load(path, argv, envp)
    except ExecError as exc:
        if exc.signo:  # past Linux's point of no return: the new process dies by the signal
            fail(program, exc.why, 0)
            die_by_signal(exc.signo)
        return fail(program, exc.why, 127 if exc.errno in (errno.ENOENT, errno.ENOTDIR) else 126)
    if tracer is not None:
        tracer.start(proc, path, argv, envp)
    try:
        if setup is not None:
            setup(proc)  # e.g. a gdb session: returns on detach, raises when the guest ends
        proc.run()
    except ProcessExit as exc:
        if proc.tracer is not None:  # a child of an untraced fork (no -f) has none
            proc.tracer.exited(proc, exc.status)
        sys.stdout.flush()
        vfork_release(proc)
        os._exit(exc.status)
    except ProcessKilled as exc:
        if proc.tracer is not None:
            proc.tracer.killed(proc, exc.signo, exc.siginfo)
        vfork_release(proc)
        die_by_signal(exc.signo)
    return 0


def program_args(rest: list[str], command: str):
    """`[--gdb PORT] PROGRAM [ARGS...]` -> (port, program, args): options stop at the program,
    as with strace and `gdb --args`. None (after a usage line) when malformed. Not argparse:
    it costs 7 ms of start-up."""
    rest, port = list(rest), None
    while rest and rest[0].startswith("-"):
        opt = rest.pop(0)
        if opt == "--":
            break
        value = opt.split("=", 1)[1] if opt.startswith("--gdb=") else rest.pop(0) if opt == "--gdb" and rest else None
        if not (opt.startswith("--gdb") and value and value.isdigit()):
            print(f"elfemu {command}: bad option {opt!r}\n{USAGE}", file=sys.stderr)
            return None
        port = int(value)
    if not rest:
        print(f"elfemu {command}: no program given\n{USAGE}", file=sys.stderr)
        return None
    return port, rest[0], rest[1:]


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C before the guest runs must end elfemu the way it ends a native program, quietly.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # Python's own; an inherited
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # SIG_IGN (a background job's) must stay
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "run":
        if rest[:1] == ["--trace"]:
            return main(["trace", *rest[1:]])
        parsed = program_args(rest, "run")
        if parsed is None:
            return 2
        port, program, args = parsed
        if port is not None:
            from emulator import gdbstub

            return run_guest(program, args, setup=lambda proc: gdbstub.serve(proc, port))
        return run_guest(program, args)
    if cmd == "trace":
        from emulator.trace_options import parse_or_exit
        from emulator.tracer import Tracer

        opts, program, args = parse_or_exit(rest)
        try:
            tracer = Tracer(opts)
        except OSError as exc:
            return fail(opts.output or "trace", exc.strerror or str(exc), 1)
        return run_guest(program, args, tracer=tracer)
    if cmd == "step":
        from emulator.stepper import main as step_main

        parsed = program_args(rest, "step")
        if parsed is None:
            return 2
        port, program, args = parsed
        return step_main(program, args, gdb_port=port)
    if cmd == "inspect" and len(rest) == 1:
        from emulator.inspect import main as inspect_main

        return inspect_main(rest[0])
    print(f"elfemu: unknown command {cmd!r}\n{USAGE}", file=sys.stderr)
    return 2
