"""Ready-made argument types for the table's rows (`T.NAME`), so each row stays one short line.

All of them follow the decode rule of types.py: only Int/Long/Fd/DirFd/Path decode to
something other than the raw register value.
"""

from syscalls.decode import arrays, eventargs, netargs, prctlargs, sigstructs, special, structs, xlat
from syscalls.decode.buffers import (  # noqa: F401 - re-exported for table rows
    PATH,
    STR,
    InBuf,
    OutBuf,
    OutPath,
    PathPtr,
)
from syscalls.decode.types import (  # noqa: F401 - re-exported for table rows
    DIRFD,
    FD,
    FILEMODE,
    HEX,
    INT,
    LONG,
    MMAPFLAGS,
    OCTAL,
    OPENFLAGS,
    PTR,
    RET_FD,
    RET_HEX,
    RET_INT,
    RET_NONE,
    RET_OCTAL,
    SIGNAL,
    SIZE,
    UINT,
    ULONG,
    UNUSED,
    Enum,
    Flags,
    OpenMode,
    Ret,
    Signed,
    Unused,
)

# files
OFLAGS, OMODE1, OMODE2, OMODE3 = OPENFLAGS, OpenMode(1), OpenMode(2), OpenMode(1)
ATFLAGS = Flags(xlat.AT_FLAGS)
ACCESS = Flags(xlat.ACCESS_MODES, zero="F_OK")
FACCESSAT_FLAGS = Flags(xlat.FACCESSAT_FLAGS)
WHENCE = Enum(xlat.SEEK_WHENCE)
STATBUF = structs.StatBuf()
STATXBUF = structs.StatxBuf()
STATX_MASK = structs.StatxMask()
STATX_FLAGS = structs.StatxFlags()
DIRENTS = arrays.Dirents()
FCNTL_CMD = Enum(xlat.FCNTL_CMDS, default="hex")
FCNTL_ARG = special.FcntlArg()
RET_FCNTL = special.FcntlRet()
IOCTL_REQ = Enum(xlat.IOCTLS, default="hex")
IOCTL_ARG = special.IoctlArg()
FLOCK_OP = Flags(xlat.FLOCK_OPS)
RENAME_FLAGS = Flags(xlat.RENAME_FLAGS)
FALLOC = Flags(xlat.FALLOC_FLAGS)
FADVICE = Enum(xlat.FADVISE)
READBUF_RET = OutBuf()
GETRANDOM_BUF = OutBuf(hexall=True)
IOV_IN1 = arrays.Iovec(2)
IOV_OUT1 = arrays.Iovec(2, out=True)
INTPAIR = structs.IntPair()
INTOUT = structs.IntOut()
O_CLOEXEC_FLAGS = Flags(xlat.O_FLAGS)
MFD = Flags(xlat.MFD_FLAGS)
EFD = Flags(xlat.EFD_FLAGS, suffix="EFD_???")
EPOLL_CREATE = Flags(xlat.EPOLL_CREATE_FLAGS, suffix="EPOLL_???")
IN_INIT = Flags(xlat.INOTIFY_INIT_FLAGS, suffix="IN_???")
TFD = Flags(xlat.TFD_FLAGS, suffix="TFD_???")
TFD_TIMER = Flags(xlat.TFD_TIMER_FLAGS, suffix="TFD_???")
TFD_CLOCK = Enum(xlat.CLOCKS, default="hex", suffix="CLOCK_???")
ITS_IN = eventargs.Itimerspec(out=False)
ITS_OUT = eventargs.Itimerspec(out=True)
SIGEVENT = eventargs.Sigevent()
EPOLL_OP = Enum(xlat.EPOLL_CTL_OPS, default="hex", suffix="EPOLL_CTL_???")
EPOLL_EVENT = eventargs.EpollEvent()
EPOLL_EVENTS = eventargs.EpollEvents()
EPOLL_SIGSET = sigstructs.Sigset(out=True, size_index=5)  # epoll_pwait's mask, printed on return
EPOLL_TS = structs.Timespec(out=True)  # epoll_pwait2's timeout, printed on return
IN_MASK = Flags(xlat.INOTIFY_MASK, suffix="IN_???")
SFD = Flags(xlat.SFD_FLAGS, suffix="SFD_???")
SIGSET_IN2 = sigstructs.Sigset(out=False, size_index=2)  # signalfd's mask
SPLICE = Flags(xlat.SPLICE_FLAGS)
CLOSE_RANGE = Flags(xlat.CLOSE_RANGE_FLAGS)
POLLFDS = arrays.PollFds(1)
RET_POLL = special.PollRet()
FDSET = special.FdSet()
RET_SELECT = special.SelectRet()

# memory
PROT = Flags(xlat.PROT_FLAGS, zero="PROT_NONE", bits=64)  # an unsigned long: mprotect checks all 64 bits
MFLAGS = MMAPFLAGS
MREMAP = Flags(xlat.MREMAP_FLAGS, bits=64)  # an unsigned long, checked whole
MREMAP_NEW = Unused(show=(3, 2))
MADV = Enum(xlat.MADVISE)
MSYNC = Flags(xlat.MSYNC_FLAGS)
MCL = Flags(xlat.MLOCKALL_FLAGS)

# processes
CLONE = special.CloneArgs()
CLONE_TAIL = special.CloneTail()
CLONE3 = special.Clone3Args()
CLONE_FLAGS_ONLY = Flags(xlat.CLONE_FLAGS)
STRARRAY = arrays.StrArray()
ENVARRAY = arrays.EnvArray()
WSTATUS = sigstructs.WaitStatus()
WOPTS = Flags(xlat.WAIT_OPTIONS)
IDTYPE = Enum(xlat.IDTYPES)
ARCH = Enum(xlat.ARCH_PRCTL, default="hex")
RLIMIT = Enum(xlat.RLIMITS)
RLIM_IN = structs.Rlimit(out=False)
RLIM_OUT = structs.Rlimit(out=True)
RLIM_OUT_OLD = structs.Rlimit(out=True, inf="RLIM_INFINITY")
RLIM_IN_OLD = structs.Rlimit(out=False, inf="RLIM_INFINITY")
RUSAGE_WHO = Enum(xlat.RUSAGE_WHO)
PRIO_WHICH = Enum(xlat.PRIO_WHICH)
SCHED_POLICY = Enum(xlat.SCHED_POLICIES)
CPUSET = arrays.CpuSet()
GRND = Flags(xlat.GRND_FLAGS)
FUTEX_OP = special.FutexOp()
FUTEX_REST = special.FutexRest()
PRCTL = Enum(xlat.PRCTL_OPTIONS)
UTSNAME = structs.Utsname()
SYSINFO = structs.Sysinfo()
MEMBARRIER = Enum(xlat.MEMBARRIER_CMDS)

# time: an unknown clock id prints as strace's printclockname prints it, `0x4d2 /* CLOCK_??? */`
CLOCK = TFD_CLOCK
TIMER_FLAGS = Flags(xlat.TIMER_FLAGS)
TS_IN = structs.Timespec(out=False)
TS_OUT = structs.Timespec(out=True)
TV_IN = structs.Timeval(out=False)
TV_OUT = structs.Timeval(out=True)
ITIMER = Enum(xlat.ITIMERS)
ITV_IN = structs.Itimerval(out=False)
ITV_OUT = structs.Itimerval(out=True)

# signals
SIGSET_IN = sigstructs.Sigset(out=False, size_index=3)
SIGSET_OUT = sigstructs.Sigset(out=True, size_index=3)
SIGSET_IN1 = sigstructs.Sigset(out=False, size_index=1)
SIGSET_OUT1 = sigstructs.Sigset(out=True, size_index=1)
SIGACT_IN = sigstructs.Sigaction(out=False)
SIGACT_OUT = sigstructs.Sigaction(out=True)
HOW = Enum(xlat.SIGPROCMASK_HOW)
STACK_IN = sigstructs.Stack(out=False)
STACK_OUT = sigstructs.Stack(out=True)

# network
FAMILY = Enum(xlat.ADDRESS_FAMILIES)
SHUT = Enum(xlat.SHUTDOWN_HOW)
MSGFLAGS = netargs.MSG_FLAGS
MSGHDR_IN, MSGHDR_OUT = netargs.Msghdr(), netargs.Msghdr(out=True)
SOL = Enum(xlat.SOL_LEVELS)


class SockType(HEX.__class__):
    def format(self, t, raw):
        raw &= 0xFFFF_FFFF
        kind = dict(xlat.SOCK_TYPES).get(raw & 0xF, str(raw & 0xF))
        rest = raw & ~0xF
        return kind + ("|" + Flags(xlat.SOCK_FLAGS).format(t, rest) if rest else "")


SOCKTYPE = SockType()
SOCKFLAGS = Flags(xlat.SOCK_FLAGS)
IPCFLAGS = Flags(xlat.IPC_FLAGS)
IPC_CMD = Enum(xlat.IPC_CMDS)

# sockets (netargs.py) and prctl (prctlargs.py)
SOCKPROTO = netargs.SockProto()
SOCKADDR2 = netargs.SockAddr(2)  # connect, bind: (fd, addr, len)
SOCKADDR5 = netargs.SockAddr(5)  # sendto's dest_addr, addrlen at 5
SOCKADDR_OUT2 = netargs.SockAddrOut(2)  # accept, getsockname: (fd, addr, &len)
SOCKADDR_OUT5 = netargs.SockAddrOut(5)  # recvfrom's src_addr, &addrlen at 5
SOCKLEN_OUT = netargs.IntRef(out=True)
SOCKOPT = netargs.SockOptName()
SOCKOPTVAL_IN = netargs.SockOptVal()
SOCKOPTVAL_OUT = netargs.SockOptVal(out=True)
PRCTL_ARGS = prctlargs.PrctlArgs()
RET_PRCTL = prctlargs.PrctlRet()
UTIMES = structs.UtimeSpecs()
STATFS = structs.Statfs()
TMS = structs.Tms()
RUSAGE = structs.Rusage()
MKNOD_DEV1 = structs.MknodDev(1)  # mknod(path, mode, dev)
MKNOD_DEV2 = structs.MknodDev(2)  # mknodat(dirfd, path, mode, dev)
