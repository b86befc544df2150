"""`elfemu run|trace|step|inspect|syscalls`, also reachable as `python -m emulator`.

elfemu exits the way the guest did: with its exit status, or by its fatal signal. Its own
failures are one line on stderr: 127 when the program is not found, 126 when it cannot run.
"""

import signal
import sys

from emulator.guest import fail, run_guest
from emulator.task.settings import GuestSettings, SettingError, take_option

USAGE = """elfemu run [--trace [strace options]] [--gdb PORT] [WORLD] PROGRAM [ARGS...]
       elfemu trace [--html FILE] [strace options] [WORLD] PROGRAM [ARGS...]
       elfemu step [--tui | --gdb PORT] [WORLD] PROGRAM [ARGS...]
       elfemu inspect PROGRAM
       elfemu syscalls [--markdown]
       elfemu --version
WORLD: --rootfs DIR  --time-rate R  --time-start YYYY-MM-DDTHH:MM:SS"""


def program_args(rest: list[str], command: str):
    """`[--gdb PORT] [WORLD] PROGRAM [ARGS...]` -> (port, settings, program, args): options stop at
    the program, as with strace and `gdb --args`. None (after a usage line) when malformed. Not
    argparse: it costs 7 ms of start-up."""
    rest, port, settings = list(rest), None, GuestSettings()
    while rest and rest[0].startswith("-"):
        try:
            after = take_option(settings, rest, 0)
        except SettingError as exc:
            print(f"elfemu {command}: {exc}", file=sys.stderr)
            return None
        if after is not None:
            del rest[:after]
            continue
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
    return port, settings, rest[0], rest[1:]


def step_session(proc) -> None:
    """`elfemu step`: the stepper drives the loaded process from stdin. The session ends elfemu
    (EOF or `q` kill the guest); its status is the guest's exit status when the guest ended,
    128+signal when a signal killed it, else 0."""
    from emulator.debug.stepper.main import session
    from emulator.task import ending

    ending.exit_with(proc, session(proc))


def tui_session(proc) -> None:
    """`elfemu step --tui`: the same session full-screen (emulator/debug/tui); ends elfemu as step does."""
    from emulator.debug.tui.app import session
    from emulator.task import ending

    ending.exit_with(proc, session(proc))


def start(rest: list[str], command: str, setup=None) -> int:
    """`run` and `step`: start the guest, handed to gdb instead when --gdb PORT is given."""
    parsed = program_args(rest, command)
    if parsed is None:
        return 2
    port, settings, program, args = parsed
    if port is not None:
        from emulator.debug import gdbstub

        def setup(proc):
            gdbstub.serve(proc, port)
    return run_guest(program, args, setup=setup, settings=settings)


def version() -> int:
    """`elfemu --version`: elfemu's version, the libunicorn it loads and the patches built into it."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    from emulator.machine.unicorn_ffi import library_info

    try:
        ours = dist_version("elfemu")
    except PackageNotFoundError:
        ours = "(not installed)"
    info = library_info()
    print(f"elfemu {ours}")
    if info["build"]:
        print(f"libunicorn: {info['path']} (elfemu's build of {info.get('pin', '?')}, x86 only)")
    else:
        print(f"libunicorn: {info['path']} (the unicorn wheel's, unpatched)")
    for patch in info["patches"]:
        print(f"  patch {patch['name']}: {patch['summary']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C before the guest runs must end elfemu the way it ends a native program, quietly.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # Python's own; an inherited
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # SIG_IGN (a background job's) must stay
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] == "--version":
        return version()
    cmd, rest = argv[0], argv[1:]
    if cmd == "run":
        if rest[:1] == ["--trace"]:
            return main(["trace", *rest[1:]])
        return start(rest, "run")
    if cmd == "trace":
        if any(a == "--html" or a.startswith("--html=") for a in rest):  # (not imported otherwise)
            from emulator.trace.html import export, html_option

            page, rest = html_option(rest)
            if page is not None:  # the run as a timeline page (emulator/trace/html.py)
                return export(page, rest, lambda argv: main(["trace", *argv]))
        from emulator.trace.options import parse_or_exit
        from emulator.trace.tracer import Tracer

        opts, program, args = parse_or_exit(rest)
        try:
            tracer = Tracer(opts)
        except OSError as exc:
            return fail(opts.output or "trace", exc.strerror or str(exc), 1)
        return run_guest(program, args, tracer=tracer, settings=opts.settings)
    if cmd == "step":
        if rest[:1] == ["--tui"]:
            return start(rest[1:], "step", setup=tui_session)
        return start(rest, "step", setup=step_session)
    if cmd == "inspect" and len(rest) == 1:
        from emulator.image.inspect import main as inspect_main

        return inspect_main(rest[0])
    if cmd == "syscalls":
        from syscalls.support import main as syscalls_main

        return syscalls_main(rest)
    print(f"elfemu: unknown command {cmd!r}\n{USAGE}", file=sys.stderr)
    return 2
