"""The file-system and descriptor system calls, native against elfemu.

tests/progs/fs_calls.c makes each call (good and bad: EFAULT pointers, unknown syscall
numbers, wrong flags) and prints one line per result; it is built with glibc and musl and
the output must match byte for byte. The tty requests of ioctl run on a real pty, and
/proc/self must describe the emulated program (its maps lines are those of the native run).
"""

import fcntl
import os
import re
import struct
import subprocess
import termios

import pytest

from tests.conftest import COMPILERS, PROGS, ROOT, assert_same, contains, run_emu, run_native

BB = "/usr/bin/busybox"
ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC", "FS_CALLS_MARK": "42", "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def fs_calls(build) -> dict:
    return {libc: build(PROGS / "fs_calls.c", cc) for libc, cc in COMPILERS.items()}


@pytest.mark.parametrize("libc", sorted(COMPILERS))
def test_blocking_calls_and_signals(libc, tmp_path, build):
    """A handled signal ends a blocked read or FIFO open with EINTR, or restarts it (SA_RESTART)."""
    exe = build(PROGS / "fs_eintr.c", COMPILERS[libc])
    native = run_native([exe], cwd=tmp_path, env=ENV, timeout=30)
    emu = run_emu([exe], cwd=tmp_path, env=ENV, timeout=60)
    assert_same(native, emu, status=0,
                stdout=lambda out: out.count(b"EINTR") == 2 and b"after 2 signals" in out)


@pytest.mark.parametrize("libc", sorted(COMPILERS))
def test_fs_calls(libc, fs_calls, tmp_path):
    runs = []
    (tmp_path / "stdin").write_bytes(b"some input\n")
    for side, runner in (("native", run_native), ("emu", run_emu)):
        cwd = tmp_path / side
        cwd.mkdir()
        with open(tmp_path / "stdin", "rb") as stdin:
            runs.append(runner([fs_calls[libc]], cwd=cwd, env=ENV, stdin=stdin))
    assert_same(*runs, status=0, stdout=lambda out: len(out.splitlines()) > 150)


def test_efault_and_enosys_are_errors_not_tracebacks(fs_calls, tmp_path):
    emu = run_emu([fs_calls["musl"]], cwd=tmp_path, env=ENV, stdin=subprocess.DEVNULL)
    lines = emu.stdout.decode().splitlines()
    assert "syscall(SYS_write, 1, (void *)1, 5)" in lines[0] and lines[0].endswith("= -1 EFAULT")
    assert "syscall(1000)" in lines[2] and lines[2].endswith("= -1 ENOSYS")
    assert b"Traceback" not in emu.stderr
    assert emu.returncode == 0


# ----- ioctl on a real terminal ------------------------------------------------------------------


def _on_pty(runner, argv, rows=33, cols=101):
    """Run argv with a fresh pty (of a known size) as stdin, stdout being a pipe."""
    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        return runner(argv, stdin=slave, env=ENV, timeout=120)
    finally:
        os.close(slave)
        os.close(master)


@pytest.mark.parametrize("argv", [
    ["stty", "size"],
    ["stty", "-a"],
    ["stty", "-g"],
    ["sh", "-c", "stty raw -echo cols 77 && stty -a && stty size"],
    ["sh", "-c", "tty | sed 's/[0-9]*$/N/'"],
    ["sh", "-c", "test -t 0 && echo stdin-is-tty; test -t 1 || echo stdout-is-not"],
], ids=["size", "all", "saved", "set", "tty", "test-t"])
def test_tty_ioctls(argv):
    assert_same(_on_pty(run_native, [BB, *argv]), _on_pty(run_emu, [BB, *argv]), status=0, stdout=bool)


def test_winsize_is_the_hosts():
    emu = _on_pty(run_emu, [BB, "stty", "size"], rows=12, cols=34)
    assert emu.stdout == b"12 34\n"


# ----- /proc/self describes the guest -------------------------------------------------------------

MAPS_LINE = re.compile(r"^[0-9a-f]{8,}-[0-9a-f]{8,} [r-][w-][x-][ps] [0-9a-f]{8} [0-9a-f]{2}:[0-9a-f]{2} \d+ *(\S*)$")


def test_proc_self_maps_format():
    native, emu = run_native([BB, "cat", "/proc/self/maps"]), run_emu([BB, "cat", "/proc/self/maps"])
    assert native.returncode == emu.returncode == 0, emu.stderr
    native, emu = native.stdout.decode().splitlines(), emu.stdout.decode().splitlines()
    for line in native + emu:
        assert MAPS_LINE.match(line), line
    # busybox is non-PIE: its file mappings are at the same addresses with the same text
    assert [ln for ln in emu if ln.endswith(BB)] == [ln for ln in native if ln.endswith(BB)]
    assert any(" r-xp " in ln and ln.endswith(BB) for ln in emu)
    assert any(ln.endswith("[stack]") for ln in emu)
    assert not any("python" in ln or "unicorn" in ln for ln in emu)


def test_proc_self_files(tmp_path):
    """Each command is a fresh exec of busybox, so its /proc/self is that program's."""
    script = ("X=/proc/self/exe; B=" + BB + "; $B readlink $X; $B cat /proc/self/comm; "
              "$B tr '\\0' ' ' < /proc/self/cmdline; echo; "
              "$B stat -L -c %i $X; $B stat -c %i $B; $B cut -d' ' -f2 /proc/self/stat; "
              "$B grep ^Name: /proc/self/status; $B od -A n -t x8 /proc/self/environ | $B wc -c; "
              "$B grep -c FS_CALLS_MARK=42 /proc/self/environ; $B cmp $X $B && echo same")
    native = run_native([BB, "sh", "-c", script], env=ENV)
    emu = run_emu([BB, "sh", "-c", script], env=ENV)
    assert_same(native, emu, status=0, stdout=lambda out: out.startswith(b"/usr/bin/busybox\nbusybox\n/usr/bin/busybox"))


def test_proc_self_fd_hides_elfemus_own_fds():
    for argv in (["ls", "/proc/self/fd"], ["ls", "/proc/self/fdinfo"], ["sh", "-c", "ls /proc/$$/fd; true"]):
        native = run_native([BB, *argv], env=ENV)
        emu = run_emu([BB, *argv], env=ENV)
        fds = b"0\n1\n2\n" if argv[0] == "sh" else b"0\n1\n2\n3\n"  # (3: ls's own directory fd)
        assert_same(native, emu, status=0, stdout=lambda out, fds=fds: out.startswith(fds))


def test_proc_self_relative_paths():
    """`cd /proc/self` then relative names: still the guest's files (shell builtins, one process)."""
    script = ("cd /proc/self && read l < maps && echo $l; cd /proc; read m < self/maps; echo $m; "
              "read c < self/comm; echo $c; cd /; read e < proc/self/environ; echo ${e%%=*}")
    native = run_native([BB, "sh", "-c", script], env=ENV)
    emu = run_emu([BB, "sh", "-c", script], env=ENV)
    assert_same(native, emu, status=0, stdout=lambda out: out.count(b"/usr/bin/busybox") == 2)


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_xattr_calls_match_native(tmp_path, build, cc):
    exe = build(PROGS / "xattr_calls.c", cc)
    (tmp_path / "n").mkdir()
    (tmp_path / "e").mkdir()
    native, emu = run_native([exe, "f"], cwd=tmp_path / "n"), run_emu([exe, "f"], cwd=tmp_path / "e")
    assert_same(native, emu, status=0, stdout=contains(b"get size"), stderr=True)
