"""strace's command line for `elfemu trace`: -o -e -f -t/-tt/-ttt -T -r -s -y -c, --trace-insn.

The syscall filter is computed once, from the one syscall table's names and classes, into
the set of numbers to print; the tracer checks a number against it on each call.
"""

from __future__ import annotations

import re
import sys

from syscalls import xlat
from syscalls.table import ROWS

# strace's class names (-e trace=%NAME) -> the class words in the table's rows.
CLASS_ALIASES = {"net": "network", "%stat": "%stat", "%statfs": "%statfs"}


class OptionError(Exception):
    pass


class Options:
    def __init__(self):
        self.output: str | None = None
        self.follow = False
        self.timestamps = 0  # -t 1, -tt 2, -ttt 3
        self.durations = False  # -T
        self.relative = False  # -r
        self.strsize = 32
        self.show_paths = False  # -y
        self.summary = False  # -c
        self.trace: set[int] | None = None  # syscall numbers to print; None = all
        self.signals: set[int] | None = None  # signals to show --- lines for; None = all
        self.insn_range: str | None = None


def syscall_set(expr: str) -> set[int] | None:
    """-e trace=EXPR: names, %classes, /regex, all/none, with a leading ! negating the set."""
    neg = expr.startswith("!")
    if neg:
        expr = expr[1:]
    chosen: set[int] = set()
    everything = {s.nr for s in ROWS}
    for item in filter(None, expr.split(",")):
        quiet = item.startswith("?")
        item = item.lstrip("?")
        if item == "all":
            chosen |= everything
        elif item == "none":
            pass
        elif item.startswith("/"):
            rx = re.compile(item[1:])
            chosen |= {s.nr for s in ROWS if rx.search(s.name)}
        elif item.startswith("%") or item in ("file", "process", "network", "signal", "ipc", "desc", "memory"):
            cls = item[1:] if item.startswith("%") else item
            cls = CLASS_ALIASES.get(cls, cls)
            hits = {s.nr for s in ROWS if cls in s.classes}
            if not hits and cls not in KNOWN_CLASSES and not quiet:
                raise OptionError(f"invalid system call '{item}'")
            chosen |= hits
        else:
            hits = {s.nr for s in ROWS if s.name == item}
            if not hits and item.isdigit():
                hits = {int(item)}
            if not hits and not quiet:
                raise OptionError(f"invalid system call '{item}'")
            chosen |= hits
    return everything - chosen if neg else chosen


KNOWN_CLASSES = {"file", "process", "network", "signal", "ipc", "desc", "memory", "creds", "clock", "stat",
                 "lstat", "fstat", "%stat", "statfs", "fstatfs", "%statfs", "pure"}


def signal_set(expr: str) -> set[int]:
    neg = expr.startswith("!")
    if neg:
        expr = expr[1:]
    allsigs = set(range(1, 65))
    chosen: set[int] = set()
    by_name = {name: n for n, name in xlat.SIGNALS}
    for item in filter(None, expr.split(",")):
        if item == "all":
            chosen |= allsigs
        elif item == "none":
            pass
        elif item.isdigit():
            chosen.add(int(item))
        else:
            name = item.upper()
            name = name if name.startswith("SIG") else "SIG" + name
            if name not in by_name:
                raise OptionError(f"invalid signal '{item}'")
            chosen.add(by_name[name])
    return allsigs - chosen if neg else chosen


def apply_expr(opts: Options, expr: str) -> None:
    key, sep, value = expr.partition("=")
    if not sep:
        key, value = "trace", expr
    if key in ("trace", "t"):
        s = syscall_set(value)
        opts.trace = s if opts.trace is None else opts.trace | s
    elif key in ("signal", "signals", "s"):
        opts.signals = signal_set(value)
    else:
        raise OptionError(f"unsupported -e qualifier '{key}'")


WITH_VALUE = {"o", "e", "s"}


def parse_options(argv: list[str]) -> tuple[Options, str, list[str]]:
    """strace-style options, then PROGRAM and its arguments."""
    opts = Options()
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a.startswith("--trace-insn"):
            if "=" in a:
                opts.insn_range = a.split("=", 1)[1]
            else:
                i += 1
                opts.insn_range = argv[i] if i < len(argv) else None
            if not opts.insn_range:
                raise OptionError("--trace-insn needs START-END")
            i += 1
            continue
        if not a.startswith("-") or a == "-":
            break
        j = 1
        while j < len(a):
            c = a[j]
            if c in WITH_VALUE:
                value = a[j + 1:]
                if not value:
                    i += 1
                    if i >= len(argv):
                        raise OptionError(f"option requires an argument -- '{c}'")
                    value = argv[i]
                if c == "o":
                    opts.output = value
                elif c == "e":
                    apply_expr(opts, value)
                else:
                    if not value.isdigit():
                        raise OptionError(f"invalid -s argument: '{value}'")
                    opts.strsize = int(value)
                break
            if c == "f":
                opts.follow = True
            elif c == "t":
                opts.timestamps += 1
            elif c == "T":
                opts.durations = True
            elif c == "r":
                opts.relative = True
            elif c == "y":
                opts.show_paths = True
            elif c == "c":
                opts.summary = True
            elif c == "q":
                pass
            else:
                raise OptionError(f"invalid option -- '{c}'")
            j += 1
        i += 1
    if i >= len(argv):
        raise OptionError("must have PROG [ARGS] or -p PID")
    return opts, argv[i], argv[i + 1:]


def parse_or_exit(argv: list[str]) -> tuple[Options, str, list[str]]:
    try:
        return parse_options(argv)
    except OptionError as exc:
        print(f"elfemu trace: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
