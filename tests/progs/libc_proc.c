/* Processes and signals through libc: popen, system, posix_spawn, setjmp/longjmp, sigsetjmp with
   a signal handler, alarm, setitimer, ualarm, getrusage, times, clock, sleep/nanosleep, raise, abort in a child.
   (posix_spawn of a missing program, whose error glibc passes back through memory a vfork child
   shares with its parent, is in vfork_share.c.) */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static sigjmp_buf env;
static volatile sig_atomic_t ticks;
static void on_alarm(int s) { (void)s; ticks++; }
static void on_segv(int s) { siglongjmp(env, s); }
static void on_usr1(int s) { (void)s; ticks += 100; }
static jmp_buf jb;
static void deep(int n) { if (n == 0) longjmp(jb, 7); deep(n - 1); }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    FILE *p = popen("echo from popen; exit 3", "r"); char buf[128];
    while (fgets(buf, sizeof buf, p)) printf("popen read: %s", buf);
    int st = pclose(p); printf("pclose exit=%d\n", WEXITSTATUS(st));
    p = popen("cat > /dev/null", "w"); fputs("data", p); printf("pclose w=%d\n", pclose(p));
    st = system("exit 5"); printf("system=%d\n", WEXITSTATUS(st));
    st = system("kill -TERM $$"); printf("system signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    pid_t pid; char *argv[] = {"sh", "-c", "echo spawned $0 $1", "x", "y", NULL};
    int rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
    waitpid(pid, &st, 0); printf("posix_spawn rc=%d exit=%d\n", rc, WEXITSTATUS(st));
    posix_spawn_file_actions_t fa; posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
    posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ); waitpid(pid, &st, 0); printf("spawn to devnull exit=%d\n", WEXITSTATUS(st));
    int v = setjmp(jb); if (v == 0) deep(50); printf("longjmp=%d\n", v);
    signal(SIGSEGV, on_segv);
    if ((v = sigsetjmp(env, 1)) == 0) { *(volatile int *)8 = 1; printf("not reached\n"); }
    printf("sigsetjmp back with %d\n", v);
    if ((v = sigsetjmp(env, 1)) == 0) { *(volatile int *)16 = 1; }
    printf("again %d (mask restored)\n", v);
    signal(SIGALRM, on_alarm); alarm(1); pause(); printf("alarm ticks=%d remaining=%u\n", ticks, alarm(0));
    struct itimerval it = {{0, 20000}, {0, 20000}}; setitimer(ITIMER_REAL, &it, NULL);
    while (ticks < 4) pause();
    struct itimerval cur; getitimer(ITIMER_REAL, &cur); printf("itimer interval=%ld\n", (long)cur.it_interval.tv_usec);
    memset(&it, 0, sizeof it); setitimer(ITIMER_REAL, &it, NULL); printf("itimer ticks>=4: %d\n", ticks >= 4);
    ticks = 0; ualarm(50000, 0); pause(); printf("ualarm ticks=%d\n", ticks);
    signal(SIGUSR1, on_usr1); raise(SIGUSR1); printf("raise ticks=%d\n", ticks);
    sigset_t set, old; sigemptyset(&set); sigaddset(&set, SIGUSR1); sigprocmask(SIG_BLOCK, &set, &old);
    kill(getpid(), SIGUSR1); printf("blocked ticks=%d\n", ticks); sigset_t pend; sigpending(&pend); printf("pending=%d\n", sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL); printf("unblocked ticks=%d\n", ticks);
    volatile double x = 0; for (int i = 0; i < 3000000; i++) x += i;
    struct rusage ru; getrusage(RUSAGE_SELF, &ru); printf("rusage utime>0: %d maxrss>0: %d\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec > 0, ru.ru_maxrss > 0);
    struct tms tm; clock_t tk = times(&tm); printf("times ok: %d\n", tk != (clock_t)-1);
    printf("clock>0: %d CLOCKS_PER_SEC=%ld\n", clock() > 0, (long)CLOCKS_PER_SEC);
    struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a); struct timespec d = {0, 30000000}; nanosleep(&d, NULL); clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000; printf("nanosleep >=30ms: %d\n", ms >= 30);
    usleep(1000); sleep(0);
    pid = fork(); if (pid == 0) { abort(); } waitpid(pid, &st, 0); printf("child abort sig=%d\n", WTERMSIG(st));
    pid = fork(); if (pid == 0) { _exit(42); } waitpid(pid, &st, 0); printf("child exit=%d\n", WEXITSTATUS(st));
    printf("getenv PATH set: %d\n", getenv("PATH") != NULL);
    return 0;
}
