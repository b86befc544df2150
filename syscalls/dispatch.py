"""The one place that turns a guest `syscall` into a handler call and writes RAX.

Reads the number and arguments, finds the row in TABLE, decodes the arguments by their
types, calls the handler, and stores its value or -errno. Guest faults inside a handler are
-EFAULT; a missing handler is -ENOSYS (reported once). The tracer, when present, sees the
call before and after. Control-flow exceptions (exit, execve's fresh image) pass through.

Any other exception out of a handler is elfemu's bug (a guest's argument reached Python
unchecked: an OverflowError, a struct.error). It must not end the guest in a traceback: the
guest gets -EINVAL, the kernel's answer to an argument it cannot take, and elfemu prints one
line, `elfemu: internal error in NAME: ...`, once per call and kind of error. The tests fail
on that line (tests/conftest.py), so the bug stays visible.
"""

import errno
import fcntl
import sys

from emulator.abi.constants import ERESTART_RESTARTBLOCK, ERESTARTSYS
from emulator.errors import GuestFault, ImageReplaced, SyscallError
from syscalls.decode.text import s32
from syscalls.decode.types import Fd
from syscalls.table import TABLE, Spec, enosys


class Call:
    """One system call in flight: what the tracer and signal code may want to know about it."""

    __slots__ = ("spec", "nr", "args", "ret", "trace")

    def __init__(self, spec, nr, args):
        self.spec = spec  # the table row
        self.nr = nr  # the number the guest asked for (spec.nr, or one the table lacks)
        self.args = args  # the six raw argument registers
        self.ret = None  # the value RAX receives, once the handler returned
        self.trace = None  # the tracer's state for this call's line (emulator/trace/callline.CallLine)


_reported: set[int] = set()
_internal_reported: set[tuple[int, type]] = set()
_plans: dict[int, tuple] = {}  # per syscall nr: (arity, the (index, type) pairs whose decode is not the identity)


def unknown_spec(nr: int) -> Spec:
    return Spec(nr, f"syscall_{nr:#x}", support=enosys("not an x86-64 system call"))


def invoke(proc, spec: Spec, args) -> int:
    """Run one handler; returns the value for RAX as a signed int (>= 0, or -errno)."""
    if spec.handler is None:
        if spec.nr not in _reported:
            _reported.add(spec.nr)
            if proc.report_unimplemented:
                print(f"elfemu: unimplemented syscall {spec.name} ({spec.nr}) -> ENOSYS", file=sys.stderr)
        return -errno.ENOSYS
    decoding = True
    try:
        plan = _plans.get(spec.nr)
        if plan is None:
            plan = _plans[spec.nr] = (len(spec.args), tuple((i, t) for i, t in enumerate(spec.args) if not t.trivial))
        nargs, decoders = plan
        if decoders:
            decoded = list(args[:nargs])
            for i, t in decoders:
                decoded[i] = t.decode(proc, args[i], args)
            decoding = False
            ret = spec.handler(proc, *decoded)
        else:
            decoding = False
            ret = spec.handler(proc, *args[:nargs])
        return 0 if ret is None else ret
    except (SyscallError, GuestFault) as exc:
        err = exc.errno if isinstance(exc, SyscallError) else errno.EFAULT
        if (decoding or err in _AFTER_FDGET) and _closed_fd(proc, spec, args[0]):
            return -errno.EBADF
        return -err
    except OSError as exc:  # a host call failed: the guest sees the same errno
        return -(exc.errno or errno.EIO)
    except ImageReplaced:
        raise
    except Exception as exc:  # noqa: BLE001 - our bug, told in one line (the module docstring)
        return internal_error(spec, exc)


# A call on an fd resolves it first (fdget), before it reads its other arguments or touches
# memory (fs/read_write.c, fs/ioctl.c, net/socket.c, fs/stat.c): with a closed fd, Linux says
# EBADF where elfemu's decoders or handler found a bad pointer (EFAULT), a bad count (EINVAL, in
# a decoder) or no ioctl (ENOTTY) first. Checked on failure only: a host fcntl costs ~3 us.
_AFTER_FDGET = frozenset({errno.EFAULT, errno.ENOTTY})
# The calls that copy from the guest before they look at the fd (Linux 6.x): signalfd's fd -1
# asks for a new one, epoll_ctl and timerfd_settime copy their struct first, the f*xattr calls
# their name (import_xattr_name). Found by tests/progs/argfuzz.c and tests/progs/fdevents.c.
_COPY_BEFORE_FDGET = frozenset({"signalfd", "signalfd4", "epoll_ctl", "timerfd_settime", "fgetxattr",
                                "fsetxattr", "fremovexattr"})


def _closed_fd(proc, spec: Spec, raw: int) -> bool:
    """Is argument 0 a plain fd (not a dirfd) that is not open?"""
    if not spec.args or type(spec.args[0]) is not Fd or spec.name in _COPY_BEFORE_FDGET:
        return False
    fd = s32(raw)
    if fd < 0 or fd in proc.fds.hidden:
        return True
    try:
        fcntl.fcntl(fd, fcntl.F_GETFD)
    except OSError:
        return True
    return False


def internal_error(spec: Spec, exc: Exception) -> int:
    """A handler's own failure: one line on stderr (once per call and kind), -EINVAL for the guest."""
    key = (spec.nr, type(exc))
    if key not in _internal_reported:
        _internal_reported.add(key)
        where = exc.__traceback__
        while where.tb_next is not None:
            where = where.tb_next
        line = f"{where.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{where.tb_lineno}"
        print(f"elfemu: internal error in {spec.name} ({line}): {type(exc).__name__}: {exc}", file=sys.stderr)
    return -errno.EINVAL


def on_syscall(proc, interpose: bool = True) -> None:
    """The UC_HOOK_INSN(syscall) body: dispatch one call and write RAX."""
    if interpose and proc.syscall_interposer is not None:  # a debugger records or replays it (replay.py)
        return proc.syscall_interposer(proc)
    regs = proc.cpu.syscall_regs()
    nr, args = regs[0], regs[1:]
    spec = TABLE.get(nr) or unknown_spec(nr)
    tracer = proc.tracer
    if tracer is None:
        ret = invoke(proc, spec, args)
    else:
        call = Call(spec, nr, args)
        tracer.enter(proc, call)
        try:
            ret = invoke(proc, spec, args)
        except BaseException as exc:  # exit or a fresh image: the tracer shows it, then it unwinds
            tracer.unwind(proc, call, exc)
            raise
        call.ret = ret
        tracer.exit(proc, call)
    proc.cpu.set_rax(ret)
    # A restart code (ERESTARTSYS .. ERESTART_RESTARTBLOCK) never reaches the guest: when the signal
    # that ended the call was taken by another thread, no handler runs here and the call restarts.
    if proc.pending_signals or -ERESTART_RESTARTBLOCK <= ret <= -ERESTARTSYS:
        proc.after_syscall()
