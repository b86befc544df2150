"""System V IPC: shared memory, semaphores and message queues, on the host's own objects.

Guest processes are host processes, so an IPC id is the host's and is shared with every other
process (emulated or not) exactly as on Linux; each call is the host's, with the guest's buffers
copied through host ones. shmat attaches the segment in elfemu's host address space and maps
those host pages into the guest (MAP_SHARED, named as Linux names it in /proc/self/maps), so
writes are shared with other attachers and survive fork; shmdt and munmap detach on the host.
semop and msgsnd/msgrcv may block: a guest signal ends them as Linux's would (semop with a plain
EINTR, the msg calls with ERESTARTNOHAND).
"""

import errno

from emulator.abi.constants import (
    ERESTARTNOHAND,
    IPC_SET,
    IPC_STAT,
    O_RDONLY,
    O_RDWR,
    SHM_EXEC,
    SHM_RDONLY,
    SHM_REMAP,
    SHM_RND,
)
from emulator.abi.syscall_numbers import NR
from emulator.errors import GuestFault, SyscallError
from emulator.machine.libc import host
from emulator.machine.memory import PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, TASK_SIZE
from syscalls.decode.ipcargs import IPC_64, SEMID_DS, buf_size
from syscalls.decode.text import s64
from syscalls.handlers.fsbase import inbuf, out, put, waiting

GETALL, SETALL = 13, 17
MAX_SOPS = 1 << 16  # far above any semopm: longer arrays get the host's own E2BIG
MAX_MSG = 1 << 26  # far above any msgmax


# ----- get ---------------------------------------------------------------------------------------
def shmget(p, key, size, flags):
    return host(NR["shmget"], key, size, flags)


def semget(p, key, nsems, flags):
    return host(NR["semget"], key, nsems, flags)


def msgget(p, key, flags):
    return host(NR["msgget"], key, flags)


# ----- ctl ---------------------------------------------------------------------------------------
def _ctl(p, family: str, nr: int, head: tuple, cmd: int, buf: int) -> int:
    """A ctl call whose last argument is a buffer for STAT/INFO/IPC_SET, else a plain value."""
    size = buf_size(family, cmd & 0xFFFF_FFFF & ~IPC_64)
    if not size or buf == 0:
        return host(nr, *head, cmd, buf)
    if cmd & ~IPC_64 == IPC_SET:
        return host(nr, *head, cmd, inbuf(p, buf, size))
    hbuf = out(size)
    ret = host(nr, *head, cmd, hbuf)
    put(p, buf, hbuf)
    return ret


def shmctl(p, shmid, cmd, buf):
    return _ctl(p, "shm", NR["shmctl"], (shmid,), cmd, buf)


def msgctl(p, msqid, cmd, buf):
    return _ctl(p, "msg", NR["msgctl"], (msqid,), cmd, buf)


def semctl(p, semid, semnum, cmd, arg):
    c = cmd & ~IPC_64
    if c not in (GETALL, SETALL) or arg == 0:
        return _ctl(p, "sem", NR["semctl"], (semid, semnum), cmd, arg)
    try:  # the array is as long as the set: ask the host how long that is
        stat = out(SEMID_DS.size)
        host(NR["semctl"], semid, 0, IPC_STAT, stat)
        nsems = SEMID_DS.unpack(stat.raw)[3]
    except OSError:
        return host(NR["semctl"], semid, semnum, cmd, None)  # the host's own error for this id
    if c == SETALL:
        return host(NR["semctl"], semid, semnum, cmd, inbuf(p, arg, 2 * nsems))
    values = out(2 * nsems)
    ret = host(NR["semctl"], semid, semnum, cmd, values)
    put(p, arg, values)
    return ret


# ----- semop -------------------------------------------------------------------------------------
def _sops(p, sops: int, nsops: int):
    """A host copy of the sembuf array; None (the host's EINVAL/E2BIG/EFAULT) when it cannot be read."""
    if not 0 < nsops <= MAX_SOPS:
        return None
    try:
        return inbuf(p, sops, 6 * nsops)
    except GuestFault:
        return None


def semop(p, semid, sops, nsops):
    return waiting(p, NR["semop"], semid, _sops(p, sops, nsops), nsops, restart=errno.EINTR)


def semtimedop(p, semid, sops, nsops, timeout):
    ts = inbuf(p, timeout, 16)
    return waiting(p, NR["semtimedop"], semid, _sops(p, sops, nsops), nsops, ts, restart=errno.EINTR)


# ----- messages ----------------------------------------------------------------------------------
def msgsnd(p, msqid, msgp, msgsz, msgflg):
    p.mem.read(msgp, 8)  # the kernel reads mtype before anything else
    # a size out of range: the host's EINVAL comes before it reads any text
    buf = inbuf(p, msgp, 8 + msgsz if 0 <= s64(msgsz) <= MAX_MSG else 8)
    return waiting(p, NR["msgsnd"], msqid, buf, msgsz, msgflg, restart=ERESTARTNOHAND)


def msgrcv(p, msqid, msgp, msgsz, msgtyp, msgflg):
    if s64(msgsz) < 0:
        return host(NR["msgrcv"], msqid, None, msgsz, msgtyp, msgflg)
    n = min(msgsz, MAX_MSG)
    buf = out(8 + n)
    got = waiting(p, NR["msgrcv"], msqid, buf, n, msgtyp, msgflg, restart=ERESTARTNOHAND)
    put(p, msgp, buf, 8 + got)
    return got


# ----- shared memory -----------------------------------------------------------------------------
def _host_view(haddr: int) -> tuple[int, str, int, str]:
    """(end, dev, inode, name) of the host mapping at haddr, from the host's /proc/self/maps."""
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split(maxsplit=5)
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            if lo == haddr:
                return hi, fields[3], int(fields[4]), fields[5].rstrip("\n") if len(fields) > 5 else ""
    raise SyscallError(errno.EINVAL)


def shmat(p, shmid, shmaddr, shmflg):
    addr = shmaddr
    if addr % PAGE:
        if not shmflg & SHM_RND:
            raise SyscallError(errno.EINVAL)
        addr -= addr % PAGE
    if addr == 0 and shmflg & SHM_REMAP:
        raise SyscallError(errno.EINVAL)
    haddr = host(NR["shmat"], shmid, 0, shmflg & (SHM_RDONLY | SHM_EXEC))
    try:
        end, dev, inode, name = _host_view(haddr)
        size = end - haddr
        if addr and (addr + size > TASK_SIZE or not (shmflg & SHM_REMAP or p.mem.is_free(addr, addr + size))):
            raise SyscallError(errno.EINVAL)
        if not addr:
            addr = p.mem.find_free(size)
            if addr is None:
                raise SyscallError(errno.ENOMEM)
        prot = PROT_READ | (0 if shmflg & SHM_RDONLY else PROT_WRITE) | (PROT_EXEC if shmflg & SHM_EXEC else 0)
        p.mem.map(addr, size, prot, name, host=haddr, shared=True, inode=inode, dev=dev,
                  fd_mode=O_RDONLY if shmflg & SHM_RDONLY else O_RDWR)
    except BaseException:
        try:
            host(NR["shmdt"], haddr)
        except OSError:
            pass  # map() already let go of the pages
        raise
    return addr


def shmdt(p, shmaddr):
    """Detach the attachment that starts at shmaddr: its mappings from there on (Linux also finds
    the pieces left after a partial munmap)."""
    v = p.mem.find(shmaddr)
    if shmaddr % PAGE or v is None or v.start != shmaddr or not v.shared or not v.name.startswith("/SYSV"):
        raise SyscallError(errno.EINVAL)
    end = v.end
    while True:
        nxt = p.mem.find(end)
        if nxt is None or nxt.inode != v.inode or nxt.name != v.name or nxt.offset != v.offset + (end - v.start):
            break
        end = nxt.end
    p.mem.unmap(shmaddr, end - shmaddr)
    return 0
