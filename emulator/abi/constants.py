"""Linux's x86-64 flag and constant values that more than one elfemu module uses, each written once.

The values are the uapi headers' (include/uapi/asm-generic/mman-common.h, fcntl.h, signal.h,
siginfo.h, sched.h, prctl.h, ...; arch/x86/include/uapi for the x86 ones). The handlers test
arguments against these names, the loader and memory build the guest's address space with them,
and syscalls/decode/xlat.py's strace-ordered (value, name) tables take their values from here,
so a value a handler acts on and the name the tracer prints cannot disagree. A constant that only
one module uses stays in that module.
"""

# ----- the address space (arch/x86/include/asm/page_64_types.h, processor.h) ----------------
PAGE_SIZE = 0x1000
TASK_SIZE = 0x7FFF_FFFF_F000  # the top of user space, where the initial stack starts (no ASLR)

# ----- mmap, mprotect, mremap, msync, madvise, mlockall (asm-generic/mman-common.h, mman.h) --
PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM = 0x1, 0x2, 0x4, 0x8
PROT_GROWSDOWN, PROT_GROWSUP = 0x01000000, 0x02000000
MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE = 0x1, 0x2, 0x3, 0xF
MAP_FIXED, MAP_ANONYMOUS, MAP_32BIT, MAP_GROWSDOWN = 0x10, 0x20, 0x40, 0x100
MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED, MAP_NORESERVE = 0x800, 0x1000, 0x2000, 0x4000
MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC = 0x8000, 0x10000, 0x20000, 0x40000, 0x80000
MAP_FIXED_NOREPLACE, MAP_UNINITIALIZED = 0x100000, 0x4000000
MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4
MS_ASYNC, MS_INVALIDATE, MS_SYNC = 1, 2, 4
MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_HUGEPAGE = 4, 8, 9, 14
MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4

# ----- open flags and *at() flags (asm-generic/fcntl.h, linux/fcntl.h) -----------------------
O_RDONLY, O_WRONLY, O_RDWR, O_ACCMODE = 0, 1, 2, 3
O_CREAT, O_TRUNC, O_NOFOLLOW = 0o100, 0o1000, 0o400000
O_CLOEXEC, O_PATH, O_TMPFILE = 0o2000000, 0o10000000, 0o20200000
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EMPTY_PATH = 0x100, 0x200, 0x1000
F_GETLK, F_SETLK, F_SETLKW, F_SETOWN_EX, F_GETOWN_EX = 5, 6, 7, 15, 16
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38

# ----- clone (linux/sched.h) -------------------------------------------------------------------
CSIGNAL = 0x000000FF
CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x00000100, 0x00000200, 0x00000400, 0x00000800
CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT = 0x00001000, 0x00002000, 0x00004000, 0x00008000
CLONE_THREAD, CLONE_NEWNS, CLONE_SYSVSEM, CLONE_SETTLS = 0x00010000, 0x00020000, 0x00040000, 0x00080000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_DETACHED = 0x00100000, 0x00200000, 0x00400000
CLONE_UNTRACED, CLONE_CHILD_SETTID, CLONE_IO = 0x00800000, 0x01000000, 0x80000000

# ----- signals (asm/signal.h, asm-generic/siginfo.h) --------------------------------------------
NSIG = 64
SIG_DFL, SIG_IGN = 0, 1
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SA_SIGINFO, SA_RESTORER, SA_ONSTACK, SA_RESTART = 0x4, 0x04000000, 0x08000000, 0x10000000
SA_NODEFER, SA_RESETHAND = 0x40000000, 0x80000000
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
SI_USER, SI_KERNEL, SI_TIMER, SI_TKILL = 0, 0x80, -2, -6
SEGV_MAPERR, SEGV_ACCERR = 1, 2
BUS_ADRERR = 2
ILL_ILLOPN = 2
FPE_INTDIV = 1
TRAP_BRKPT, TRAP_TRACE, TRAP_HWBKPT = 1, 2, 4
CLD_EXITED, CLD_KILLED, CLD_DUMPED = 1, 2, 3
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID = 0, 1, 4
SIGSET_SIZE = 8  # the kernel's sigset_t: 64 signals
SIGINFO_SIZE = 128
SIGEVENT_SIZE = 64

# The kernel-internal "restart" errnos a call returns when a signal interrupts it (linux/errno.h);
# the signal code turns them into EINTR or a restart.
ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK = 512, 513, 514, 516

# ----- clocks and timers (linux/time.h) --------------------------------------------------------
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 0, 1, 2, 3
CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME = 4, 5, 6, 7
CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI = 8, 9, 11
TIMER_ABSTIME = 1
NSEC_PER_SEC = 1_000_000_000
ITIMERSPEC_SIZE = 32

# ----- futex (linux/futex.h) -------------------------------------------------------------------
FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 2, 3, 4, 5
FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 6, 7, 8, 9, 10
FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2 = 11, 12, 13
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_CMD_MASK = 0x7F  # the command, without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME
FUTEX_BITSET_MATCH_ANY = 0xFFFF_FFFF
FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK = 0x80000000, 0x40000000, 0x3FFFFFFF  # a PI/robust word's bits
ROBUST_LIST_HEAD_SIZE = 24  # struct robust_list_head

# ----- prctl and arch_prctl (linux/prctl.h, asm/prctl.h) ---------------------------------------
PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_GET_KEEPCAPS, PR_SET_KEEPCAPS = 7, 8
PR_SET_NAME, PR_GET_NAME = 15, 16
PR_CAPBSET_READ, PR_CAPBSET_DROP = 23, 24
PR_GET_SECUREBITS, PR_SET_SECUREBITS = 27, 28
PR_SET_TIMERSLACK, PR_GET_TIMERSLACK = 29, 30
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
PR_SET_THP_DISABLE, PR_GET_THP_DISABLE = 41, 42
PR_CAP_AMBIENT = 47
PR_SET_VMA = 0x53564D41
PR_GET_SECCOMP = 21
TASK_COMM_LEN = 16  # the task name prctl and /proc/PID/comm carry, NUL included
ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004
ARCH_GET_CPUID, ARCH_SET_CPUID = 0x1011, 0x1012

# ----- resources, randomness (asm-generic/resource.h, linux/resource.h, linux/random.h) -------------
RLIMIT_DATA, RLIMIT_STACK, RLIMIT_RSS, RLIMIT_MEMLOCK, RLIMIT_AS = 2, 3, 5, 8, 9
RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD = 0, -1, 1
GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE = 1, 2, 4
MPOL_F_ADDR = 2

# ----- capabilities (linux/capability.h) ---------------------------------------------------------
CAP_V1, CAP_V2, CAP_V3 = 0x19980330, 0x20071026, 0x20080522

# ----- System V IPC (linux/ipc.h, shm.h) -----------------------------------------------------------
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC = 0o10000, 0o20000, 0o40000, 0o100000

# ----- descriptors, polling and sockets (asm-generic/poll.h, linux/eventpoll.h, linux/socket.h) -----
POLLNVAL = 0x20
EPOLL_CTL_DEL = 2
SOL_SOCKET = 1
MSG_DONTWAIT, MSG_WAITFORONE, MSG_CMSG_COMPAT = 0x40, 0x10000, 0x80000000
UIO_MAXIOV = 1024  # iovecs one readv/writev/sendmsg takes at most
OPEN_HOW_SIZE = 24  # struct open_how, the first version
MMSGHDR_SIZE = 64  # struct mmsghdr: a 56-byte msghdr, msg_len, padding
