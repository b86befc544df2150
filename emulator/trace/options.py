"""strace's command line for `elfemu trace`: its short and long options, and --trace-insn.

The syscall filter is computed once, from the one syscall table's names and classes, into
the set of numbers to print; the tracer checks a number against it on each call. Options
that only change how strace itself runs (--seccomp-bpf, -I, -D, -d) are accepted and ignored;
those naming something elfemu cannot do (-p, -P, -k, inject) are refused, never half done.
"""

from __future__ import annotations

import os
import re
import sys

from syscalls.decode import xlat
from syscalls.table import ROWS

# strace's class names (-e trace=%NAME) -> the class words in the table's rows.
CLASS_ALIASES = {"net": "network", "%stat": "%stat", "%statfs": "%statfs"}
PRECISION = {"s": 0, "ms": 3, "us": 6, "ns": 9}
STATUSES = {"successful", "failed", "unfinished", "unavailable", "detached"}
QUIETS = {"attach", "exit", "path-resolution", "personality", "thread-execve"}
SORT_KEYS = {"time": "time", "time_total": "time", "total_time": "time", "calls": "calls", "count": "calls",
             "errors": "errors", "error": "errors", "name": "name", "syscall": "name", "syscall_name": "name",
             "nothing": "nothing", "none": "nothing", "min-time": "min", "min_time": "min", "shortest": "min",
             "max-time": "max", "max_time": "max", "longest": "max", "avg-time": "avg", "avg_time": "avg"}
COLUMNS = {"time-percent": "percent", "time_percent": "percent", "percent": "percent", "total-time": "total",
           "total_time": "total", "time": "total", "min-time": "min", "min_time": "min", "shortest": "min",
           "max-time": "max", "max_time": "max", "longest": "max", "avg-time": "avg", "avg_time": "avg",
           "calls": "calls", "count": "calls", "errors": "errors", "error": "errors", "name": "name",
           "syscall": "name", "syscall_name": "name"}


class OptionError(Exception):
    pass


class Options:
    def __init__(self):
        self.output: str | None = None
        self.append = False  # -A
        self.follow = False
        self.separate = False  # -ff / --output-separately: one file per process, F.PID
        self.timestamps = 0  # -t 1, -tt 2, -ttt 3 (as given; stamp_format/stamp_digits say what to print)
        self.stamp_format: str | None = None  # "time" or "unix"
        self.stamp_digits = 0
        self.durations = False  # -T
        self.duration_digits = 6
        self.relative = False  # -r
        self.relative_digits = 6
        self.strsize = 32
        self.show_paths = 0  # -y 1, -yy 2
        self.summary = False  # -c or -C
        self.summary_only = False  # -c: the table without the trace
        self.sort_by = "time"
        self.summary_columns: list[str] | None = None
        self.summary_wall = False
        self.trace: set[int] | None = None  # syscall numbers to print; None = all
        self.signals: set[int] | None = None  # signals to show --- lines for; None = all
        self.status: set[str] | None = None  # -z/-Z/-e status=: which results to print; None = all
        self.quiet: set[str] = set()
        self.strings_hex = 0  # 1 non-ascii-chars, 2 non-ascii (-x), 3 all (-xx)
        self.numbers = False  # -n
        self.ip = False  # -i
        self.column = 40  # -a
        self.read_fds: set[int] = set()
        self.write_fds: set[int] = set()
        self.raw: set[int] = set()  # -e raw=: syscalls printed undecoded
        self.verbose = False  # -v: execve shows the environment
        self.const_style = "abbrev"  # -X
        self.detach_on_execve = False  # -b execve
        self.trace_paths: set[str] = set()  # -P: only calls naming these files
        self.env: list[tuple[str, str | None]] = []  # -E
        self.insn_range: str | None = None
        self._t_given = False
        self.q_count = 0
        self.f_count = 0  # -f 1, -ff 2; --follow-forks is `follow` (strace refuses both together)
        self.x_count = 0
        self.y_count = 0
        self.long_given: set[str] = set()  # long spellings strace refuses alongside their short ones


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
        if item.endswith("@64"):
            item = item[:-3]
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


def word_set(expr: str, words: set[str], what: str) -> set[str]:
    """status=/quiet=/decode-fds= sets: names from `words`, all/none, a leading ! negating."""
    neg = expr.startswith("!")
    if neg:
        expr = expr[1:]
    chosen: set[str] = set()
    for item in filter(None, expr.split(",")):
        if item == "all":
            chosen |= words
        elif item == "none":
            pass
        elif item in words:
            chosen.add(item)
        else:
            raise OptionError(f"invalid {what} '{item}'")
    return words - chosen if neg else chosen


def fd_set(expr: str) -> set[int]:
    neg = expr.startswith("!")
    if neg:
        expr = expr[1:]
    chosen: set[int] = set()
    for item in filter(None, expr.split(",")):
        if item == "all":
            chosen |= set(range(1 << 16))
        elif item == "none":
            pass
        elif item.isdigit():
            chosen.add(int(item))
        else:
            raise OptionError(f"invalid descriptor '{item}'")
    return set(range(1 << 16)) - chosen if neg else chosen


def apply_expr(opts: Options, expr: str) -> None:
    key, sep, value = expr.partition("=")
    if not sep:
        key, value = "trace", expr
    key = key.replace("_", "-")
    if key in ("trace", "t"):
        s = syscall_set(value)
        opts.trace = s if opts.trace is None else opts.trace | s
    elif key in ("signal", "signals", "s"):
        opts.signals = signal_set(value)
    elif key == "status":
        opts.status = word_set(value, STATUSES, "status")
    elif key in ("quiet", "silent", "silence", "q"):
        opts.quiet = word_set(value, QUIETS, "quiet")
        opts.long_given.add("quiet")
    elif key in ("read", "reads", "r"):
        opts.read_fds = fd_set(value)
    elif key in ("write", "writes", "w"):
        opts.write_fds = fd_set(value)
    elif key in ("raw", "x"):
        opts.raw = syscall_set(value) or set()
    elif key in ("verbose", "v"):
        if (syscall_set(value) or set()) != syscall_set("all"):
            raise OptionError("-e verbose= other than all is not supported by elfemu")
    elif key in ("abbrev", "a"):  # only execve's environment is unabbreviated yet (-v)
        opts.verbose = 59 not in (syscall_set(value) or set())
    elif key in ("decode-fds", "decode-fd"):
        kinds = word_set(value, {"path", "socket", "dev", "pidfd", "signalfd"}, "decode-fds")
        opts.show_paths = 2 if kinds - {"path"} else 1 if kinds else 0
    elif key == "kvm":
        pass
    else:
        raise OptionError(f"unsupported -e qualifier '{key}'")


def set_precision(value: str, what: str) -> int:
    if value not in PRECISION:
        raise OptionError(f"invalid {what} precision '{value}'")
    return PRECISION[value]


def absolute_timestamps(opts: Options, value: str | None) -> None:
    opts.stamp_format, opts.stamp_digits = "time", 0
    for item in filter(None, (value or "").split(",")):
        key, sep, val = item.partition(":")
        if not sep:
            val, key = key, "precision" if key in PRECISION else "format"
        if key == "format" and val in ("none", "time", "unix"):
            opts.stamp_format = None if val == "none" else val
        elif key == "precision":
            opts.stamp_digits = set_precision(val, "timestamp")
        else:
            raise OptionError(f"invalid --absolute-timestamps argument '{item}'")


def strings_in_hex(opts: Options, value: str | None) -> None:
    levels = {"none": 0, "non-ascii-chars": 1, "non-ascii": 2, "all": 3, None: 3}
    if value not in levels:
        raise OptionError(f"invalid --strings-in-hex argument: '{value}'")
    opts.strings_hex = levels[value]


def number(value: str, what: str) -> int:
    if not value.isdigit():
        raise OptionError(f"invalid {what} argument: '{value}'")
    return int(value)


def apply_short(opts: Options, c: str, value: str | None) -> None:
    """One short option (value given for those that take one)."""
    if c == "o":
        opts.output = value
    elif c == "e":
        apply_expr(opts, value)
    elif c == "s":
        opts.strsize = number(value, "-s")
    elif c == "a":
        opts.column = number(value, "-a")
    elif c == "S":
        key = SORT_KEYS.get(value)
        if key is None:
            raise OptionError(f"invalid sortby: '{value}'")
        opts.sort_by = key
    elif c == "U":
        cols = [COLUMNS.get(v) for v in value.split(",")]
        if None in cols:
            raise OptionError(f"invalid -U argument: '{value}'")
        opts.summary_columns = cols
    elif c == "X":
        if value not in ("raw", "abbrev", "verbose"):
            raise OptionError(f"invalid -X argument: '{value}'")
        opts.const_style = value
    elif c == "E":
        var, sep, val = value.partition("=")
        opts.env.append((var, val if sep else None))
    elif c == "b":
        if value != "execve":
            raise OptionError(f"Syscall '{value}' for -b isn't supported")
        opts.detach_on_execve = True
    elif c in "IOu":
        pass  # how strace itself stops, its overhead estimate, the user it runs as: no effect on output
    elif c == "P":
        opts.trace_paths.add(value)
        real = os.path.realpath(value)
        if os.path.exists(value) and real != value:  # strace follows symlinks once, at the start
            opts.trace_paths.add(real)
    elif c in "pkY":
        raise OptionError(f"-{c} is not supported by elfemu")
    elif c == "f":
        opts.f_count += 1
    elif c == "t":
        opts.timestamps += 1
        opts._t_given = True
        opts.stamp_format = "unix" if opts.timestamps >= 3 else "time"
        opts.stamp_digits = 6 if opts.timestamps >= 2 else 0
    elif c == "T":
        opts.durations = True
    elif c == "r":
        opts.relative = True
    elif c == "y":
        opts.y_count += 1
        opts.show_paths = min(opts.y_count, 2)
    elif c in "cC":
        if opts.summary and opts.summary_only != (c == "c"):
            raise OptionError("-c/--summary-only and -C/--summary are mutually exclusive")
        opts.summary = True
        opts.summary_only = c == "c"
    elif c == "w":
        opts.summary_wall = True
    elif c == "q":
        opts.q_count += 1  # -q attach,personality; -qq and exit; -qqq all
        opts.quiet = [set(), {"attach", "personality"}, {"attach", "personality", "exit"}][min(opts.q_count, 3)] \
            if opts.q_count < 3 else set(QUIETS)
    elif c == "x":
        opts.x_count += 1
        opts.strings_hex = 3 if opts.x_count >= 2 else 2
    elif c == "z":
        opts.status = {"successful"}
    elif c == "Z":
        opts.status = {"failed"}
    elif c == "n":
        opts.numbers = True
    elif c == "i":
        opts.ip = True
    elif c == "v":
        opts.verbose = True
    elif c == "A":
        opts.append = True
    elif c in "dD":
        pass
    else:
        raise OptionError(f"invalid option -- '{c}'")


WITH_VALUE = set("oesaSUXEIOupPb")

# --name -> (short option it spells, or a handler; does it take a value: 0 no, 1 required, 2 optional)
LONG = {
    "output": ("o", 1), "trace": ("e", 1), "string-limit": ("s", 1), "columns": ("a", 1),
    "summary-sort-by": ("S", 1), "summary-columns": ("U", 1), "const-print-style": ("X", 1), "env": ("E", 1),
    "interruptible": ("I", 1), "summary-syscall-overhead": ("O", 1), "user": ("u", 1), "detach-on": ("b", 1),
    "attach": ("p", 1), "trace-path": ("P", 1), "stack-traces": ("k", 0),
    "follow-forks": ("f", 0), "summary-only": ("c", 0), "summary": ("C", 0), "summary-wall-clock": ("w", 0),
    "successful-only": ("z", 0), "failed-only": ("Z", 0), "syscall-number": ("n", 0),
    "instruction-pointer": ("i", 0), "no-abbrev": ("v", 0), "output-append-mode": ("A", 0), "debug": ("d", 0),
    "signal": ("signal", 1), "status": ("status", 1), "abbrev": ("abbrev", 1), "verbose": ("verbose", 1),
    "raw": ("raw", 1), "read": ("read", 1), "write": ("write", 1), "kvm": ("kvm", 1),
    "quiet": ("quiet", 2), "silent": ("quiet", 2), "silence": ("quiet", 2), "decode-fds": ("decode-fds", 2), "daemonize": ("D", 2),
    "decode-pids": ("pids", 1),
    "seccomp-bpf": ("", 0), "tips": ("", 2),
    "output-separately": ("separately", 0), "absolute-timestamps": ("absolute", 2),
    "relative-timestamps": ("relative", 2), "syscall-times": ("times", 2), "strings-in-hex": ("hex", 2),
    "inject": ("inject", 1), "fault": ("inject", 1),
}


def apply_long(opts: Options, name: str, value: str | None) -> None:
    what, _ = LONG[name]
    opts.long_given.add(name)
    if name == "follow-forks":
        opts.follow = True
    elif len(what) == 1:
        apply_short(opts, what, value)
    elif what in ("signal", "status", "abbrev", "verbose", "raw", "read", "write", "kvm"):
        apply_expr(opts, f"{what}={value}")
    elif what == "quiet":
        opts.long_given.add("quiet")
        apply_expr(opts, f"quiet={value or 'attach,personality'}")
    elif what == "decode-fds":
        apply_expr(opts, f"decode-fds={value or 'path'}")
    elif what == "pids":
        if value != "pidns":  # comm (-Y) would name every pid's command
            raise OptionError(f"--decode-pids={value} is not supported by elfemu")
    elif what == "separately":
        opts.separate = True
    elif what == "absolute":
        if opts._t_given:
            raise OptionError("-t and --absolute-timestamps cannot be provided simultaneously")
        absolute_timestamps(opts, value)
    elif what == "relative":
        opts.relative = True
        opts.relative_digits = set_precision(value or "us", "relative timestamp")
    elif what == "times":
        opts.durations = True
        opts.duration_digits = set_precision(value or "us", "syscall time")
    elif what == "hex":
        strings_in_hex(opts, value)
    elif what == "inject":
        raise OptionError(f"--{name} is not supported by elfemu")


def long_option(opts: Options, argv: list[str], i: int) -> int:
    """--name[=value] or --name value (getopt_long: unique prefixes allowed); returns the next index."""
    name, sep, value = argv[i][2:].partition("=")
    matches = [n for n in LONG if n == name] or [n for n in LONG if n.startswith(name)]
    if len(matches) != 1:
        kind = "ambiguous" if matches else "unrecognized"
        raise OptionError(f"{kind} option '--{name}'")
    name = matches[0]
    takes = LONG[name][1]
    if not sep:
        value = None
        if takes == 1:
            i += 1
            if i >= len(argv):
                raise OptionError(f"option '--{name}' requires an argument")
            value = argv[i]
    elif takes == 0:
        raise OptionError(f"option '--{name}' doesn't allow an argument")
    apply_long(opts, name, value)
    return i + 1


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
        if a.startswith("--"):
            i = long_option(opts, argv, i)
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
                apply_short(opts, c, value)
                break
            apply_short(opts, c, None)
            j += 1
        i += 1
    if i >= len(argv):
        raise OptionError("must have PROG [ARGS] or -p PID")
    check_combinations(opts)
    return opts, argv[i], argv[i + 1:]


def check_combinations(opts: Options) -> None:
    """What strace decides after reading all options: short/long conflicts, -f vs -ff, -c's companions."""
    given = opts.long_given
    for short, count, long_name in (("-t", opts._t_given, "absolute-timestamps"), ("-x", opts.x_count, "strings-in-hex"),
                                    ("-y", opts.y_count, "decode-fds")):
        if count and long_name in given:
            raise OptionError(f"{short} and --{long_name} cannot be provided simultaneously")
    if opts.q_count and "quiet" in given:
        raise OptionError("-q and -e quiet/--quiet cannot be provided simultaneously")
    if opts.f_count:
        if opts.follow:
            raise OptionError("-f and --follow-forks cannot be provided simultaneously")
        if opts.f_count >= 2 and opts.separate:
            raise OptionError("-ff and --output-separately cannot be provided simultaneously")
        opts.follow, opts.separate = True, opts.f_count >= 2  # a single -f overrides --output-separately
    if opts.separate and opts.summary:
        raise OptionError("(-c/--summary-only or -C/--summary) and -ff/--output-separately are mutually exclusive")
    if opts.summary_wall and not opts.summary:
        raise OptionError("-w/--summary-wall-clock must be given with (-c/--summary-only or -C/--summary)")
    if opts.summary_columns and not opts.summary:
        raise OptionError("-U/--summary-columns must be given with (-c/--summary-only or -C/--summary)")
    if opts.output is None:
        opts.separate = False  # -ff without -o FILE is the same as single -f


def edit_environment(envp: list[bytes], changes: list[tuple[str, str | None]]) -> list[bytes]:
    """-E VAR=VAL replaces VAR in place or adds it at the end; -E VAR removes it (putenv/unsetenv)."""
    env = list(envp)
    for var, val in changes:
        key = var.encode() + b"="
        at = [i for i, e in enumerate(env) if e.startswith(key)]
        if val is None:
            env = [e for e in env if not e.startswith(key)]
        elif at:
            env[at[0]] = key + val.encode()
        else:
            env.append(key + val.encode())
    return env


def parse_or_exit(argv: list[str]) -> tuple[Options, str, list[str]]:
    try:
        return parse_options(argv)
    except OptionError as exc:
        print(f"elfemu trace: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
