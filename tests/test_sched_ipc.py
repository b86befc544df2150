"""Scheduling, priorities, capabilities, memory policies and System V IPC: natively vs under elfemu,
and their trace lines against the real strace."""

import ctypes
import errno
import re

import pytest

from tests.conftest import PROGS, assert_same, contains, diff, need_tool, run_both, run_emu, run_native, traces


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_sched_calls_match_native(build, cc):
    run_both([build(PROGS / "sched_calls.c", cc)], status=0,
             stdout=contains(b"raw getpriority: 15", b"ioprio_get: 16391"), stderr=True)


# The E2BIG sched_setattr prints "{size=8} => {size=56}" in strace: a value it reads on entry and on
# exit, which elfemu's one-time argument printers do not do; getcpu's cpu is whichever cpu ran it.
UNCOMPARED = ("sched_setattr(0, {size=8}", "getcpu(")


def test_sched_calls_trace_like_strace(tmp_path, build):
    a, b = traces(build(PROGS / "sched_calls.c"), tmp_path=tmp_path)
    a, b = ([x for x in lines if not x.startswith(UNCOMPARED)] for lines in (a, b))
    assert a == b, diff(a, b)
    assert any(x.startswith("capget({version=_LINUX_CAPABILITY_VERSION_3, pid=0}, {effective=") for x in b)
    assert "sched_getscheduler(0) = 3 (SCHED_BATCH)" in b


# Each with the status the tool ends with natively (ionice -c 7: an invalid class).
BUSYBOX_SCHED = [
    (["nice", "-n", "5", "nice"], 0),
    (["busybox", "sh", "-c", "renice -n 4 -p $$; nice; renice -n -2 -p $$; nice; renice -n 1 -p 999999; echo $?"], 0),
    (["busybox", "ionice"], 0),
    (["busybox", "ionice", "-c", "2", "-n", "3", "busybox", "ionice"], 0),
    (["busybox", "ionice", "-c", "3", "busybox", "ionice"], 0),
    (["busybox", "ionice", "-c", "7"], 1),
    (["busybox", "ionice", "-p", "1"], 0),
]


@pytest.mark.parametrize("argv,status", BUSYBOX_SCHED, ids=[" ".join(a)[:40] for a, _ in BUSYBOX_SCHED])
def test_priority_tools_match_native(argv, status):
    run_both([need_tool(argv[0]), *argv[1:]], status=status, stderr=True)


# ----- System V IPC ------------------------------------------------------------------------------
@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_ipc_calls_match_native(build, cc):
    """Shared memory across fork and views, semaphores and queues woken by a child or a signal."""
    run_both([build(PROGS / "ipc_calls.c", cc)], status=0, stderr=True, stdout=contains(
        b"parent reads: child wrote this", b"maps: 12288 bytes rw-s 00000000 /SYSV0... (deleted)",
        b"msgrcv interrupted: -1 Interrupted system call"))


IPC_ID = re.compile(r"^((?:shm|sem|msg)\w*\()\d+")
IPC_NEW = re.compile(r"^((?:shm|sem|msg)get\(.*\) = )\d+$")
IPC_VOLATILE = re.compile(r"((?:time|pid)=|GETPID, NULL\) = )\d+")


def mask_ipc(lines):
    return [IPC_VOLATILE.sub(r"\1N", IPC_NEW.sub(r"\1ID", IPC_ID.sub(r"\1ID", x))) for x in lines]


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_ipc_calls_trace_like_strace(tmp_path, build, cc):
    """glibc's semop is semtimedop(..., NULL), musl's is semop: both decoded as strace does."""
    exe = build(PROGS / "ipc_calls.c", cc)
    # SIGCHLD is left out: when it arrives relative to the woken call is a race on both sides.
    a, b = traces(exe, options=["-e", "trace=%ipc", "-e", "signal=SIGALRM"], tmp_path=tmp_path)
    a, b = mask_ipc(a), mask_ipc(b)
    assert a == b, diff(a, b)
    assert any(x.startswith("shmctl(ID, IPC_STAT, {shm_perm={uid=") for x in b)
    assert any("ERESTARTNOHAND" in x for x in b) and any("EINTR" in x for x in b)


def test_shm_shared_with_another_process(build):
    """A segment elfemu's guest creates is the host's: a native process attaches it by id."""
    r = run_emu([build(PROGS / "shm_peer.c")])
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert r.stdout == b"peer saw: hello from the guest\nguest saw: hello from the peer\n"


TOOLS = [
    ["ipcs"], ["ipcs", "-l"], ["ipcs", "-u"], ["ipcs", "-p"], ["ipcs", "-c"],  # -t: times of host-wide objects, racy
    ["ipcrm", "-m", "999999"], ["ipcrm", "-q", "999999", "-s", "999999"],
    ["setpriv", "--dump"], ["busybox", "setpriv", "--dump"], ["capsh", "--print"],
    ["setpriv", "--inh-caps=+chown", "--ambient-caps=+chown", "setpriv", "-d"],
    ["capsh", "--drop=cap_net_raw", "--print"], ["getpcaps", "0"], ["chrt", "-m"], ["busybox", "taskset", "-p", "1"],
]


@pytest.mark.parametrize("argv", TOOLS, ids=lambda a: " ".join(a)[:40])
def test_ipc_and_cap_tools_match_native(argv, segments):
    if argv[0] == "ipcrm":  # ids that do not exist: an error message and status 1
        run_both([need_tool("ipcrm"), *argv[1:]], status=1, stderr=True)
    else:
        run_both([need_tool(argv[0]), *argv[1:]], status=0, stdout=bool, stderr=True)


IPC_PRIVATE, IPC_CREAT, IPC_RMID, IPC_STAT = 0, 0o1000, 0, 2


@pytest.fixture
def segments():
    """One shared memory segment, queue and semaphore set per side (native, elfemu), removed after."""
    libc = ctypes.CDLL(None, use_errno=True)
    made = {"m": [libc.shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0o640) for _ in range(2)],
            "q": [libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600) for _ in range(2)],
            "s": [libc.semget(IPC_PRIVATE, 2, IPC_CREAT | 0o600) for _ in range(2)]}
    assert min(min(ids) for ids in made.values()) >= 0
    yield made
    for i in made["m"]:
        libc.shmctl(i, IPC_RMID, None)
    for i in made["q"]:
        libc.msgctl(i, IPC_RMID, None)
    for i in made["s"]:
        libc.semctl(i, 0, IPC_RMID, None)


def test_ipcs_details_and_ipcrm(segments):
    ipcs, ipcrm = need_tool("ipcs"), need_tool("ipcrm")
    for kind in ("m", "q", "s"):
        run_both([ipcs, f"-{kind}", "-i", str(segments[kind][0])], status=0, stdout=bool, stderr=True)
    side = [[ipcrm, *[x for kind in ("m", "q", "s") for x in (f"-{kind}", str(segments[kind][i]))]] for i in (0, 1)]
    assert_same(run_native(side[0]), run_emu(side[1]), status=0, stderr=True)
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(256)
    assert libc.shmctl(segments["m"][1], IPC_STAT, buf) == -1 and ctypes.get_errno() == errno.EINVAL


# ----- POSIX message queues, pidfds, splice/tee/vmsplice, openat2, sendmmsg/recvmmsg -------------
@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_fd_extra_calls_match_native(build, cc):
    run_both([build(PROGS / "fd_extra_calls.c", cc)], status=0, stderr=True, stdout=contains(
        b"got from child, notified 1", b"handled before return: 1", b"got: vmsplice", b"lens 3 4 5"))


MQ_NAME = re.compile(r'"elfemu-test-\w+"')
CHILD_PID = re.compile(r"^pidfd_open\(\d+")  # the child's fork is not traced, so its pid is not masked


def test_fd_extra_calls_trace_like_strace(tmp_path, build):
    exe = build(PROGS / "fd_extra_calls.c")
    calls = "mq_open,mq_unlink,mq_timedsend,mq_timedreceive,mq_notify,mq_getsetattr,pidfd_open,pidfd_getfd," \
            "pidfd_send_signal,splice,tee,vmsplice,openat2,sendmmsg,recvmmsg"
    # Signals are left out: SIGCHLD's place relative to the woken call is a race on both sides.
    a, b = traces(exe, options=["-e", f"trace={calls}", "-e", "signal=none"], tmp_path=tmp_path)
    a, b = ([CHILD_PID.sub("pidfd_open(PID", MQ_NAME.sub('"MQ"', x)) for x in lines] for lines in (a, b))
    assert a == b, diff(a, b)
    assert any(x.startswith('mq_open("MQ", O_RDWR|O_CREAT|O_EXCL, 0600, {mq_flags=0, mq_maxmsg=4') for x in b)
    assert any(x.startswith("recvmmsg(") and "msg_len=4}]" in x for x in b)
