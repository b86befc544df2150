"""`elfemu trace` against the real strace on the same binaries.

Both write to -o files (so the guest's own output never interleaves); the traces are
compared after conftest.mask has replaced what differs between any two runs: addresses of the
heap, the mmap area, the stack and a PIE's image (ASLR puts them elsewhere each run), pids,
random bytes (getrandom), and the padding that follows from them. Every other number compares
exactly: static addresses, flags, sizes, return values.
"""

import re
import subprocess

import pytest

from tests.conftest import HELLO178, LIBCS, PROGS, ROOT, SAMPLES, diff, need_tool, run_emu, sample, traces

# Samples whose traces are compared line by line (the bench_* loops are long on purpose).
TRACE_SAMPLES = sorted(p.name for p in (SAMPLES / "glibc").iterdir()
                       if p.is_file() and not p.name.startswith("bench") and (SAMPLES / "musl" / p.name).exists()) \
    if (SAMPLES / "glibc").is_dir() else []


# ----- the lecture's hello world: identical ----------------------------------------------------
def test_hello178_identical(tmp_path):
    a, b = traces(HELLO178, tmp_path=tmp_path)
    assert a == b, diff(a, b)
    assert b[1] == 'write(1, "Hello world\\n", 12) = 12'


def test_hello178_unmasked_format():
    """The raw line layout: result column 40, `= ?` for exit_group, the lifecycle line."""
    r = run_emu([HELLO178], command="trace")
    lines = r.stderr.decode().splitlines()
    assert lines[0].startswith('execve("') and lines[0].endswith(" vars */) = 0")
    assert lines[1:] == ['write(1, "Hello world\\n", 12)           = 12',
                         "exit_group(0)                           = ?",
                         "+++ exited with 0 +++"]
    assert r.stdout == b"Hello world\n"


# ----- the static C samples: every line agrees, but for the differences named here -------------------
# How each sample ends without arguments (named_pipe and exit_modes print their usage): 0 when not named.
SAMPLE_STATUS = {"exit_modes": 2, "named_pipe": 2, "null_deref": -11, "sig_self_kill": -15}


def comparable(lines: list[str]) -> list[str]:
    """The lines the comparison leaves out, each for a reason:
    - `--- SIGCHLD`: where it lands among its parent's calls is a race, natively as under elfemu;
    - `= ? ERESTARTNOINTR`: natively, a fork that an earlier child's SIGCHLD interrupts shows once so
      and is redone (the same race);
    - the fstat and reads of /proc/self/maps: a known difference of elfemu's (it is a memfd, so fstat
      shows S_IFREG|0777 and its size where Linux's seq_file shows 0444, size 0 and st_blksize 1024,
      stdio then reads it in other blocks; and elfemu's map has no [vsyscall] line)."""
    out, in_maps = [], False
    for line in lines:
        if line.startswith(("open(", "openat(")) and '"/proc/self/maps"' in line:
            in_maps = True
        elif in_maps and line.startswith("close("):
            in_maps = False
        elif in_maps and line.startswith(("read(", "newfstatat(", "fstat(")):
            continue
        if not line.startswith("--- SIGCHLD ") and not line.endswith("= ? ERESTARTNOINTR (To be restarted)"):
            out.append(line)
    return out


@pytest.mark.parametrize("libc", LIBCS)
def test_samples_agree(libc, tmp_path):
    assert TRACE_SAMPLES, "run `make samples` first"
    differ = []
    for name in TRACE_SAMPLES:
        d = tmp_path / name
        d.mkdir()
        a, b = traces(sample(libc, name), tmp_path=d, status=SAMPLE_STATUS.get(name, 0))
        if comparable(a) != comparable(b):
            differ.append(f"{libc}/{name}:\n{diff(comparable(a), comparable(b))}")
    assert not differ, "\n".join(differ)


@pytest.mark.parametrize("libc", LIBCS)
def test_segfault_lines(libc, tmp_path):
    a, b = traces(sample(libc, "null_deref"), tmp_path=tmp_path, status=-11)
    assert b[-2:] == a[-2:]
    assert b[-1] == "+++ killed by SIGSEGV +++"
    assert b[-2].startswith("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=")


# ----- options, each against strace's own output ------------------------------------------------------
@pytest.mark.parametrize("expr", ["trace=write", "trace=%file", "trace=%memory", "trace=%process", "trace=%desc",
                                  "trace=!brk,mprotect", "trace=/^(brk|write)$", "trace=%signal", "trace=%creds",
                                  "trace=%stat", "trace=%%stat", "trace=%fstat", "trace=none"])
def test_filter_like_strace(expr, tmp_path):
    prog = sample("glibc", "fileio")
    a, b = traces(prog, options=["-e", expr], tmp_path=tmp_path)
    assert a == b, diff(a, b)


def test_signal_filter(tmp_path):
    prog = sample("glibc", "null_deref")
    a, b = traces(prog, options=["-e", "signal=none"], tmp_path=tmp_path, status=-11)
    assert a == b, diff(a, b)
    assert not any(line.startswith("---") for line in b)


@pytest.mark.parametrize("opts", [["-s", "5"], ["-s100"], ["-y"], ["-e", "trace=openat,read", "-y", "-s", "8"]])
def test_decoding_options_like_strace(opts, tmp_path):
    a, b = traces(sample("glibc", "fileio"), options=opts, tmp_path=tmp_path)
    assert a == b, diff(a, b)


def test_yflag_paths(tmp_path):
    _, b = traces(sample("glibc", "fileio"), options=["-y"], tmp_path=tmp_path)
    assert any(re.search(r'openat\(AT_FDCWD<[^>]+>, ".*data.txt", .*\) = 3<.*data.txt>', line) for line in b)


def test_output_file_and_stderr(tmp_path):
    out = tmp_path / "t"
    r = run_emu([HELLO178], command="trace", options=["-o", str(out)])
    assert r.stdout == b"Hello world\n" and r.stderr == b""
    assert "+++ exited with 0 +++" in out.read_text()


def test_run_dash_dash_trace():
    r = run_emu(["--trace", "-e", "trace=write", HELLO178], command="run")
    assert r.stderr.decode().splitlines()[0] == 'write(1, "Hello world\\n", 12)           = 12'


def test_timestamps_and_durations():
    plain = run_emu([HELLO178], command="trace").stderr.decode().splitlines()
    for opts, rx in ((["-tt"], r"^\d\d:\d\d:\d\d\.\d{6} "), (["-t"], r"^\d\d:\d\d:\d\d "),
                     (["-ttt"], r"^\d+\.\d{6} "), (["-r"], r"^ {5}\d\.\d{6} ")):
        lines = run_emu([HELLO178], command="trace", options=opts).stderr.decode().splitlines()
        assert len(lines) == len(plain)
        assert all(re.match(rx, line) for line in lines), (opts, lines)
        assert [re.sub(rx, "", line).split(" = ")[0].rstrip() for line in lines] == \
            [line.split(" = ")[0].rstrip() for line in plain]
    lines = run_emu([HELLO178], command="trace", options=["-T"]).stderr.decode().splitlines()
    assert re.fullmatch(r'write\(1, "Hello world\\n", 12\) +=  ?12 <\d+\.\d{6}>', lines[1].replace("= 12", "=  12"))
    assert lines[2].endswith("= ?")


def test_summary_counts(tmp_path):
    """-c: strace's table; the totals equal the number of traced calls (and strace's counts)."""
    prog = sample("glibc", "fileio")
    traced = run_emu([prog], command="trace", options=["-o", str(tmp_path / "plain")], capture_output=False,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert traced.returncode == 0
    lines = (tmp_path / "plain").read_text().splitlines()
    # strace -c counts the calls that return: every traced call but exit_group's `= ?`
    calls = [line for line in lines if not line.startswith(("+++", "---")) and not line.endswith("= ?")]
    r = run_emu([prog], command="trace", options=["-c", "-o", str(tmp_path / "sum")], capture_output=False,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    table = (tmp_path / "sum").read_text().splitlines()
    assert table[0] == "% time     seconds  usecs/call     calls    errors syscall"
    total = table[-1].split()
    assert total[-1] == "total" and int(total[3]) == len(calls)
    errors = sum(1 for line in calls if " = -1 " in line)
    assert int(total[4]) == errors
    subprocess.run(["strace", "-c", "-o", str(tmp_path / "nat"), str(prog)], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)

    def counts(lines):
        rows = [line.split() for line in lines[2:-2]]
        return {row[-1]: int(row[3]) for row in rows}

    assert counts(table) == counts((tmp_path / "nat").read_text().splitlines())
    assert r.returncode == 0 and b"Traceback" not in r.stderr


def test_follow_forks(tmp_path):
    """-f: children are traced with strace's prefixes, on stderr and in -o files."""
    prog = sample("glibc", "fork_printf")
    r = run_emu([prog], command="trace", options=["-f"], stdin=subprocess.DEVNULL)
    err = r.stderr.decode()
    child = re.findall(r"^\[pid +(\d+)\] ", err, re.M)
    assert child, err
    assert re.search(r"^\[pid +\d+\] \+\+\+ exited with 0 \+\+\+$", err, re.M)
    assert err.rstrip().endswith("+++ exited with 0 +++")
    for line in err.splitlines():
        if "resumed>" in line:
            name = re.search(r"<\.\.\. (\w+) resumed>", line).group(1)
            assert f"{name}(" in err.split(line)[0]
    out = tmp_path / "f"
    r = run_emu([prog], command="trace", options=["-f", "-o", str(out)], stdin=subprocess.DEVNULL)
    native = subprocess.run(["strace", "-f", "-o", str(tmp_path / "n"), str(prog)], capture_output=True)
    assert r.stderr == native.stderr == b""  # with -o, no "Process N attached" chatter, as strace
    lines = out.read_text().splitlines()
    assert all(re.match(r"^\d+ +\S", line) for line in lines), lines
    assert len({line.split()[0] for line in lines}) >= 2
    unfinished = [line for line in lines if line.endswith("<unfinished ...>")]
    resumed = [line for line in lines if "resumed>" in line]
    assert len(unfinished) == len(resumed)


def test_without_follow_children_are_silent():
    prog = sample("glibc", "fork_printf")
    r = run_emu([prog], command="trace", stdin=subprocess.DEVNULL)
    err = r.stderr.decode()
    assert "[pid" not in err and err.count("+++ exited") == 1, err


def test_trace_insn_hello178():
    """--trace-insn: the lecture's hello world, instruction by instruction, with its syscalls."""
    from elftools.elf.elffile import ELFFile

    with open(HELLO178, "rb") as f:
        entry = ELFFile(f).header.e_entry
    r = run_emu([HELLO178], command="trace", options=["--trace-insn", f"{entry:#x}-{entry + 0x40:#x}"])
    lines = r.stderr.decode().splitlines()
    assert lines[1] == f"{entry:#x}: mov rax, 1"
    write = lines.index('write(1, "Hello world\\n", 12)           = 12')
    assert lines[write - 1].endswith(": syscall")
    assert lines[-3].endswith(": syscall") and lines[-2].startswith("exit_group(0)")
    assert sum(1 for line in lines if line.startswith("0x")) == 8


def test_trace_insn_symbol():
    r = run_emu([sample("glibc", "hello")], command="trace", options=["--trace-insn", "main", "-e", "trace=write"])
    lines = r.stderr.decode().splitlines()
    assert re.match(r"0x[0-9a-f]+: (push|endbr64)", lines[0]), lines
    assert any(line.startswith("write(1,") for line in lines)
    assert any(re.match(r"0x[0-9a-f]+: ret$", line) for line in lines)


def test_bad_options():
    r = run_emu([HELLO178], command="trace", options=["-e", "trace=nosuchcall"])
    assert r.returncode == 1 and b"invalid system call" in r.stderr and b"Traceback" not in r.stderr


def test_unknown_syscall_number(tmp_path, build):
    exe = build("#include <unistd.h>\nint main(){ syscall(999, 1, 2); return 0; }\n")
    a, b = traces(exe, tmp_path=tmp_path)
    unknown = [x for x in a if x.startswith("syscall_")]
    assert len(unknown) == 1 and unknown[0].startswith("syscall_0x3e7(0x1, 0x2, "), a
    assert unknown[0].endswith(") = -1 ENOSYS (Function not implemented)")
    assert [x for x in b if x.startswith("syscall_")] == unknown


def test_root_fixture_sanity():
    assert (ROOT / "emulator" / "trace" / "tracer.py").exists()


def summary_counts(path) -> dict:
    lines = path.read_text().splitlines()
    assert lines[0] == "% time     seconds  usecs/call     calls    errors syscall"
    return {row.split()[-1]: int(row.split()[3]) for row in lines[2:-2]}


def test_summary_follow_counts_children(tmp_path):
    """-c -f: the table covers every process, as strace's does."""
    prog = sample("glibc", "fork_printf")
    run_emu([prog], command="trace", options=["-f", "-c", "-o", str(tmp_path / "e")], stdin=subprocess.DEVNULL,
            capture_output=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["strace", "-f", "-c", "-o", str(tmp_path / "n"), str(prog)], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    emu, nat = summary_counts(tmp_path / "e"), summary_counts(tmp_path / "n")
    assert emu == nat


def test_trace_insn_static_pie():
    r = run_emu([sample("glibc", "hello_pie")], command="trace", options=["--trace-insn", "main", "-e", "trace=none"])
    lines = r.stderr.decode().splitlines()
    assert re.match(r"0x55[0-9a-f]+: (push rbp|endbr64)$", lines[0]), lines
    assert lines[-1] == "+++ exited with 0 +++"


def test_trace_insn_bad_range():
    r = run_emu([HELLO178], command="trace", options=["--trace-insn", "no_such_symbol"])
    assert r.returncode == 1 and r.stderr.decode().count("\n") == 1 and b"no_such_symbol" in r.stderr


DECODE_PROG = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char b[4096], path[256];
    snprintf(path, sizeof path, "%s/d1", argv[1]);
    mkdirat(AT_FDCWD, path, 0750);
    int d = open(path, O_RDONLY | O_DIRECTORY);
    int f = openat(d, "a", O_CREAT | O_EXCL | O_WRONLY, 0640);
    ftruncate(f, 100); fsync(f); flock(f, LOCK_EX | LOCK_NB);
    struct iovec v[2] = {{"ab\1" "8", 4}, {"\t\"\\x", 4}};
    writev(f, v, 2); close(f);
    symlinkat("a", d, "s"); readlinkat(d, "s", b, 64); linkat(d, "a", d, "h", 0);
    renameat2(d, "h", d, "h2", RENAME_NOREPLACE); fchmodat(d, "a", 0600, 0);
    struct timespec ts[2] = {{1, 2}, {3, 4}};
    utimensat(d, "a", ts, 0); utimensat(d, "a", NULL, AT_SYMLINK_NOFOLLOW);
    faccessat(d, "a", R_OK, 0); faccessat(d, "nope", W_OK | X_OK, 0);
    struct stat st; fstatat(d, "a", &st, AT_SYMLINK_NOFOLLOW);
    unlinkat(d, "s", 0); unlinkat(d, "h2", 0); unlinkat(d, "a", 0);
    fchdir(d); getcwd(b, 256); chdir("/"); close(d); rmdir(path);
    int p[2]; pipe2(p, O_CLOEXEC | O_NONBLOCK); dup3(p[0], 9, 0);
    fd_set r; FD_ZERO(&r); FD_SET(p[0], &r); struct timeval tv = {0, 0};
    select(p[0] + 1, &r, NULL, NULL, &tv);
    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}}; poll(pf, 2, 0);
    write(p[1], "zz", 2); read(p[0], b, 64); read(p[0], b, 64);
    fcntl(p[0], F_GETFL); fcntl(p[0], F_SETFD, FD_CLOEXEC); fcntl(p[0], F_GETFD); fcntl(p[0], F_DUPFD, 20);
    snprintf(path, sizeof path, "%s/fifo", argv[1]);
    mknod(path, S_IFIFO | 0644, 0); unlink(path); umask(077);
    struct timespec rq = {0, 1000}; clock_nanosleep(CLOCK_MONOTONIC, 0, &rq, NULL); nanosleep(&rq, NULL);
    sigset_t ss; sigemptyset(&ss); sigaddset(&ss, SIGUSR1); sigaddset(&ss, 40);
    sigprocmask(SIG_BLOCK, &ss, NULL); sigfillset(&ss); sigprocmask(SIG_BLOCK, &ss, &ss);
    struct sigaction sa = {0}; sa.sa_handler = SIG_IGN; sigaction(SIGPIPE, &sa, NULL); sigaction(SIGPIPE, NULL, &sa);
    lseek(0, -1, SEEK_CUR); open("/nonexistent/x", O_RDONLY); access("/", R_OK | W_OK);
    char name[16]; prctl(PR_GET_NAME, name); prctl(PR_SET_NAME, "renamed"); prctl(PR_SET_PDEATHSIG, SIGKILL);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {AF_UNIX}; strcpy(a.sun_path, "/nonexistent/sock"); connect(s, (void *)&a, sizeof a);
    kill(0, 0); syscall(999, 1, 0, 3);
    return 0;
}
"""


def test_decoders_like_strace(tmp_path, build):
    """Many argument and struct printers at once, against strace on the same program."""
    exe = build(DECODE_PROG, opt="-O0")
    work = tmp_path / "w"
    work.mkdir()
    a, b = traces(exe, [str(work)], tmp_path=tmp_path)
    assert a == b, diff(a, b)


def test_msghdr_like_strace(tmp_path, build):
    """sendmsg/recvmsg print the whole msghdr: iovecs, SCM_RIGHTS control data, MSG_TRUNC."""
    exe = build(PROGS / "msg_calls.c")
    a, b = traces(exe, options=["-e", "trace=sendmsg,recvmsg"], tmp_path=tmp_path)
    assert a == b, diff(a, b)
    assert any("cmsg_type=SCM_RIGHTS" in line for line in b) and any("MSG_TRUNC" in line for line in b)


def test_follow_prefix_counts_filtered_forks():
    """-f on stderr: strace prefixes [pid N] while several processes are traced, even when
    -e trace= hides the forks that made them."""
    argv = [need_tool("busybox"), "sh", "-c", "cat /proc/self/comm | head -1"]
    head_line = re.compile(r'^\[pid +\d+\] prctl\(PR_SET_NAME, "head"\) += 0$', re.M)
    native = subprocess.run(["strace", "-f", "-e", "trace=prctl", *argv], capture_output=True, timeout=60)
    emu = run_emu(argv, command="trace", options=["-f", "-e", "trace=prctl"])
    assert head_line.search(native.stderr.decode()), native.stderr.decode()
    assert head_line.search(emu.stderr.decode()), emu.stderr.decode()
    assert emu.stdout == native.stdout == b"cat\n"


def test_clone_splits_like_strace(tmp_path):
    """-f: a clone interrupted by its child reads `clone(child_stack=NULL, flags=...|SIGCHLD
    <unfinished ...>`, then `<... clone resumed>, child_tidptr=0x...) = PID`, as strace's decoder
    prints child_tidptr on return; uninterrupted, the line is whole."""
    prog = sample("glibc", "fork_fork")
    out = tmp_path / "t"
    for _ in range(3):
        run_emu([prog], command="trace", options=["-f", "-o", str(out)], stdin=subprocess.DEVNULL)
        clones = [line.split(None, 1)[1] for line in out.read_text().splitlines() if "clone" in line]
        assert clones
        for line in clones:
            assert (re.fullmatch(r"clone\(child_stack=NULL, flags=\S+\|SIGCHLD <unfinished \.\.\.>", line)
                    or re.fullmatch(r"<\.\.\. clone resumed>, child_tidptr=0x[0-9a-f]+\) += \d+", line)
                    or re.fullmatch(r"clone\(child_stack=NULL, flags=\S+\|SIGCHLD, child_tidptr=0x[0-9a-f]+\) += \d+",
                                    line)), line
    native = tmp_path / "n"
    subprocess.run(["strace", "-f", "-o", str(native), str(prog)], capture_output=True, timeout=60)
    assert any(re.search(r"\bclone\(child_stack=NULL, flags=\S+\|SIGCHLD(, child_tidptr=| <unfinished)", line)
               for line in native.read_text().splitlines())


def test_sigchld_lines_name_the_child(build):
    """--- SIGCHLD --- says CLD_EXITED and the child's pid even when the guest's wait4 reaped the
    child before elfemu's host handler ran (as strace shows it: the kernel fills it at exit)."""
    exe = build(PROGS / "spawn_wait.c")
    for _ in range(3):
        r = run_emu([exe], command="trace", options=["-f", "-e", "trace=none"])
        lines = [line for line in r.stderr.decode().splitlines() if "SIGCHLD" in line]
        assert lines and all("si_code=CLD_EXITED, si_pid=" in line and "si_pid=0," not in line for line in lines), lines
    native = subprocess.run(["strace", "-f", "-e", "trace=none", str(exe)], capture_output=True, timeout=60)
    assert b"si_code=CLD_EXITED" in native.stderr
