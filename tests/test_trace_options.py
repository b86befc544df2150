"""`elfemu trace` options against the real strace: the same option set on the same static program,
compared after conftest.mask (the addresses ASLR moves, pids, random bytes; nothing else)."""

import os
import re
import subprocess

import pytest

from tests.conftest import HELLO178, LIBCS, diff, heap_range, mask, need_tool, no_core, pids_in, run_emu, sample, traces

# option sets whose whole trace of fileio must equal strace's
SAME_ON_FILEIO = [
    ["-n"], ["-z"], ["-Z"], ["-q"], ["-qq"], ["-a", "30"], ["-a60"], ["-x"], ["-yy"], ["-e", "raw=all"],
    ["-e", "raw=openat,write"], ["-e", "read=3", "-e", "write=1"], ["-e", "status=failed"],
    ["-e", "status=!successful"], ["-e", "quiet=exit"], ["-e", "trace=openat", "-e", "status=successful"],
    ["-e", "read=all"], ["-A"],
    ["--trace=openat,read", "--string-limit=10"], ["--successful-only"], ["--failed-only"], ["--syscall-number"],
    ["--columns=30"], ["--strings-in-hex=non-ascii-chars"], ["--raw=write"], ["--read=3"], ["--write=1,3"],
    ["--status=failed,unfinished"], ["--quiet=exit"], ["--quiet"], ["--seccomp-bpf"], ["--decode-fds=path"],
    ["--decode-fds"], ["--signal=none"], ["--trace", "write"], ["--follow-forks"], ["-C", "-e", "trace=none"],
    ["-I", "1"], ["--interruptible=never"], ["--output-append-mode"], ["-d", "-n"],
]


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("opts", SAME_ON_FILEIO, ids=" ".join)
def test_same_as_strace(opts, libc, tmp_path):
    a, b = traces(sample(libc, "fileio"), options=opts, tmp_path=tmp_path)
    assert a == b, diff(a, b)


IP_LEADER = re.compile(r"^\[[0-9a-f]{16}\] ")


@pytest.mark.parametrize("opts", [["-i"], ["-i", "-n"], ["--instruction-pointer"]], ids=" ".join)
@pytest.mark.parametrize("prog", ["hello178", "fileio", "sig_alarm_pause"])
def test_instruction_pointer(opts, prog, tmp_path):
    """-i: the address after the syscall instruction (static binaries: the same as natively);
    execve's is in strace's own child, before the program exists, so it is not compared."""
    a, b = traces(HELLO178 if prog == "hello178" else sample("glibc", prog), options=opts, tmp_path=tmp_path)
    execve = [i for i, line in enumerate(b) if "execve(" in line]
    for lines in (a, b):
        for i in execve:
            lines[i] = re.sub(r"\[[0-9a-f]{16}\] execve", "[IP] execve", lines[i])
    assert a == b, diff(a, b)
    assert b[-1].endswith("[????????????????] +++ exited with 0 +++")
    assert all(IP_LEADER.search(line.split("] ", 1)[1] if "-n" in opts else line) or "[IP]" in line
               for line in b[:-1])


ODD_ARGS = ["a\x01b", "tab\there", "hi\xffx", "plain", "\x1b1", "oct\x017"]


@pytest.mark.parametrize("opts", [["-x"], ["-xx"], ["--strings-in-hex=non-ascii-chars"], ["--strings-in-hex"],
                                  ["--strings-in-hex=non-ascii"], ["--strings-in-hex=all"], []], ids=" ".join)
def test_strings_in_hex(opts, tmp_path):
    """Octal or hex escapes, a string in hex when it has a non-printable byte (-x), all in hex (-xx):
    the execve line's path and argv too."""
    args = [a.encode("latin-1").decode("utf-8", "surrogateescape") for a in ODD_ARGS]
    a, b = traces(sample("glibc", "argv_envp"), args=args, options=[*opts, "-e", "trace=execve,write,exit_group"],
                  tmp_path=tmp_path)
    assert a == b, diff(a, b)


def test_verbose_execve_environment(tmp_path):
    """-v: execve's environment as strings, all of them."""
    a, b = traces(HELLO178, options=["-v"], tmp_path=tmp_path)
    assert a == b, diff(a, b)
    assert b[0].count('", "') > 10


@pytest.mark.parametrize("opts", [["-E", "ELFEMU_X=1"], ["-E", "HOME=/nowhere"], ["-E", "HOME"],
                                  ["--env=A=1", "--env", "B=2", "-E", "PATH"]], ids=" ".join)
def test_env_changes(opts, tmp_path):
    a, b = traces(sample("glibc", "argv_envp"), options=[*opts, "-v", "-s", "200", "-e", "trace=execve,write"],
                  tmp_path=tmp_path)
    assert a == b, diff(a, b)


def test_summary_with_trace(tmp_path):
    """-C: the whole trace, then the table (whose times differ; its names and counts must not)."""
    a, b = traces(sample("glibc", "fileio"), options=["-C"], tmp_path=tmp_path)
    header = "% time     seconds  usecs/call     calls    errors syscall"
    cut_a, cut_b = a.index(header), b.index(header)
    assert a[:cut_a] == b[:cut_b], diff(a[:cut_a], b[:cut_b])
    assert counts(a[cut_a:]) == counts(b[cut_b:])


def counts(table: list[str]) -> dict:
    """The default table's {name: (calls, errors)}."""
    rows = [line.split() for line in table[2:] if line and not line.startswith("---")]
    return {row[-1]: (row[3], row[4] if len(row) == 6 else "0") for row in rows}


@pytest.mark.parametrize("sort", ["calls", "name", "errors", "nothing", "count", "syscall"])
def test_summary_sort(sort, tmp_path):
    """-S: the same order as strace's (ties keep syscall-number order); -S time is timing-dependent."""
    a, b = traces(sample("glibc", "fileio"), options=["-c", "-S", sort], tmp_path=tmp_path)
    names = [[line.split()[-1] for line in t[2:] if not line.startswith("---")] for t in (a, b)]
    assert names[0] == names[1], diff(*names)
    assert counts(a) == counts(b)


def test_summary_columns(tmp_path):
    cols = "name,calls,max-time,min-time,avg-time,total-time,time-percent,errors"
    a, b = traces(sample("glibc", "fileio"), options=["-c", "-U", cols, "-S", "calls"], tmp_path=tmp_path)
    assert a[:2] == b[:2] and a[-2] == b[-2], diff(a, b)
    assert len(a) == len(b)
    for x, y in zip(a[2:], b[2:]):
        assert x.split()[:2] == y.split()[:2] and len(x) == len(y), (x, y)


def test_summary_wall_clock(tmp_path):
    a, b = traces(sample("glibc", "fileio"), options=["-c", "-w"], tmp_path=tmp_path)
    assert sorted(counts(a).items()) == sorted(counts(b).items())


# natively, a fork interrupted by an early SIGCHLD shows once as `= ? ERESTARTNOINTR` and is redone: a race
RESTARTED = "= ? ERESTARTNOINTR"


def separate_files(tmp_path, argv, opts, who):
    out = tmp_path / who
    out.mkdir()
    env = dict(os.environ)
    if who == "native":
        subprocess.run(["strace", *opts, "-o", str(out / "F"), *map(str, argv)], stdin=subprocess.DEVNULL, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, preexec_fn=no_core)
    else:
        r = run_emu(argv, command="trace", options=[*opts, "-o", str(out / "F")], stdin=subprocess.DEVNULL, env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, capture_output=False)
        assert b"Traceback" not in r.stderr
    files = sorted(out.iterdir(), key=lambda p: int(p.name.split(".")[1]))
    assert all(re.fullmatch(r"F\.\d+", p.name) for p in files), files
    return [p.read_text() for p in files]


@pytest.mark.parametrize("opts", [["-ff"], ["--follow-forks", "--output-separately"], ["--output-separately"]],
                         ids=" ".join)
@pytest.mark.parametrize("prog", ["fork_printf", "fork_fork"])
def test_output_separately(opts, prog, tmp_path):
    """-ff -o F: one file per process, F.PID, each as if that process were traced alone (no prefixes).
    SIGCHLD lines are left out: where one lands among its parent's wait4 calls is a race (so is a restarted fork)."""
    need_tool("strace")
    argv = [sample("glibc", prog)]
    nat, emu = (separate_files(tmp_path, argv, opts, who) for who in ("native", "emu"))
    assert len(nat) == len(emu)
    pids = set().union(*(pids_in(t) for t in nat + emu))

    def clean(text):
        lines = mask(text, pids, heap_range(text, argv[0]))
        return [line for line in lines if not line.startswith("--- SIGCHLD") and RESTARTED not in line]

    nat, emu = sorted(map(clean, nat)), sorted(map(clean, emu))
    for x, y in zip(nat, emu):
        assert x == y, diff(x, y)


def joined(text: str) -> str:
    """A -f trace with its <unfinished ...>/<... resumed> halves put back together, its lines sorted
    by what follows the pid (which process prints first is a race, and the pids differ between runs)
    and SIGCHLD lines left out (where they land is a race too)."""
    out, heads = [], {}
    for line in text.splitlines():
        m = re.match(r"^(\d+ +)(.*) <unfinished \.\.\.>$", line)
        if m:
            heads[m.group(1)] = m.group(2)
            continue
        m = re.match(r"^(\d+ +)(?:\[ *\d+\] )?<\.\.\. \w+ resumed>(.*)$", line)
        if m and m.group(1) in heads:
            head, tail = heads.pop(m.group(1)), m.group(2)
            sep = "" if head.endswith(("(", ", ")) or tail.startswith((")", ", ")) else ", "
            line = m.group(1) + head + sep + tail
        out.append(re.sub(r" {2,}", " ", line))
    kept = (line for line in out if "SIGCHLD" not in line and RESTARTED not in line)
    return "\n".join(sorted(kept, key=lambda line: re.sub(r"^\d+ +", "", line)))  # not by pid: pids vary


@pytest.mark.parametrize("opts", [["-f", "-qq"], ["-f", "-n"], ["-f", "-e", "write=1"], ["-f", "-e", "quiet=attach,exit"],
                                  ["--follow-forks", "-a", "50"]], ids=" ".join)
def test_follow_with_options(opts, tmp_path):
    """(Not -z/-Z: strace's own -f lines then break when a filtered call is interrupted, `) = 12` alone.)"""
    a, b = traces(sample("glibc", "fork_printf"), options=opts, tmp_path=tmp_path, prepare=joined)
    assert a == b, diff(a, b)


@pytest.mark.parametrize("opts, rx", [
    (["--absolute-timestamps"], r"\d\d:\d\d:\d\d "), (["--absolute-timestamps=unix,ms"], r"\d{10}\.\d{3} "),
    (["--absolute-timestamps=format:time,precision:ns"], r"\d\d:\d\d:\d\d\.\d{9} "),
    (["--absolute-timestamps=unix"], r"\d{10} "), (["--relative-timestamps=ms"], r" {5}\d\.\d{3} "),
    (["--relative-timestamps=s"], r" {5}\d "), (["-r", "--relative-timestamps=ns"], r" {5}\d\.\d{9} "),
    (["-tt", "-n"], r"\d\d:\d\d:\d\d\.\d{6} \[ +\d+\] "), (["--absolute-timestamps=none"], r""),
    (["-r", "-t"], r"\d\d:\d\d:\d\d \(\+ +\d\.\d{6}\) "),
    (["-tt", "--relative-timestamps=ms"], r"\d\d:\d\d:\d\d\.\d{6} \(\+ +\d\.\d{3}\) "),
])
def test_timestamp_precisions(opts, rx):
    """The leader strace writes with each precision: the same shape (the clock differs)."""
    need_tool("strace")
    native = subprocess.run(["strace", *opts, str(HELLO178)], capture_output=True, timeout=60)
    emu = run_emu([HELLO178], command="trace", options=opts)
    n, e = native.stderr.decode().splitlines(), emu.stderr.decode().splitlines()
    assert len(n) == len(e) and all(re.match(rx, line) for line in e), e
    strip = [[re.sub("^" + rx, "", line).split(" = ")[0].split("execve(")[0] for line in t] for t in (n, e)]
    assert strip[0] == strip[1]


@pytest.mark.parametrize("opts, rx", [(["--syscall-times=s"], r"<\d+>$"), (["--syscall-times=ns"], r"<\d+\.\d{9}>$"),
                                      (["-T"], r"<\d+\.\d{6}>$"), (["--syscall-times=ms"], r"<\d+\.\d{3}>$")])
def test_syscall_time_precisions(opts, rx):
    lines = run_emu([HELLO178], command="trace", options=opts).stderr.decode().splitlines()
    assert re.search(rx, lines[1]), lines


@pytest.mark.parametrize("opts, message", [
    (["--no-such-option"], "unrecognized option '--no-such-option'"), (["--s=5"], "ambiguous option"),
    (["--string-limit"], "invalid -s argument"), (["-f", "--follow-forks"], "cannot be provided simultaneously"),
    (["-ff", "--output-separately", "-o", "x"], "cannot be provided simultaneously"), (["-U", "calls"], "-U"),
    (["-c", "-C"], "mutually exclusive"), (["-ff", "-c", "-o", "x"], "mutually exclusive"), (["-w"], "-w"),
    (["-x", "--strings-in-hex"], "simultaneously"), (["-q", "-e", "quiet=exit"], "simultaneously"), (["--follow-forks=1"], "doesn't allow an argument"),
    (["-S", "bogus"], "invalid sortby"), (["-b", "open"], "for -b isn't supported"), (["-Y"], "not supported"), (["-e", "status=bogus"], "invalid status"), (["-p", "1"], "not supported"), (["-k"], "not supported"),
    (["--strings-in-hex=bogus"], "invalid --strings-in-hex"), (["-a", "x"], "invalid -a argument"),
])
def test_bad_options(opts, message):
    r = run_emu([HELLO178], command="trace", options=opts)
    assert r.returncode == 1 and message in r.stderr.decode() and b"Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("style", ["raw", "verbose", "abbrev"])
@pytest.mark.parametrize("prog", ["fileio", "sig_pending", "sig_alarm_pause", "sig_segv_recover", "exit_modes"])
@pytest.mark.parametrize("libc", LIBCS)
def test_const_print_style(style, prog, libc, tmp_path):
    """-X raw: named constants as numbers (flags and enums in hex, signals and modes as C would);
    -X verbose: the number and its names in a comment."""
    a, b = traces(sample(libc, prog), options=["-X", style], tmp_path=tmp_path, status=2 if prog == "exit_modes" else 0)
    assert a == b, diff(a, b)


def unstamped(text: str) -> str:
    """-v's stat fields that differ between any two runs: inode numbers and times."""
    text = re.sub(r"st_ino=\d+", "st_ino=N", text)
    text = re.sub(r"time=\d+ /\* [^*]+ \*/", "time=T", text)
    return re.sub(r"time_nsec=\d+", "time_nsec=N", text)


@pytest.mark.parametrize("opts", [["-v"], ["--no-abbrev"], ["-e", "abbrev=none"]], ids=" ".join)
@pytest.mark.parametrize("libc", LIBCS)
def test_verbose_structures(opts, libc, tmp_path):
    """-v: execve's environment and every field of struct stat, times with strace's ISO comment."""
    a, b = traces(sample(libc, "fileio"), options=opts, tmp_path=tmp_path, prepare=unstamped)
    assert a == b, diff(a, b)
    assert any("st_blksize=" in line for line in b)


@pytest.mark.parametrize("opts", [["-b", "execve"], ["--detach-on=execve"], ["-f", "-b", "execve"], ["-n", "-bexecve"]],
                         ids=" ".join)
def test_detach_on_execve(opts, tmp_path):
    """-b execve: the execve line ends in `<detached ...>` and nothing of the new program is traced."""
    a, b = traces(sample("glibc", "execve_demo"), options=opts, tmp_path=tmp_path)
    assert a == b, diff(a, b)
    assert b[-1].endswith("<detached ...>")


@pytest.mark.parametrize("libc", LIBCS)
@pytest.mark.parametrize("path", ["/dev/null", "/proc/self/exe", "PROGRAM", "/nonexistent"])
def test_trace_path(path, libc, tmp_path):
    """-P PATH: only the calls naming PATH, by a path argument or by an fd open on it (stdout is /dev/null)."""
    prog = sample(libc, "fileio")
    opts = ["-P", str(prog) if path == "PROGRAM" else path]
    a, b = traces(prog, options=opts, tmp_path=tmp_path)
    assert a == b, diff(a, b)
    a, b = traces(prog, options=["--trace-path=/dev/null", "-e", "trace=write"], tmp_path=tmp_path)
    assert a == b, diff(a, b)
