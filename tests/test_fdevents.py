"""epoll, eventfd, timerfd, inotify and signalfd, native against elfemu, and their strace lines.

tests/progs/fdevents.c exercises each call (readiness of pipes, eventfds, timerfds and inotify
fds through epoll; EPOLLONESHOT and EPOLLET; timeouts; EINTR from a SIGALRM handler; the masks
of epoll_pwait; expiration counts; signalfd reads, masks and fork; the error cases) and prints one line per result, never a
raw time. Built with glibc and musl, its output must match byte for byte, and `elfemu trace`
must print the same lines as strace for these calls.
"""

import re
import subprocess

import pytest

from tests.conftest import COMPILERS, PROGS, assert_same, contains, diff, run_emu, run_native, traces

SOURCE = PROGS / "fdevents.c"
ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}
FAMILIES = re.compile(r"^(epoll_\w+|eventfd2?|timerfd_\w+|inotify_\w+|signalfd4?|rt_sigreturn)\(|^--- SIGALRM")
TIMES = re.compile(r"(it_value=)\{tv_sec=\d+, tv_nsec=\d+\}")


@pytest.fixture(scope="module")
def progs(build) -> dict[str, object]:
    return {libc: build(SOURCE, cc) for libc, cc in COMPILERS.items()}


@pytest.mark.parametrize("libc", sorted(COMPILERS))
def test_fdevents_match_native(libc, progs, tmp_path):
    runs = []
    for side, runner in (("native", run_native), ("emu", run_emu)):
        cwd = tmp_path / side
        cwd.mkdir()
        runs.append(runner([progs[libc]], cwd=cwd, env=ENV, stdin=subprocess.DEVNULL, timeout=60))
    # the program really saw what it tests (a native run that silently skipped would prove nothing)
    saw = contains(b"wait -1 + SIGALRM: -1 EINTR, alarms 1", b"pwait masked: 0, waited enough: 1, alarms 3",
                   b"oneshot disarmed: 0", b"no new edge: 0", b"expirations >= 5: 1", b"high fds not addable: 1",
                   b"wd=1 mask=0x100 cookie=0 name=f", b"read two: 256 {signo=10 code=0 pid_ok=1 uid_ok=1 status=0} {signo=12 ",
                   b"child: parent's USR1 not here: -1 EAGAIN", b"blocking read + SIGTERM handler: -1 EINTR", b"done\n")
    assert_same(*runs, status=0, stdout=saw)


def _ours(lines: list[str]) -> list[str]:
    """The lines of the calls under test, with the timer values that depend on timing masked."""
    return [TIMES.sub(r"\1T", line) for line in lines if FAMILIES.match(line)]


@pytest.mark.parametrize("libc", sorted(COMPILERS))
def test_fdevents_trace_matches_strace(libc, progs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the program makes ./w and two scratch files, then removes them
    a, b = traces(progs[libc], tmp_path=tmp_path)
    a, b = _ours(a), _ours(b)
    assert len(a) > 150
    assert a == b, diff(a, b)
    text = "\n".join(b)
    # a few decodings spelled out, so a change on both sides cannot pass unnoticed
    # (musl's epoll_wait is epoll_pwait with a NULL mask)
    wait = r"epoll_(?:wait\((\d+), (.*), (-?\d+)\)|pwait\((\d+), (.*), (-?\d+), NULL, 8\))"
    for pattern in (
        r"epoll_ctl\(3, EPOLL_CTL_ADD, 4, \{events=EPOLLIN, data=\{u32=1432778632, u64=1234605616436508552\}\}\) = 0",
        r"epoll_ctl\(3, EPOLL_CTL_ADD, 4, \{events=EPOLLIN\|EPOLLONESHOT, data=\{u32=42, u64=42\}\}\) = 0",
        r"epoll_ctl\(3, EPOLL_CTL_DEL, 5, NULL\) = 0",
        wait.replace("(.*)", r"\[\{events=EPOLLOUT, data=\{u32=7, u64=7\}\}\], 8").replace(r"(-?\d+)", "0")
        + " = 1",
        wait.replace("(.*)", r"0xADDR, 4").replace(r"(-?\d+)", "-1") + r" = -1 EINTR \(Interrupted system call\)",
        r"epoll_pwait\(3, \[\], 4, 150, \[ALRM\], 8\) = 0",
        r"epoll_pwait2\(3, 0xADDR, 4, 0xADDR, NULL, 8\) = -1 EINVAL \(Invalid argument\)",
        r"epoll_pwait2\(3, \[\], 4, \{tv_sec=0, tv_nsec=0\}, \[ALRM\], 8\) = 0",
        r"timerfd_create\(CLOCK_MONOTONIC, TFD_CLOEXEC\|TFD_NONBLOCK\) = 4",
        r"timerfd_create\(0x4d /\* CLOCK_\?\?\? \*/, 0\) = -1 EINVAL \(Invalid argument\)",
        r"timerfd_settime\(4, TFD_TIMER_ABSTIME, \{it_interval=\{tv_sec=0, tv_nsec=0\}, it_value=T\}, NULL\) = 0",
        r'inotify_add_watch\(3, "w", IN_MODIFY\|IN_CLOSE_WRITE\|IN_MOVED_FROM\|IN_MOVED_TO\|IN_CREATE\|IN_DELETE\) = 1',
        r"eventfd2\(2, EFD_SEMAPHORE\|EFD_NONBLOCK\) = 4",
        r"epoll_create1\(0x8 /\* EPOLL_\?\?\? \*/\) = -1 EINVAL \(Invalid argument\)",
        r"signalfd4\(-1, \[USR1 USR2 ALRM\], 8, SFD_CLOEXEC\|SFD_NONBLOCK\) = 3",
        r"signalfd4\(3, \[USR2\], 8, 0\) = 3",
        r"signalfd\(-1, \[USR1 USR2 ALRM\], 8\) = 3",
    ):
        assert re.search("^" + pattern + "$", text, re.M), pattern
