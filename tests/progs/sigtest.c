/* Signal behaviours elfemu must reproduce; `sigtest MODE` prints deterministic lines.
 * Built static with glibc and musl by tests/test_signals.py and run natively and under elfemu. */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t hits, depth, maxdepth;
static int wfd = -1;
static char *alt_lo, *alt_hi;
static volatile int on_alt, alt_flags;

static void on_sig(int s) { (void)s; hits++; }
static void on_alrm_write(int s) { (void)s; hits++; if (wfd >= 0) (void)!write(wfd, "x", 1); }

static void install(int sig, void (*h)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, 0);
}

static void tick(long usec) {
    struct itimerval it = {{0, 0}, {0, usec}};
    setitimer(ITIMER_REAL, &it, 0);
}

static int restart(int flags) {
    int p[2];
    char c = 0;
    if (pipe(p)) return 1;
    wfd = p[1];
    install(SIGALRM, on_alrm_write, flags);
    tick(100000);
    ssize_t n = read(p[0], &c, 1);
    printf("read -> %zd %s%c hits=%d\n", n, n < 0 ? strerror(errno) : "", n > 0 ? c : ' ', hits);
    return 0;
}

static void on_alt_sig(int s) {
    char here;
    stack_t cur;
    (void)s;
    on_alt = &here > alt_lo && &here < alt_hi;
    sigaltstack(0, &cur);
    alt_flags = cur.ss_flags;
}

static volatile sig_atomic_t calls;
static void on_nested(int s) {
    depth++;
    if (depth > maxdepth) maxdepth = depth;
    if (++calls < 3) raise(s);
    depth--;
    hits++;
}

/* SIGSEGV handler that skips the faulting instruction by editing the ucontext. */
extern char fault_insn[], after_fault[];
static void on_segv_skip(int s, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    (void)s;
    printf("fault at insn: %s, si_addr=%p, code=%d\n",
           uc->uc_mcontext.gregs[REG_RIP] == (greg_t)fault_insn ? "yes" : "no", si->si_addr, si->si_code);
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)after_fault;
    uc->uc_mcontext.gregs[REG_RBX] = 4242;
}

static void on_usr_ctx(int s, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    printf("signo=%d code=%d pid ok=%d mask has USR1=%d uc_link=%p rsp aligned=%d\n", s, si->si_code,
           si->si_pid == getpid(), sigismember(&uc->uc_sigmask, SIGUSR1), (void *)uc->uc_link,
           (int)(((uintptr_t)__builtin_frame_address(0)) % 16 == 0));
    printf("fpregs set=%d\n", uc->uc_mcontext.fpregs != 0);
}

static void on_fpu(int s) {
    (void)s;
    /* a fresh FPU on entry, then clobber SSE state and the rounding mode */
    printf("handler round nearest=%d\n", fegetround() == FE_TONEAREST);
    fesetround(FE_DOWNWARD);
    __asm__ volatile("pcmpeqd %%xmm8, %%xmm8\n\txorps %%xmm9, %%xmm9" ::: "xmm8", "xmm9");
    volatile double d = 1.0 / 3.0;
    (void)d;
}

static void on_chld(int s, siginfo_t *si, void *ctx) {
    (void)s; (void)ctx;
    hits++;
    printf("SIGCHLD code=%d status=%d\n", si->si_code, si->si_status);
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    setvbuf(stdout, 0, _IONBF, 0);
    if (!strcmp(m, "eintr")) return restart(0);
    if (!strcmp(m, "restart")) return restart(SA_RESTART);
    if (!strcmp(m, "wait_eintr") || !strcmp(m, "wait_restart")) {  /* wait4 under SA_RESTART or not */
        install(SIGALRM, on_sig, !strcmp(m, "wait_restart") ? SA_RESTART : 0);
        pid_t kid = fork();
        if (kid == 0) { struct timespec t = {0, 400000000}; nanosleep(&t, 0); _exit(5); }
        tick(100000);
        int st = 0;
        pid_t r = waitpid(kid, &st, 0);
        printf("waitpid -> %s %s hits=%d\n", r == kid ? "kid" : "-1", r == kid ? "" : strerror(errno), hits);
        if (r != kid) waitpid(kid, &st, 0);
        printf("status=%d\n", WEXITSTATUS(st));
        return 0;
    }
    if (!strcmp(m, "nanosleep")) {
        install(SIGALRM, on_sig, SA_RESTART);
        tick(100000);
        struct timespec t = {5, 0}, rem = {0, 0};
        int r = nanosleep(&t, &rem);
        printf("nanosleep -> %d %s rem>3s=%d hits=%d\n", r, strerror(errno), rem.tv_sec >= 3, hits);
        return 0;
    }
    if (!strcmp(m, "altstack")) {
        static char stk[65536];
        stack_t ss = {.ss_sp = stk, .ss_size = sizeof stk, .ss_flags = 0}, old;
        alt_lo = stk; alt_hi = stk + sizeof stk;
        sigaltstack(&ss, 0);
        install(SIGUSR1, on_alt_sig, SA_ONSTACK);
        raise(SIGUSR1);
        printf("on altstack=%d flags in handler=%d\n", on_alt, alt_flags);
        install(SIGUSR2, on_alt_sig, 0);
        raise(SIGUSR2);
        sigaltstack(0, &old);
        printf("without SA_ONSTACK on altstack=%d, after: flags=%d size ok=%d\n", on_alt, old.ss_flags,
               old.ss_size == sizeof stk);
        ss.ss_size = 100;
        printf("tiny altstack -> %d %s\n", sigaltstack(&ss, 0), strerror(errno));
        return 0;
    }
    if (!strcmp(m, "ucontext")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_usr_ctx;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, 0);
        kill(getpid(), SIGUSR1);
        sa.sa_sigaction = on_segv_skip;
        sigaction(SIGSEGV, &sa, 0);
        long rbx = 0;
        __asm__ volatile(".globl fault_insn, after_fault\n"
                         "fault_insn: movl 16, %%eax\n"
                         "after_fault: nop" : "=b"(rbx) : "b"(rbx) : "rax", "memory");
        printf("resumed after fault, rbx=%ld\n", rbx);
        return 0;
    }
    if (!strcmp(m, "fpu")) {
        install(SIGUSR1, on_fpu, 0);
        fesetround(FE_UPWARD);
        uint64_t out[4];
        __asm__ volatile("movq $0x1122334455667788, %%rax\n\tmovq %%rax, %%xmm8\n\t"
                         "movq $0x99aabbccddeeff00, %%rax\n\tmovq %%rax, %%xmm9\n\t"
                         "movl $62, %%eax\n\tmovl %2, %%edi\n\tmovl $10, %%esi\n\tsyscall\n\t"
                         "movq %%xmm8, %0\n\tmovq %%xmm9, %1"
                         : "=m"(out[0]), "=m"(out[1]) : "r"(getpid())
                         : "rax", "rdi", "rsi", "rcx", "r11", "xmm8", "xmm9", "memory");
        printf("xmm8=%llx xmm9=%llx round upward=%d\n", (unsigned long long)out[0],
               (unsigned long long)out[1], fegetround() == FE_UPWARD);
        return 0;
    }
    if (!strcmp(m, "nodefer") || !strcmp(m, "defer")) {
        install(SIGUSR1, on_nested, !strcmp(m, "nodefer") ? SA_NODEFER : 0);
        raise(SIGUSR1);
        printf("maxdepth=%d hits=%d\n", maxdepth, hits);
        return 0;
    }
    if (!strcmp(m, "resethand")) {
        install(SIGUSR1, on_sig, SA_RESETHAND);
        raise(SIGUSR1);
        printf("first handled hits=%d\n", hits);
        raise(SIGUSR1);
        printf("not reached\n");
        return 0;
    }
    if (!strcmp(m, "sigsuspend")) {
        sigset_t blk, empty, now;
        sigemptyset(&blk); sigaddset(&blk, SIGALRM); sigemptyset(&empty);
        sigprocmask(SIG_BLOCK, &blk, 0);
        install(SIGALRM, on_sig, 0);
        tick(50000);
        int r = sigsuspend(&empty);
        sigprocmask(SIG_BLOCK, 0, &now);
        printf("sigsuspend -> %d %s hits=%d ALRM still blocked=%d\n", r, strerror(errno), hits,
               sigismember(&now, SIGALRM));
        return 0;
    }
    if (!strcmp(m, "timedwait")) {
        sigset_t set;
        siginfo_t si;
        sigemptyset(&set); sigaddset(&set, SIGUSR2);
        sigprocmask(SIG_BLOCK, &set, 0);
        raise(SIGUSR2);
        int r = sigtimedwait(&set, &si, 0);
        printf("sigtimedwait -> %d code=%d pid ok=%d\n", r, si.si_code, si.si_pid == getpid());
        struct timespec ts = {0, 50000000};
        r = sigtimedwait(&set, &si, &ts);
        printf("again -> %d %s\n", r, strerror(errno));
        return 0;
    }
    if (!strcmp(m, "ignore")) {
        signal(SIGUSR1, SIG_IGN);
        raise(SIGUSR1);
        kill(0, SIGUSR1);
        printf("survived\n");
        return 0;
    }
    if (!strcmp(m, "killpg")) {
        install(SIGUSR2, on_sig, 0);
        kill(0, SIGUSR2);
        while (!hits) ;
        printf("group kill handled hits=%d\n", hits);
        return 0;
    }
    if (!strcmp(m, "itimer")) {
        install(SIGALRM, on_sig, 0);
        struct itimerval it = {{0, 20000}, {0, 20000}}, cur;
        setitimer(ITIMER_REAL, &it, 0);
        while (hits < 3) pause();
        getitimer(ITIMER_REAL, &cur);
        printf("3 alarms, interval=%ld\n", (long)cur.it_interval.tv_usec);
        return 0;
    }
    if (!strcmp(m, "sigchld")) {
        struct sigaction sa;
        sigset_t blk, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_chld;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigaction(SIGCHLD, &sa, 0);
        sigemptyset(&blk); sigaddset(&blk, SIGCHLD);
        sigprocmask(SIG_BLOCK, &blk, &old);
        if (fork() == 0) _exit(7);
        while (!hits) sigsuspend(&old);
        int st;
        wait(&st);
        printf("reaped status=%d\n", WEXITSTATUS(st));
        return 0;
    }
    if (!strcmp(m, "sigpipe") || !strcmp(m, "sigpipe_ign")) {
        int p[2];
        if (!strcmp(m, "sigpipe_ign")) signal(SIGPIPE, SIG_IGN);
        if (pipe(p)) return 1;
        close(p[0]);
        ssize_t n = write(p[1], "x", 1);
        printf("write -> %zd %s\n", n, strerror(errno));
        return 0;
    }
    if (!strcmp(m, "compute")) {  /* for Ctrl-C: spin forever */
        volatile unsigned long x = 1;
        printf("spinning\n");
        for (;;) x = x * 6364136223846793005UL + 1;
    }
    if (!strcmp(m, "waitint")) {  /* for Ctrl-C: a handler for SIGINT while blocked in pause() */
        install(SIGINT, on_sig, 0);
        printf("waiting\n");
        int r = pause();
        printf("pause -> %d %s hits=%d\n", r, strerror(errno), hits);
        return 3;
    }
    fprintf(stderr, "unknown mode %s\n", m);
    return 2;
}
