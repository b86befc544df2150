/* Guest-argument fuzzer: `argfuzz SEED COUNT` makes COUNT system calls with arguments drawn
   from a seeded PRNG and prints one line per call: its index, its number and its result (the
   value, or -errno), or `?` where the result is not the same from run to run (pids, times).
   Run natively and under elfemu in scratch directories whose paths have the same length, the
   outputs must be equal; elfemu must never end in a traceback or hang.

   Arguments come by kind (the letters of each row's signature):
     f fd: 3..24 mostly, or -1, AT_FDCWD, huge, garbage above 32 bits (never 0-2 or OUTFD)
     d dirfd: AT_FDCWD mostly, else as f          n path: a name in the scratch directory,
     p pointer: read-write, straddling into a PROT_NONE page, read-only, PROT_NONE, unmapped,
       NULL, kernel, non-canonical, all ones       l length: 0, small, a page, huge, negative
     i int: small, negative, INT_MIN, random, garbage above 32 bits
     F flags: a few random bits, 0, all ones, garbage above 32 bits
     m mode: random 07777 with garbage            o offset: 0, small, negative, huge
   Buffers hold fresh random bytes before every call, so one call's output (a time, a pid)
   never feeds the next; the strings at the start of the buffer are letters (no '/', no '.'),
   so a random path never leaves the scratch directory.

   Left out, because they could harm the host or the test, end or re-shape this process, or
   never return: exit*, fork/vfork/clone*, execve*, kill/tkill/tgkill/pidfd_*, ptrace,
   process_vm_*, reboot, kexec_*, *_module, swapon/off, mount/umount2/pivot_root/chroot,
   chdir/fchdir, mknod* (device nodes), symlink* and bind (arbitrary target paths),
   connect, sendto, sendmsg, accept (the network), fallocate/copy_file_range/sendfile/splice/tee/vmsplice
   (huge lengths write real data), sync (slow), mmap/munmap/mremap/mprotect/brk/madvise/
   mlockall/shmat (this process's own memory), System V IPC and mq_* (host-wide objects),
   setuid-family/setgroups/capset/setrlimit/prlimit64/personality/prctl/arch_prctl/seccomp/
   unshare/setns (credentials and the process's own shape), rt_sigaction/rt_sigreturn/
   rt_sigsuspend/pause/alarm/setitimer/timer_* (handlers at random addresses, signals that end
   the process), nanosleep/clock_nanosleep/poll/select/epoll_wait/futex (random timeouts),
   settimeofday/clock_settime/adjtimex/sethostname (the host's), bpf/perf_event_open/keyctl/
   userfaultfd, io_uring, fanotify (the host kernel's state), close_range (drawn below).
   name_to_handle_at has no handler yet (ENOSYS).
   Calls that could wait are made not to: pipe (blocking pipes) is left out; pipes, sockets, eventfds, inotify, signalfds and
   timerfds are created O_NONBLOCK, fcntl F_SETFL keeps O_NONBLOCK (and never sets O_ASYNC),
   *_SETLKW become *_SETLK, flock gets LOCK_NB, ioctl's requests come from a list without
   FIONBIO/FIOASYNC, and fcntl's without F_SETOWN/F_SETSIG/F_NOTIFY/F_SETLEASE (signals). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OUTFD 500
#define BASE 0x100000000000UL          /* the fuzzer's own pages, at the same address in both runs */
#define ARENA_SIZE 16384
#define ARENA BASE                      /* read-write */
#define GUARD (BASE + ARENA_SIZE)       /* PROT_NONE, right after the arena */
#define RODATA (GUARD + 4096)           /* read-only: the path strings */
#define UNMAPPED (BASE + 0x40000000UL)
#define HIGH 0xdead00000000UL
#define NB 04000                        /* O_NONBLOCK = SOCK_NONBLOCK = EFD_/IN_/SFD_/TFD_NONBLOCK */

static uint64_t state;

static uint64_t rnd(void) { /* xorshift64* */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DUL;
}

static uint64_t pick(const uint64_t *v, unsigned n) { return v[rnd() % n]; }
#define PICK(...) pick((const uint64_t[]){__VA_ARGS__}, sizeof((const uint64_t[]){__VA_ARGS__}) / 8)

static const char *const NAMES[] = {
    "f0", "f1", "d0", "d0/f2", "s0", "nonexistent", "", "d0/", "f0/x", "new0", "new1", "d0/new2",
    "user.x", "trusted.y",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  /* 268: ENAMETOOLONG */
};
#define NNAMES (sizeof NAMES / sizeof *NAMES)
static uint64_t name_at[NNAMES];

static uint64_t ptr(void) {
    switch (rnd() % 12) {
    case 0: case 1: case 2: return ARENA;
    case 3: return ARENA + rnd() % ARENA_SIZE;
    case 4: return GUARD - 1 - rnd() % 64;         /* runs into the PROT_NONE page */
    case 5: return name_at[rnd() % NNAMES];         /* read-only */
    case 6: return GUARD + rnd() % 4096;
    case 7: return UNMAPPED + rnd() % 4096;
    case 8: return 0;
    case 9: return PICK(0xffff880000000000UL, 0x0000800000000000UL, ~0UL, 8, 4095);
    case 10: return RODATA + 2048;
    default: return ARENA + 8 * (rnd() % 64);
    }
}

static uint64_t fd(void) {
    if (rnd() % 8)
        return 3 + rnd() % 22;
    return PICK(-1UL, (uint64_t)-100, 0x7fffffffUL, 0x80000000UL, HIGH | 3, HIGH | 4, 1023, 499);
}

static uint64_t path(void) {
    switch (rnd() % 8) {
    case 0: return ARENA;                          /* random letters */
    case 1: return PICK(GUARD - 8, GUARD, UNMAPPED, 0, 0xffff880000000000UL, ~0UL);  /* into a fault */
    default: return name_at[rnd() % NNAMES];
    }
}

static uint64_t length(void) {
    switch (rnd() % 6) {
    case 0: return rnd() % 8;
    case 1: return rnd() % 300;
    case 2: return PICK(4096, 4095, 8192, ARENA_SIZE, ARENA_SIZE + 1);
    case 3: return PICK(1UL << 31, 1UL << 32, 1UL << 40, 1UL << 62, -1UL, -4096UL, 0x7fffffffUL, 0xffffffffUL);
    default: return rnd() % 64;
    }
}

static uint64_t integer(void) {
    switch (rnd() % 6) {
    case 0: return (uint64_t)(int64_t)(int32_t)rnd();
    case 1: return HIGH | (rnd() % 40);
    case 2: return PICK(-1UL, 0x80000000UL, (uint64_t)(int64_t)INT32_MIN, 0x7fffffffUL, 1UL << 40);
    default: return rnd() % 40;
    }
}

static uint64_t flags(void) {
    switch (rnd() % 6) {
    case 0: return 0;
    case 1: return PICK(-1UL, 0xffffffffUL, HIGH, 0x80000000UL);
    case 2: return (rnd() & rnd()) | (rnd() % 2 ? HIGH : 0);
    default: return (1UL << (rnd() % 32)) | (rnd() % 3 ? 0 : 1UL << (rnd() % 32));
    }
}

static uint64_t arg(char kind) {
    switch (kind) {
    case 'f': return fd();
    case 'd': return rnd() % 2 ? (uint64_t)-100 : fd();
    case 'n': return path();
    case 'p': return ptr();
    case 'l': return length();
    case 'i': return integer();
    case 'F': return flags();
    case 'm': return rnd() % 4 ? rnd() % 010000 : rnd();
    case 'o': return PICK(0, 1, 100, 4096, -1UL, 1UL << 40, 1UL << 62, 0x7fffffffffffffffUL, rnd() % 5000);
    default: return 0;
    }
}

struct row {
    long nr;
    const char *sig;
    int det; /* the result is the same from run to run */
};

static const struct row ROWS[] = {
    {SYS_read, "fpl", 1}, {SYS_write, "fpl", 1}, {SYS_open, "nFm", 1}, {SYS_close, "f", 1},
    {SYS_stat, "np", 1}, {SYS_fstat, "fp", 1}, {SYS_lstat, "np", 1}, {SYS_lseek, "foi", 1},
    {SYS_pread64, "fplo", 1}, {SYS_pwrite64, "fplo", 1}, {SYS_readv, "fpi", 1}, {SYS_writev, "fpi", 1},
    {SYS_access, "ni", 1}, {SYS_pipe2, "pF", 1}, {SYS_sched_yield, "", 1},
    {SYS_mincore, "plp", 1}, {SYS_msync, "plF", 1}, {SYS_mlock, "pl", 1}, {SYS_munlock, "pl", 1},
    {SYS_dup, "f", 1}, {SYS_dup2, "ff", 1}, {SYS_dup3, "ffF", 1}, {SYS_getpid, "", 0},
    {SYS_socket, "iFi", 1}, {SYS_socketpair, "iFip", 1}, {SYS_getsockname, "fpp", 1},
    {SYS_getpeername, "fpp", 1}, {SYS_getsockopt, "fiipp", 1}, {SYS_setsockopt, "fiipl", 1},
    {SYS_shutdown, "fi", 1}, {SYS_recvfrom, "fplFpp", 1}, {SYS_recvmsg, "fpF", 1},
    {SYS_uname, "p", 1}, {SYS_fcntl, "fip", 1}, {SYS_flock, "fi", 1}, {SYS_fsync, "f", 1},
    {SYS_fdatasync, "f", 1}, {SYS_truncate, "no", 1}, {SYS_ftruncate, "fo", 1},
    {SYS_getdents, "fpl", 1}, {SYS_getdents64, "fpl", 1}, {SYS_getcwd, "pl", 1},
    {SYS_rename, "nn", 1}, {SYS_mkdir, "nm", 1}, {SYS_rmdir, "n", 1}, {SYS_creat, "nm", 1},
    {SYS_link, "nn", 1}, {SYS_unlink, "n", 1}, {SYS_readlink, "npl", 1}, {SYS_chmod, "nm", 1},
    {SYS_fchmod, "fm", 1}, {SYS_chown, "nii", 1}, {SYS_fchown, "fii", 1}, {SYS_lchown, "nii", 1},
    {SYS_umask, "m", 1}, {SYS_gettimeofday, "pp", 1}, {SYS_getrlimit, "ip", 1},
    {SYS_getrusage, "ip", 1}, {SYS_sysinfo, "p", 1}, {SYS_times, "p", 0}, {SYS_getuid, "", 1},
    {SYS_getgid, "", 1}, {SYS_geteuid, "", 1}, {SYS_getegid, "", 1}, {SYS_getppid, "", 0},
    {SYS_getpgrp, "", 0}, {SYS_getgroups, "ip", 1}, {SYS_getresuid, "ppp", 1},
    {SYS_getresgid, "ppp", 1}, {SYS_capget, "pp", 1}, {SYS_rt_sigpending, "pl", 1},
    {SYS_rt_sigprocmask, "ippl", 1}, {SYS_sigaltstack, "pp", 1}, {SYS_utime, "np", 1},
    {SYS_utimes, "np", 1}, {SYS_statfs, "np", 1}, {SYS_fstatfs, "fp", 1},
    {SYS_getpriority, "ii", 0}, {SYS_sched_getparam, "ip", 0}, {SYS_getxattr, "nnpl", 1},
    {SYS_lgetxattr, "nnpl", 1}, {SYS_fgetxattr, "fnpl", 1}, {SYS_listxattr, "npl", 1},
    {SYS_flistxattr, "fpl", 1}, {SYS_setxattr, "nnplF", 1}, {SYS_fsetxattr, "fnplF", 1},
    {SYS_removexattr, "nn", 1}, {SYS_time, "p", 0}, {SYS_sched_getaffinity, "ilp", 0},
    {SYS_epoll_create, "i", 1}, {SYS_epoll_create1, "F", 1}, {SYS_epoll_ctl, "fifp", 1},
    {SYS_fadvise64, "fooi", 1}, {SYS_clock_gettime, "ip", 1}, {SYS_clock_getres, "ip", 1},
    {SYS_wait4, "ipip", 1}, {SYS_waitid, "iipip", 1}, {SYS_inotify_init1, "F", 1},
    {SYS_inotify_add_watch, "fnF", 1}, {SYS_inotify_rm_watch, "fi", 1}, {SYS_openat, "dnFm", 1},
    {SYS_mkdirat, "dnm", 1}, {SYS_fchownat, "dniiF", 1}, {SYS_newfstatat, "dnpF", 1},
    {SYS_unlinkat, "dnF", 1}, {SYS_renameat, "dndn", 1}, {SYS_linkat, "dndnF", 1},
    {SYS_readlinkat, "dnpl", 1}, {SYS_fchmodat, "dnm", 1}, {SYS_faccessat, "dni", 1},
    {SYS_utimensat, "dnpF", 1}, {SYS_faccessat2, "dniF", 1}, {SYS_renameat2, "dndnF", 1},
    {SYS_statx, "dnFip", 1}, {SYS_signalfd4, "fplF", 1}, {SYS_eventfd2, "iF", 1},
    {SYS_timerfd_create, "iF", 1}, {SYS_timerfd_settime, "fFpp", 1}, {SYS_timerfd_gettime, "fp", 1},
    {SYS_preadv, "fpio", 1}, {SYS_pwritev, "fpio", 1}, {SYS_getrandom, "plF", 1},
    {SYS_memfd_create, "nF", 1}, {SYS_sync_file_range, "fooF", 1}, {SYS_readahead, "fol", 1},
    {SYS_syncfs, "f", 1}, {SYS_getcpu, "ppp", 1},
    {SYS_openat2, "dnpl", 1}, {SYS_ioctl, "fip", 1}, {SYS_epoll_ctl, "fifp", 1},
};
#define NROWS (sizeof ROWS / sizeof *ROWS)

static const uint64_t FCNTL_CMDS[] = {
    F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK,
    F_OFD_SETLKW, F_DUPFD_CLOEXEC, F_GETPIPE_SZ, F_SETPIPE_SZ, F_GETOWN, F_ADD_SEALS, F_GET_SEALS,
    F_GETLEASE, F_GETSIG, 0x7fffffff, 99, HIGH | F_GETFD, 0xffffffff,
};
static const uint64_t IOCTL_REQS[] = {
    0x541B /* FIONREAD */, 0x5451 /* FIOCLEX */, 0x5450 /* FIONCLEX */, 0x5401 /* TCGETS */,
    0x5413 /* TIOCGWINSZ */, 2 /* FIGETBSZ */, 0x80086601 /* FS_IOC_GETFLAGS */, 0x5460 /* FIOQSIZE */,
    0x12345678, HIGH | 0x541B, 0xffffffff, 0,
};

/* Keep a call from waiting or from signalling (see the header). */
static void tame(long nr, uint64_t *a) {
    if (nr == SYS_pipe2) a[1] |= NB;
    if (nr == SYS_inotify_init1) a[0] |= NB;
    if (nr == SYS_eventfd2 || nr == SYS_timerfd_create || nr == SYS_socket || nr == SYS_socketpair) a[1] |= NB;
    if (nr == SYS_signalfd4) a[3] |= NB;
    if (nr == SYS_flock) a[1] |= 4; /* LOCK_NB */
    if (nr == SYS_fcntl) {
        a[1] = FCNTL_CMDS[rnd() % (sizeof FCNTL_CMDS / sizeof *FCNTL_CMDS)];
        if (a[1] == F_SETLKW) a[1] = F_SETLK;
        if (a[1] == F_OFD_SETLKW) a[1] = F_OFD_SETLK;
        if (a[1] == F_SETFL) a[2] = (a[2] | NB) & ~(uint64_t)O_ASYNC;
        if (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC || a[1] == F_SETPIPE_SZ || a[1] == F_SETFD) a[2] = arg('i');
    }
    if (nr == SYS_ioctl) a[1] = IOCTL_REQS[rnd() % (sizeof IOCTL_REQS / sizeof *IOCTL_REQS)];
    if (nr == SYS_open || nr == SYS_openat) a[nr == SYS_open ? 1 : 2] &= ~(uint64_t)O_ASYNC;
}

static char out[8192];
static size_t used;

static void flush(void) {
    size_t off = 0;
    while (off < used) {
        ssize_t n = write(OUTFD, out + off, used - off);
        if (n <= 0)
            exit(3);
        off += n;
    }
    used = 0;
}

static uint64_t noise[2 * ARENA_SIZE / 8]; /* random bytes, made once: a copy is cheaper than a PRNG */

static void fresh_buffers(void) {
    memcpy((void *)ARENA, (char *)noise + 8 * (rnd() % (ARENA_SIZE / 8)), ARENA_SIZE);
    unsigned char *s = (unsigned char *)ARENA; /* the first bytes: a letters-only string */
    unsigned len = rnd() % 24;
    for (unsigned i = 0; i < len; i++)
        s[i] = 'a' + s[i] % 26;
    s[len] = 0;
    for (unsigned i = ARENA_SIZE - 64; i < ARENA_SIZE; i++) /* a string here runs into the guard page */
        s[i] = 'a' + s[i] % 26;
}

static void scratch(void) {
    /* elfemu's own fds live at 900 and up: closing 3..OUTFD-1 leaves them and OUTFD alone */
    syscall(SYS_close_range, 3, OUTFD - 1, 0);
    umask(022);
    int f = open("f0", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (f >= 0 && write(f, "#!/nonexistent\nsome text\n", 25) < 0) /* executable, not running */
        exit(4);
    close(f);
    close(open("f1", O_WRONLY | O_CREAT, 0644));
    mkdir("d0", 0755);
    close(open("d0/f2", O_WRONLY | O_CREAT, 0644));
    if (symlink("f0", "s0") && errno != EEXIST)
        exit(5);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, 0);
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, 0);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: argfuzz SEED COUNT\n");
        return 2;
    }
    state = strtoull(argv[1], 0, 0) * 2654435761UL + 1;
    long count = strtol(argv[2], 0, 0);
    if (dup2(1, OUTFD) != OUTFD)
        return 2;
    if (mmap((void *)BASE, ARENA_SIZE + 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
             -1, 0) != (void *)BASE)
        return 2;
    char *ro = (char *)RODATA, *at = ro;
    for (unsigned i = 0; i < NNAMES; i++) {
        name_at[i] = (uint64_t)at;
        strcpy(at, NAMES[i]);
        at += strlen(NAMES[i]) + 1;
    }
    for (unsigned i = 0; i < sizeof noise / 8; i++)
        noise[i] = rnd();
    mprotect((void *)GUARD, 4096, PROT_NONE);
    mprotect((void *)RODATA, 4096, PROT_READ);
    for (long i = 0; i < count; i++) {
        if (i % 64 == 0)
            scratch();
        const struct row *r = &ROWS[rnd() % NROWS];
        uint64_t a[6] = {0};
        for (unsigned k = 0; r->sig[k]; k++)
            a[k] = arg(r->sig[k]);
        tame(r->nr, a);
        fresh_buffers();
        long ret = syscall(r->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (ret == -1)
            ret = -errno;
        if (used > sizeof out - 64)
            flush();
        if (r->det)
            used += snprintf(out + used, sizeof out - used, "%ld %ld %ld\n", i, r->nr, ret);
        else
            used += snprintf(out + used, sizeof out - used, "%ld %ld ?\n", i, r->nr);
    }
    flush();
    return 0;
}
