"""strace's -e QUALIFIER=VALUE (and the long options that spell one): the sets it selects.

The syscall filter is computed once, from the one syscall table's names and classes, into
the set of numbers to print; the tracer checks a number against it on each call. Every set
takes strace's forms: a comma list, `all`/`none`, and a leading `!` negating it.
"""

from __future__ import annotations

import re

from syscalls.decode import xlat
from syscalls.table import BY_NAME, ROWS

# strace's class names (-e trace=%NAME) -> the class words in the table's rows.
CLASS_ALIASES = {"net": "network", "%stat": "%stat", "%statfs": "%statfs"}
STATUSES = {"successful", "failed", "unfinished", "unavailable", "detached"}
QUIETS = {"attach", "exit", "path-resolution", "personality", "thread-execve"}
DECODE_FDS = {"path", "socket", "dev", "pidfd", "signalfd"}


class OptionError(Exception):
    """A command line strace would refuse: the message is strace's."""


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


def selection(expr: str, everything: set, member) -> set:
    """strace's set syntax: comma-separated items, `all`, `none`, a leading `!` negating the whole;
    member(item) is the one element any other item names (it raises OptionError if none)."""
    neg = expr.startswith("!")
    if neg:
        expr = expr[1:]
    chosen = set()
    for item in filter(None, expr.split(",")):
        if item == "all":
            chosen |= everything
        elif item != "none":
            chosen.add(member(item))
    return everything - chosen if neg else chosen


def signal_set(expr: str) -> set[int]:
    by_name = {name: n for n, name in xlat.SIGNALS}

    def member(item: str) -> int:
        if item.isdigit():
            return int(item)
        name = item.upper()
        name = name if name.startswith("SIG") else "SIG" + name
        if name not in by_name:
            raise OptionError(f"invalid signal '{item}'")
        return by_name[name]

    return selection(expr, set(range(1, 65)), member)


def word_set(expr: str, words: set[str], what: str) -> set[str]:
    """status=/quiet=/decode-fds= sets: names from `words`."""
    def member(item: str) -> str:
        if item not in words:
            raise OptionError(f"invalid {what} '{item}'")
        return item

    return selection(expr, words, member)


def fd_set(expr: str) -> set[int]:
    def member(item: str) -> int:
        if not item.isdigit():
            raise OptionError(f"invalid descriptor '{item}'")
        return int(item)

    return selection(expr, set(range(1 << 16)), member)


def apply_expr(opts, expr: str) -> None:
    """-e EXPR: QUALIFIER=VALUE, or a bare VALUE meaning trace=VALUE."""
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
        opts.verbose = BY_NAME["execve"].nr not in (syscall_set(value) or set())
    elif key in ("decode-fds", "decode-fd"):
        kinds = word_set(value, DECODE_FDS, "decode-fds")
        opts.show_paths = 2 if kinds - {"path"} else 1 if kinds else 0
    elif key == "kvm":
        pass
    else:
        raise OptionError(f"unsupported -e qualifier '{key}'")
