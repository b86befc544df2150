"""Process lifecycle, differential: the lectures' fork, pipe and execve demos, natively and
under elfemu, with the same stdout and exit status.

fork_fork prints pids, so numbers are masked and lines sorted. fork_printf is run both through
a pipe and on a pseudo-terminal (stdio buffers differently). tests/progs/proc_calls.c covers
the corners the samples do not reach (vfork, posix_spawn, waitid, execveat, E2BIG, poll/select,
socketpair, sessions); it is built here with gcc -static and musl-gcc -static.
"""

import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import (
    COMPILERS,
    ELFEMU,
    LIBCS,
    PROGS,
    ROOT,
    assert_same,
    contains,
    need_tool,
    run_both,
    run_emu,
    run_native,
    sample,
)


def masked_sorted(out: bytes) -> list[bytes]:
    return sorted(re.sub(rb"[1-9][0-9]*", b"P", line) for line in out.splitlines())


@pytest.mark.parametrize("libc", LIBCS)
def test_fork_fork(libc):
    prog = sample(libc, "fork_fork")
    native, emu = run_native([prog]), run_emu([prog])
    assert b"Traceback" not in emu.stderr
    assert emu.returncode == native.returncode == 0
    assert masked_sorted(emu.stdout) == masked_sorted(native.stdout) == [b"0 0", b"0 P", b"P 0", b"P P"]


@pytest.mark.parametrize("libc", LIBCS)
def test_fork_printf_pipe(libc):
    hellos = 8 if libc == "glibc" else 6
    run_both([sample(libc, "fork_printf")], status=0, stdout=lambda out: out.count(b"Hello\n") == hellos)


def run_on_pty(argv, env=None, timeout=60) -> tuple[bytes, int]:
    """Run argv with stdout and stdin on a fresh pseudo-terminal; (output, status)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(a) for a in argv], stdin=slave, stdout=slave, stderr=subprocess.DEVNULL,
                            env=env, close_fds=True)
    os.close(slave)
    out, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every writer has closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
    return out, proc.wait(timeout=timeout)


@pytest.mark.parametrize("libc", LIBCS)
def test_fork_printf_tty(libc):
    prog = sample(libc, "fork_printf")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    native = run_on_pty([prog])
    emu = run_on_pty([*ELFEMU, "run", prog], env=env)
    assert native[0].count(b"Hello") == 6
    assert emu == native


@pytest.mark.parametrize("libc", LIBCS)
def test_anon_pipe(libc):
    run_both([sample(libc, "anon_pipe")], status=0, stdout=contains(b"[child] Got: Hello through the pipe"))


def _named_pipe(runner, prog, fifo: Path, extra_env=None):
    env = dict(os.environ, FIFO_PATH=str(fifo), **(extra_env or {}))
    cmd = (lambda a: [*ELFEMU, "run", *map(str, a)]) if runner == "emu" else (lambda a: [str(x) for x in a])
    reader = subprocess.Popen(cmd([prog, "read"]), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 30
    while not fifo.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    writer = subprocess.run(cmd([prog, "write", "over the fifo"]), capture_output=True, env=env, timeout=60)
    rout, rerr = reader.communicate(timeout=60)
    return writer, subprocess.CompletedProcess(reader.args, reader.returncode, rout, rerr)


@pytest.mark.parametrize("libc", LIBCS)
def test_named_pipe(libc, tmp_path):
    prog = sample(libc, "named_pipe")
    pyenv = {"PYTHONPATH": str(ROOT)}
    nw, nr = _named_pipe("native", prog, tmp_path / "native_fifo")
    ew, er = _named_pipe("emu", prog, tmp_path / "emu_fifo", pyenv)
    assert_same(nw, ew, status=0)
    assert_same(nr, er, status=0, stdout=b"Got: over the fifo\n")
    assert not (tmp_path / "emu_fifo").exists()


@pytest.mark.parametrize("libc", LIBCS)
def test_execve_demo_custom_envp(libc):
    prog = sample(libc, "execve_demo")
    run_both([prog, "/usr/bin/busybox", "env"], status=0, stdout=b"HELLO=WORLD\n")


@pytest.mark.parametrize("libc", LIBCS)
def test_execve_demo_errors(libc, tmp_path):
    prog = sample(libc, "execve_demo")
    plain = tmp_path / "plain"
    plain.write_text("not a program\n")
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x01\x02junk")
    junk.chmod(0o755)
    for target, why in (("/nonexistent/prog", b"No such file"), (plain, b"Permission denied"),
                        (junk, b"Exec format error"), ("/tmp", b"Permission denied")):
        run_both([prog, target], status=1, stdout=contains(why))


def test_shebang_demo():
    """The lecture's rule: `#!A B C` runs A with argv A, "B C", script path, then the script's args."""
    demo = sample("glibc", "shebang_args").parent.parent / "shebang_demo"
    run_both([demo, "x", "y"], status=0, stdout=contains(b"argv[1] = A B C\n"))


def test_shebang_via_execve(tmp_path):
    """execve of a script from inside the guest (not elfemu's own first load)."""
    script = tmp_path / "script"
    script.write_text(f"#!{sample('musl', 'shebang_args')}   one two  \n")
    script.chmod(0o755)
    run_both([sample("musl", "execve_demo"), script, "arg"], status=0, stdout=contains(b"argv[1] = one two\n"))


@pytest.fixture(scope="module", params=LIBCS)
def proc_calls(request, build) -> Path:
    return build(PROGS / "proc_calls.c", COMPILERS[request.param])


def test_proc_calls(proc_calls, tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"junk\x01\x02")
    junk.chmod(0o755)
    run_both([proc_calls, junk], status=21, stdout=contains(
        b"vfork: exited=1 status=12", b"posix_spawn: rc=0 status=21", b"CLD_KILLED status=15",
        b"execve E2BIG: Argument list too long", b"child argv[2]=execveat env=fd",
        b"server: got 12 'hello socket' so_type=1"))


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_sendmsg_recvmsg_match_native(build, cc):
    """Scattered iovecs, an SCM_RIGHTS descriptor that works in the receiver, MSG_TRUNC."""
    run_both([build(PROGS / "msg_calls.c", cc)], status=0, stdout=contains(b"got a descriptor: yes"), stderr=True)


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_child_siginfo_and_task_names(tmp_path, build, cc):
    """SIGCHLD's siginfo names the child even when waitpid reaped it before the handler ran;
    execve names the task after the path it was given (/proc/self/exe -> "exe", a symlink's name)."""
    run_both([build(PROGS / "child_info.c", cc)], cwd=tmp_path, status=0, stdout=contains(
        b"round 2: si_code=2 si_status=15 si_pid_is_child=1", b"comm=exe\n", b"comm=child-info-link\n"))


def test_low_open_file_limit():
    """Under a soft RLIMIT_NOFILE below 900 (where elfemu keeps its own fds) programs still start,
    fork and exec, as natively."""
    import resource

    def low():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    bash, busybox = need_tool("bash-static"), need_tool("busybox")
    argv = [bash, "-c", f"ulimit -S -n 100; {busybox} true; echo $?; ulimit -n"]
    run_both(argv, preexec_fn=low, status=0, stdout=b"0\n100\n")
