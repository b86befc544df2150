"""POSIX message queues: mq_open and friends are the host's (a mqd_t is a host fd, and guest fds
are host fds), with the guest's buffers copied through host ones. Sends and receives may wait,
so a guest signal interrupts them; mq_notify's signal goes to the host process, which is the
guest's."""

from emulator.abi.constants import O_CREAT, SIGEVENT_SIZE
from emulator.abi.syscall_numbers import NR
from emulator.machine.libc import host
from syscalls.decode.text import s64
from syscalls.handlers.fsbase import inbuf, opt_path, out, put, waiting

MQ_ATTR_SIZE, TIMESPEC_SIZE = 64, 16
MAX_MSG = 1 << 24  # above any msgsize_max: larger sizes are the host's EMSGSIZE/EINVAL on a short buffer


def mq_open(p, name, oflag, mode, attr):
    hattr = inbuf(p, attr, MQ_ATTR_SIZE) if oflag & O_CREAT else None  # the kernel reads it only then
    return host(NR["mq_open"], opt_path(p, name), oflag, mode, hattr)


def mq_unlink(p, name):
    return host(NR["mq_unlink"], opt_path(p, name))


def mq_timedsend(p, mqdes, msg, length, prio, timeout):
    ts = inbuf(p, timeout, TIMESPEC_SIZE)  # the kernel's order: the timeout, the queue, then the message
    hfd = p.fds.host(mqdes)
    data = inbuf(p, msg, min(length, MAX_MSG)) if length else None
    return waiting(p, NR["mq_timedsend"], hfd, data, length, prio, ts)


def mq_timedreceive(p, mqdes, msg, length, prio, timeout):
    n = min(length, MAX_MSG) if s64(length) >= 0 else 0
    buf = out(max(n, 1))
    hprio = out(4) if prio else None
    ts = inbuf(p, timeout, TIMESPEC_SIZE)
    got = waiting(p, NR["mq_timedreceive"], p.fds.host(mqdes), buf, n, hprio, ts)
    put(p, msg, buf, got)
    if hprio is not None:
        put(p, prio, hprio)
    return got


def mq_notify(p, mqdes, sevp):
    sev = inbuf(p, sevp, SIGEVENT_SIZE)
    return host(NR["mq_notify"], p.fds.host(mqdes), sev)


def mq_getsetattr(p, mqdes, newattr, oldattr):
    old = out(MQ_ATTR_SIZE) if oldattr else None
    new = inbuf(p, newattr, MQ_ATTR_SIZE)
    ret = host(NR["mq_getsetattr"], p.fds.host(mqdes), new, old)
    if old is not None:
        put(p, oldattr, old)
    return ret
