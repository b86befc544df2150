/* Probe of the memory, information and time syscalls: prints one deterministic line per
 * check, so tests/test_mm.py can compare a native run with an emulated one line by line.
 * Raw syscall() is used where libc wrappers differ between glibc and musl. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define P 4096
static long sc(long n, long a, long b, long c, long d, long e, long f) {
    long r = syscall(n, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}
#define CHECK(name, expr) printf("%-28s %ld\n", name, (long)(expr))

static char maps[1 << 16];

/* How many /proc/self/maps lines contain needle (read without malloc: musl's malloc uses brk). */
static int maps_has(const char *needle) {
    int fd = open("/proc/self/maps", O_RDONLY), n = 0;
    long len = 0, r;
    if (fd < 0) return -1;
    while ((r = read(fd, maps + len, sizeof maps - 1 - len)) > 0) len += r;
    close(fd);
    maps[len] = 0;
    for (char *line = strtok(maps, "\n"); line; line = strtok(0, "\n")) n += strstr(line, needle) != 0;
    return n;
}

int main(int argc, char **argv) {
    const char *file = argc > 1 ? argv[1] : "/tmp/mm_probe.dat";
    char *a, *b, *c;

    /* ---- mmap argument checks */
    CHECK("mmap len0", sc(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHECK("mmap notype", sc(SYS_mmap, 0, P, PROT_READ, MAP_ANONYMOUS, -1, 0));
    CHECK("mmap badoff", sc(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, 0, 123));
    CHECK("mmap badfd", sc(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, 99, 0));
    CHECK("mmap huge", sc(SYS_mmap, 0, 1L << 47, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHECK("mmap fixed unaligned", sc(SYS_mmap, 0x10000123, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    CHECK("mmap fixed low", sc(SYS_mmap, 0x1000, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));

    /* ---- anonymous, MAP_FIXED replaces, MAP_FIXED_NOREPLACE */
    a = mmap(0, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("anon ok", a != MAP_FAILED);
    CHECK("anon zero", a[0] == 0 && a[4 * P - 1] == 0);
    memset(a, 'x', 4 * P);
    b = mmap(a + P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("fixed same addr", b == a + P);
    CHECK("fixed zeroed", b[0] == 0 && a[0] == 'x' && a[2 * P] == 'x');
    CHECK("noreplace overlap", sc(SYS_mmap, (long)(a + P), P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | 0x100000, -1, 0));
    CHECK("munmap unaligned", sc(SYS_munmap, (long)a + 1, P, 0, 0, 0, 0));
    CHECK("munmap len0", sc(SYS_munmap, (long)a, 0, 0, 0, 0, 0));
    CHECK("munmap middle", munmap(a + P, P));
    CHECK("mprotect hole", sc(SYS_mprotect, (long)a, 3 * P, PROT_READ, 0, 0, 0));
    CHECK("mprotect unaligned", sc(SYS_mprotect, (long)a + 1, P, PROT_READ, 0, 0, 0));
    CHECK("mprotect badprot", sc(SYS_mprotect, (long)a, P, 0x100, 0, 0, 0));
    CHECK("mprotect ok", mprotect(a, P, PROT_READ));
    CHECK("madvise hole", sc(SYS_madvise, (long)a, 3 * P, MADV_DONTNEED, 0, 0, 0));
    CHECK("madvise bad", sc(SYS_madvise, (long)a, P, 12345, 0, 0, 0));
    CHECK("msync bad flags", sc(SYS_msync, (long)a, P, MS_SYNC | MS_ASYNC, 0, 0, 0));
    CHECK("noreplace free", sc(SYS_mmap, (long)(a + P), P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | 0x100000, -1, 0) == (long)(a + P));
    {
        unsigned char vec[4];
        CHECK("mincore", sc(SYS_mincore, (long)a, 2 * P, (long)vec, 0, 0, 0));
        CHECK("mincore unmapped", sc(SYS_mincore, 0x10000, P, (long)vec, 0, 0, 0));
    }

    /* ---- MADV_DONTNEED zero-fills private anonymous pages */
    c = mmap(0, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(c, 'y', 2 * P);
    CHECK("madvise dontneed", madvise(c, P, MADV_DONTNEED));
    CHECK("dontneed zeroed", c[0] == 0 && c[P] == 'y');

    /* ---- mremap: grow in place or move (contents follow), shrink, FIXED, errors */
    c[P] = 'z';
    {
        char *g = mremap(c, 2 * P, 64 * P, MREMAP_MAYMOVE);
        CHECK("mremap grow", g != MAP_FAILED);
        CHECK("mremap kept", g[P] == 'z' && g[63 * P] == 0);
        char *blocker = mmap(g + 64 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        CHECK("blocker", blocker == g + 64 * P);
        CHECK("mremap nomove", sc(SYS_mremap, (long)g, 64 * P, 65 * P, 0, 0, 0));
        CHECK("mremap shrink", mremap(g, 64 * P, 2 * P, 0) == g);
        CHECK("mremap badflags", sc(SYS_mremap, (long)g, P, P, 8, 0, 0));
        CHECK("mremap fixed nomay", sc(SYS_mremap, (long)g, P, P, MREMAP_FIXED, 0x20000000, 0));
        CHECK("mremap unmapped", sc(SYS_mremap, 0x10000, P, 2 * P, MREMAP_MAYMOVE, 0, 0));
        CHECK("mremap len0 private", sc(SYS_mremap, (long)g, 0, P, MREMAP_MAYMOVE, 0, 0));
        char *f = mremap(g, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x30000000);
        CHECK("mremap fixed", f == (char *)0x30000000);
        CHECK("mremap fixed kept", f[P] == 'z');
        CHECK("old gone", sc(SYS_mprotect, (long)g, P, PROT_READ, 0, 0, 0));
    }

    /* ---- file mappings */
    {
        int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
        char buf[16] = {0};
        write(fd, "hello mapped file", 17);
        char *m = mmap(0, P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        CHECK("file private", m != MAP_FAILED && memcmp(m, "hello mapped", 12) == 0);
        CHECK("file tail zero", m[17] == 0 && m[P - 1] == 0);
        m[0] = 'J';
        pread(fd, buf, 5, 0);
        CHECK("private not written", buf[0] == 'h');
        CHECK("maps names file", maps_has(strrchr(file, '/')) >= 1);
        CHECK("dontneed refetch", madvise(m, P, MADV_DONTNEED) == 0 && m[0] == 'h');
        char *s = mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        s[0] = 'S';
        CHECK("msync", msync(s, P, MS_SYNC));
        pread(fd, buf, 5, 0);
        CHECK("shared written", buf[0] == 'S');
        int ro = open(file, O_RDONLY);
        CHECK("shared ro write", sc(SYS_mmap, 0, P, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
        char *sr = mmap(0, P, PROT_READ, MAP_SHARED, ro, 0);
        CHECK("shared ro read", sr != MAP_FAILED && sr[0] == 'S');
        CHECK("mprotect shared ro", sc(SYS_mprotect, (long)sr, P, PROT_READ | PROT_WRITE, 0, 0, 0));
        int wo = open(file, O_WRONLY);
        CHECK("map wronly", sc(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, wo, 0));
        int dir = open("/", O_RDONLY);
        CHECK("map dir", sc(SYS_mmap, 0, P, PROT_READ, MAP_PRIVATE, dir, 0));
        close(fd); close(ro); close(wo); close(dir);
        unlink(file);
    }

    /* ---- shared anonymous memory is shared across fork */
    {
        volatile int *sh = mmap(0, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        volatile int *pr = mmap(0, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        pid_t pid = fork();
        if (pid == 0) { *sh = 42; *pr = 42; _exit(0); }
        waitpid(pid, 0, 0);
        CHECK("shared after fork", *sh);
        CHECK("private after fork", *pr);
    }

    /* ---- brk (raw: musl's sbrk only reads the break): one [heap] line however it grew */
    {
        char *b0 = (char *)syscall(SYS_brk, 0);
        for (int i = 1; i <= 8; i++) syscall(SYS_brk, b0 + 3 * P * i);
        memset(b0, 1, 24 * P);
        CHECK("heap lines", maps_has("[heap]"));
        CHECK("brk shrink", (char *)syscall(SYS_brk, b0 + P) == b0 + P);
        CHECK("brk below start", (char *)syscall(SYS_brk, 0x1000) == b0 + P);
        CHECK("brk huge", (char *)syscall(SYS_brk, 0x7fffffffffff0000) == b0 + P);
    }

    /* ---- limits, system information */
    {
        struct rlimit rl;
        getrlimit(RLIMIT_STACK, &rl);
        CHECK("RLIMIT_STACK soft", rl.rlim_cur);
        getrlimit(RLIMIT_NOFILE, &rl);
        CHECK("RLIMIT_NOFILE soft", rl.rlim_cur);
        CHECK("getrlimit bad", sc(SYS_getrlimit, 99, (long)&rl, 0, 0, 0, 0));
        struct rlimit nl = {64, rl.rlim_max};
        CHECK("setrlimit nofile", setrlimit(RLIMIT_NOFILE, &nl));
        getrlimit(RLIMIT_NOFILE, &rl);
        CHECK("nofile now", rl.rlim_cur);
        nl.rlim_cur = nl.rlim_max + 1;
        CHECK("setrlimit soft>hard", nl.rlim_max == RLIM_INFINITY ? -EINVAL : sc(SYS_setrlimit, RLIMIT_NOFILE, (long)&nl, 0, 0, 0, 0));
        struct rlimit as = {1L << 40, RLIM_INFINITY}, old;
        CHECK("prlimit as", sc(SYS_prlimit64, 0, RLIMIT_AS, (long)&as, (long)&old, 0, 0));
        CHECK("prlimit as old", old.rlim_cur == RLIM_INFINITY);
        CHECK("mmap over RLIMIT_AS", sc(SYS_mmap, 0, 1L << 41, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
        struct utsname u, nu;
        uname(&u);
        CHECK("uname machine x86_64", strcmp(u.machine, "x86_64") == 0);
        CHECK("uname sysname Linux", strcmp(u.sysname, "Linux") == 0);
        printf("uname release %s\n", u.release);
        (void)nu;
        struct sysinfo si;
        CHECK("sysinfo", sysinfo(&si));
        printf("sysinfo totalram %lu unit %u\n", si.totalram, si.mem_unit);
        char rnd[64];
        CHECK("getrandom", getrandom(rnd, sizeof rnd, 0));
        CHECK("getrandom nonblock", getrandom(rnd, 16, GRND_NONBLOCK));
        CHECK("getrandom badflags", sc(SYS_getrandom, (long)rnd, 16, 0x80, 0, 0, 0));
        CHECK("getrandom efault", sc(SYS_getrandom, 16, 16, 0, 0, 0, 0));
        cpu_set_t set;
        CHECK("affinity", sched_getaffinity(0, sizeof set, &set));
        printf("cpus %d\n", CPU_COUNT(&set));
        CHECK("affinity small", sc(SYS_sched_getaffinity, 0, 1, (long)&set, 0, 0, 0));
        CHECK("sched_yield", sched_yield());
        unsigned cpu = 999, node = 999;
        CHECK("getcpu", sc(SYS_getcpu, (long)&cpu, (long)&node, 0, 0, 0, 0));
        CHECK("getcpu valid", cpu < 4096 && node == 0);
        CHECK("personality", sc(SYS_personality, 0xffffffff, 0, 0, 0, 0, 0));
        uid_t r, e, s;
        getresuid(&r, &e, &s);
        CHECK("getresuid", r == getuid() && e == geteuid());
        CHECK("setuid self", setuid(getuid()));
        struct rusage ru;
        CHECK("getrusage", getrusage(RUSAGE_SELF, &ru));
        CHECK("getrusage bad", sc(SYS_getrusage, 5, (long)&ru, 0, 0, 0, 0));
        struct tms t;
        CHECK("times", times(&t) > 0);
    }

    /* ---- time */
    {
        struct timespec t0, t1, res, req = {0, 20 * 1000 * 1000}, bad = {0, 1000000000};
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK("nanosleep", nanosleep(&req, 0));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        CHECK("slept >= 20ms", ms >= 20 && ms < 2000);
        CHECK("nanosleep bad", sc(SYS_nanosleep, (long)&bad, 0, 0, 0, 0, 0));
        CHECK("nanosleep efault", sc(SYS_nanosleep, 8, 0, 0, 0, 0, 0));
        clock_gettime(CLOCK_MONOTONIC, &t0);
        t0.tv_nsec += 20 * 1000 * 1000;
        if (t0.tv_nsec >= 1000000000) { t0.tv_sec++; t0.tv_nsec -= 1000000000; }
        CHECK("clock_nanosleep abs", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t0, 0));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        CHECK("abs deadline reached", t1.tv_sec > t0.tv_sec || (t1.tv_sec == t0.tv_sec && t1.tv_nsec >= t0.tv_nsec));
        CHECK("clock_nanosleep past", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &(struct timespec){1, 0}, 0));
        CHECK("clock_nanosleep thread", sc(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, (long)&req, 0, 0, 0));
        CHECK("clock_gettime bad", sc(SYS_clock_gettime, 12345, (long)&t0, 0, 0, 0, 0));
        CHECK("clock_getres", clock_getres(CLOCK_MONOTONIC, &res));
        printf("res %ld.%09ld\n", (long)res.tv_sec, res.tv_nsec);
        struct timeval tv;
        CHECK("gettimeofday", gettimeofday(&tv, 0));
        time_t now = time(0);
        CHECK("time agrees", labs(now - tv.tv_sec) <= 2);
        clock_gettime(CLOCK_REALTIME, &t1);
        CHECK("realtime agrees", labs(t1.tv_sec - tv.tv_sec) <= 2);
        CHECK("time syscall", labs(sc(SYS_time, 0, 0, 0, 0, 0, 0) - now) <= 2);
    }
    return 0;
}
