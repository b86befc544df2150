"""strace's command line for `elfemu trace`: its short and long options, and --trace-insn.

Both kinds are tables, as getopt sees them: SHORT maps a letter to what it sets, LONG a
name to the letter it spells or to its own setter; -e's qualifiers (and the long options
that spell one) are qualifiers.py's. Options that only change how strace itself runs
(--seccomp-bpf, -I, -D, -d) are accepted and ignored; those naming something elfemu cannot do
(-p, -k, -Y, inject) are refused, never half done.
"""

from __future__ import annotations

import os
import sys

from emulator.task.settings import GuestSettings, SettingError, take_option
from emulator.trace.qualifiers import QUIETS, OptionError, apply_expr

PRECISION = {"s": 0, "ms": 3, "us": 6, "ns": 9}
SORT_KEYS = {"time": "time", "time_total": "time", "total_time": "time", "calls": "calls", "count": "calls",
             "errors": "errors", "error": "errors", "name": "name", "syscall": "name", "syscall_name": "name",
             "nothing": "nothing", "none": "nothing", "min-time": "min", "min_time": "min", "shortest": "min",
             "max-time": "max", "max_time": "max", "longest": "max", "avg-time": "avg", "avg_time": "avg"}
COLUMNS = {"time-percent": "percent", "time_percent": "percent", "percent": "percent", "total-time": "total",
           "total_time": "total", "time": "total", "min-time": "min", "min_time": "min", "shortest": "min",
           "max-time": "max", "max_time": "max", "longest": "max", "avg-time": "avg", "avg_time": "avg",
           "calls": "calls", "count": "calls", "errors": "errors", "error": "errors", "name": "name",
           "syscall": "name", "syscall_name": "name"}


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
        self.settings = GuestSettings()  # elfemu's own --rootfs/--time-rate/--time-start (task/settings.py)


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


def sets(**fields):
    """A setter for an option that only stores fixed values (most flags)."""
    def apply(opts: Options, _value) -> None:
        for name, value in fields.items():
            setattr(opts, name, value.copy() if isinstance(value, set) else value)
    return apply


def ignored(opts: Options, value) -> None:
    """How strace itself stops, its overhead estimate, the user it runs as: no effect on output."""


def refused(text: str):
    def apply(opts: Options, _value) -> None:
        raise OptionError(text)
    return apply


def output_file(opts: Options, value: str) -> None:
    opts.output = value


def string_limit(opts: Options, value: str) -> None:
    opts.strsize = number(value, "-s")


def columns(opts: Options, value: str) -> None:
    opts.column = number(value, "-a")


def sort_by(opts: Options, value: str) -> None:
    key = SORT_KEYS.get(value)
    if key is None:
        raise OptionError(f"invalid sortby: '{value}'")
    opts.sort_by = key


def summary_columns(opts: Options, value: str) -> None:
    cols = [COLUMNS.get(v) for v in value.split(",")]
    if None in cols:
        raise OptionError(f"invalid -U argument: '{value}'")
    opts.summary_columns = cols


def const_style(opts: Options, value: str) -> None:
    if value not in ("raw", "abbrev", "verbose"):
        raise OptionError(f"invalid -X argument: '{value}'")
    opts.const_style = value


def environment(opts: Options, value: str) -> None:
    var, sep, val = value.partition("=")
    opts.env.append((var, val if sep else None))


def detach_on(opts: Options, value: str) -> None:
    if value != "execve":
        raise OptionError(f"Syscall '{value}' for -b isn't supported")
    opts.detach_on_execve = True


def trace_path(opts: Options, value: str) -> None:
    opts.trace_paths.add(value)
    real = os.path.realpath(value)
    if os.path.exists(value) and real != value:  # strace follows symlinks once, at the start
        opts.trace_paths.add(real)


def follow(opts: Options, _value) -> None:
    opts.f_count += 1


def timestamps(opts: Options, _value) -> None:
    opts.timestamps += 1
    opts._t_given = True
    opts.stamp_format = "unix" if opts.timestamps >= 3 else "time"
    opts.stamp_digits = 6 if opts.timestamps >= 2 else 0


def decode_fds(opts: Options, _value) -> None:
    opts.y_count += 1
    opts.show_paths = min(opts.y_count, 2)


def summary(only: bool):
    """-c (only the table) or -C (the trace and the table)."""
    def apply(opts: Options, _value) -> None:
        if opts.summary and opts.summary_only != only:
            raise OptionError("-c/--summary-only and -C/--summary are mutually exclusive")
        opts.summary, opts.summary_only = True, only
    return apply


def quieter(opts: Options, _value) -> None:
    opts.q_count += 1  # -q attach,personality; -qq and exit; -qqq all
    opts.quiet = [set(), {"attach", "personality"}, {"attach", "personality", "exit"}][opts.q_count] \
        if opts.q_count < 3 else set(QUIETS)


def hex_strings(opts: Options, _value) -> None:
    opts.x_count += 1
    opts.strings_hex = 3 if opts.x_count >= 2 else 2


# -LETTER -> (what it sets, does it take a value). strace's getopt string, as a table.
SHORT = {
    "o": (output_file, True), "e": (apply_expr, True), "s": (string_limit, True), "a": (columns, True),
    "S": (sort_by, True), "U": (summary_columns, True), "X": (const_style, True), "E": (environment, True),
    "b": (detach_on, True), "P": (trace_path, True),
    "I": (ignored, True), "O": (ignored, True), "u": (ignored, True), "d": (ignored, False), "D": (ignored, False),
    "p": (refused("-p is not supported by elfemu"), True), "k": (refused("-k is not supported by elfemu"), False),
    "Y": (refused("-Y is not supported by elfemu"), False),
    "f": (follow, False), "t": (timestamps, False), "T": (sets(durations=True), False),
    "r": (sets(relative=True), False), "y": (decode_fds, False), "c": (summary(only=True), False),
    "C": (summary(only=False), False), "w": (sets(summary_wall=True), False), "q": (quieter, False),
    "x": (hex_strings, False), "z": (sets(status={"successful"}), False), "Z": (sets(status={"failed"}), False),
    "n": (sets(numbers=True), False), "i": (sets(ip=True), False), "v": (sets(verbose=True), False),
    "A": (sets(append=True), False),
}
WITH_VALUE = {c for c, (_, takes) in SHORT.items() if takes}


def apply_short(opts: Options, c: str, value: str | None) -> None:
    """One short option (value given for those that take one)."""
    entry = SHORT.get(c)
    if entry is None:
        raise OptionError(f"invalid option -- '{c}'")
    entry[0](opts, value)


def qualifier(key: str, default: str | None = None):
    """A long option that spells an -e qualifier: --signal=X is -e signal=X."""
    def apply(opts: Options, value: str | None) -> None:
        apply_expr(opts, f"{key}={value or default}" if default else f"{key}={value}")
    return apply


def quiet(opts: Options, value: str | None) -> None:
    opts.long_given.add("quiet")
    apply_expr(opts, f"quiet={value or 'attach,personality'}")


def decode_pids(opts: Options, value: str | None) -> None:
    if value != "pidns":  # comm (-Y) would name every pid's command
        raise OptionError(f"--decode-pids={value} is not supported by elfemu")


def absolute(opts: Options, value: str | None) -> None:
    if opts._t_given:
        raise OptionError("-t and --absolute-timestamps cannot be provided simultaneously")
    absolute_timestamps(opts, value)


def relative(opts: Options, value: str | None) -> None:
    opts.relative = True
    opts.relative_digits = set_precision(value or "us", "relative timestamp")


def syscall_times(opts: Options, value: str | None) -> None:
    opts.durations = True
    opts.duration_digits = set_precision(value or "us", "syscall time")


# --name -> (the short option it spells, or its own setter; does it take a value: 0 no, 1 required, 2 optional)
LONG = {
    "output": ("o", 1), "trace": ("e", 1), "string-limit": ("s", 1), "columns": ("a", 1),
    "summary-sort-by": ("S", 1), "summary-columns": ("U", 1), "const-print-style": ("X", 1), "env": ("E", 1),
    "interruptible": ("I", 1), "summary-syscall-overhead": ("O", 1), "user": ("u", 1), "detach-on": ("b", 1),
    "attach": ("p", 1), "trace-path": ("P", 1), "stack-traces": ("k", 0),
    "follow-forks": (sets(follow=True), 0), "summary-only": ("c", 0), "summary": ("C", 0),
    "summary-wall-clock": ("w", 0), "successful-only": ("z", 0), "failed-only": ("Z", 0), "syscall-number": ("n", 0),
    "instruction-pointer": ("i", 0), "no-abbrev": ("v", 0), "output-append-mode": ("A", 0), "debug": ("d", 0),
    "signal": (qualifier("signal"), 1), "status": (qualifier("status"), 1), "abbrev": (qualifier("abbrev"), 1),
    "verbose": (qualifier("verbose"), 1), "raw": (qualifier("raw"), 1), "read": (qualifier("read"), 1),
    "write": (qualifier("write"), 1), "kvm": (qualifier("kvm"), 1),
    "quiet": (quiet, 2), "silent": (quiet, 2), "silence": (quiet, 2),
    "decode-fds": (qualifier("decode-fds", "path"), 2), "daemonize": ("D", 2), "decode-pids": (decode_pids, 1),
    "seccomp-bpf": (ignored, 0), "tips": (ignored, 2),
    "output-separately": (sets(separate=True), 0), "absolute-timestamps": (absolute, 2),
    "relative-timestamps": (relative, 2), "syscall-times": (syscall_times, 2), "strings-in-hex": (strings_in_hex, 2),
    "inject": (refused("--inject is not supported by elfemu"), 1),
    "fault": (refused("--fault is not supported by elfemu"), 1),
}


def apply_long(opts: Options, name: str, value: str | None) -> None:
    what, _ = LONG[name]
    opts.long_given.add(name)
    if isinstance(what, str):
        apply_short(opts, what, value)
    else:
        what(opts, value)


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
            try:
                after = take_option(opts.settings, argv, i)
            except SettingError as exc:
                raise OptionError(str(exc)) from None
            i = after if after is not None else long_option(opts, argv, i)
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
