"""What a guest passes never becomes a Python exception: 32-bit arguments read at their C width
(tests/progs/int_args.c: mknod, pipe2, wait4, waitid, fcntl, the families that once ended in a
traceback), a running program's file refused for writing (ETXTBSY, tests/progs/textbusy.c), a
trace file that cannot be written (strace's -o /dev/full behaviour), and dispatch's last net."""

import errno
import subprocess

import pytest

from tests.conftest import ROOT, assert_same, need_tool, run_emu, run_native

PROGS = ROOT / "tests" / "progs"


@pytest.fixture(scope="module")
def int_args(build):
    return build(PROGS / "int_args.c")


@pytest.mark.parametrize("libc", ["gcc", "musl-gcc"])
def test_int_args_match_native(libc, build, tmp_path):
    exe = build(PROGS / "int_args.c", libc)
    native = run_native([exe], cwd=tmp_path)
    lines = dict(line.rsplit(None, 1) if "errno" not in line else line.split("  -1 ") for line in
                 native.stdout.decode().splitlines())
    lines = {k.strip(): v.strip() for k, v in lines.items()}
    # what Linux does with the upper half of a 32-bit argument: ignores it
    assert lines["mknod fifo high bits"] == "0" and lines["mknod made a fifo"] == "1"
    assert lines["pipe2 flags high bits"] == "0" and lines["pipe2 got O_NONBLOCK"] == "1"
    assert lines["mknod mode all ones"] == lines["pipe2 flags all ones"] == f"errno {errno.EINVAL}"
    assert lines["wait4 pid huge"] == "0"  # pid_t -1: any child (one is alive), WNOHANG
    assert lines["wait4 pid high bits"] == "1" and lines["wait4 status"] == "7"
    assert lines["fcntl F_SETLK high cmd"] == "0" and lines["fcntl F_GETLK l_type"] == "2"
    assert lines["fcntl fd high bits"] == "0"
    emu = run_emu([exe], cwd=tmp_path)
    assert_same(native, emu, status=0, stderr=True)


def test_flock_struct_traced_as_strace(int_args, tmp_path):
    """fcntl's struct flock (a struct.error in the tracer once): the F_SETLK lines as strace's."""
    strace = subprocess.run([need_tool("strace"), "-e", "trace=fcntl", "-o", str(tmp_path / "native"), int_args],
                            cwd=tmp_path, capture_output=True, timeout=60)
    assert strace.returncode == 0
    emu = run_emu([int_args], command="trace", options=["-e", "trace=fcntl", "-o", str(tmp_path / "emu")], cwd=tmp_path)
    assert emu.returncode == 0, emu.stderr.decode(errors="replace")
    native = [line for line in (tmp_path / "native").read_text().splitlines() if "F_SETLK" in line]
    assert any("l_start=4660, l_len=22136" in line for line in native)
    assert [line for line in (tmp_path / "emu").read_text().splitlines() if "F_SETLK" in line] == native


@pytest.mark.parametrize("options", [["-e", "trace=none"], ["-e", "trace=fcntl"], []])
def test_trace_to_dev_full_as_strace(int_args, tmp_path, options):
    """strace says `strace: /dev/full: No space left on device` for each line it loses, goes on,
    and exits with the tracee's status; elfemu the same, as `elfemu:`."""
    strace = subprocess.run([need_tool("strace"), "-o", "/dev/full", *options, int_args], cwd=tmp_path,
                            capture_output=True, timeout=60)
    assert strace.returncode == 0
    lost = [line.split(": ", 1) for line in strace.stderr.decode().splitlines()]  # strace names itself by argv[0]
    assert lost and {text for _name, text in lost} == {"/dev/full: No space left on device"}
    emu = run_emu([int_args], command="trace", options=["-o", "/dev/full", *options], cwd=tmp_path)
    assert emu.returncode == 0
    assert emu.stdout == strace.stdout
    assert emu.stderr.decode().splitlines() == [f"elfemu: {text}" for _name, text in lost]


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_running_program_is_text_busy(cc, build, tmp_path):
    exe = build(PROGS / "textbusy.c", cc)
    scratch = tmp_path / "native"
    scratch.mkdir()
    native = run_native([exe], cwd=scratch)
    text = native.stdout.decode()
    for what in ("own O_WRONLY", "own O_RDONLY|O_TRUNC", "own creat", "own truncate", "copy run by child",
                 "copy truncate"):
        assert f"{what:<28} ETXTBSY" in text, text
    for what in ("own O_RDONLY", "copy not running", "copy after child", "non-executable file"):
        assert f"{what:<28} 0" in text, text
    scratch = tmp_path / "emu"
    scratch.mkdir()
    emu = run_emu([exe], cwd=scratch, timeout=60)
    assert_same(native, emu, status=0, stderr=True)


def test_handler_exception_is_one_line_and_einval(capsys):
    """dispatch's last net: a handler's own exception (our bug) gives the guest EINVAL and the
    user one line naming the call, never a traceback."""
    from syscalls import dispatch
    from syscalls.decode.types import PTR
    from syscalls.table import Spec

    def broken(proc, value):
        return int.to_bytes(value, 4, "little")  # OverflowError for a big value

    spec = Spec(100_000, "broken_call", broken, (PTR,))
    assert dispatch.invoke(None, spec, (1 << 40, 0, 0, 0, 0, 0)) == -errno.EINVAL
    err = capsys.readouterr().err
    assert err.startswith("elfemu: internal error in broken_call (test_guest_args.py:")
    assert "OverflowError" in err and err.count("\n") == 1


def test_no_host_thread_for_signals_is_one_line(monkeypatch, capsys):
    """A host that refuses the signal watcher's thread (pthread_create's EAGAIN: "can't start new
    thread", seen in a fork child under strace's parallel suite) costs the watcher, not the guest."""
    import threading

    from emulator.task import hostsignals

    tries = []

    class NoThread:
        def __init__(self, *args, **kwargs):
            pass

        def start(self):
            tries.append(1)
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading, "Thread", NoThread)
    hostsignals.HostSignals._start_watcher(hostsignals.HostSignals.__new__(hostsignals.HostSignals))
    assert len(tries) > 1  # tried again
    assert capsys.readouterr().err == "elfemu: no host thread for signals: a signal waits for the guest's next syscall\n"
