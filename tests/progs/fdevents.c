/* epoll, eventfd, timerfd and inotify, good and bad: one line per result, the same natively
   and under elfemu (glibc and musl). Run in an empty directory (inotify watches ./w).
   Timing-dependent values are printed as comparisons, never as raw numbers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e) {
    switch (e) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    case ELOOP: return "ELOOP";
    case ENOTDIR: return "ENOTDIR";
    default: return "E?";
    }
}

static void show(const char *what, long r) {
    if (r < 0)
        printf("%s: -1 %s\n", what, ename(errno));
    else
        printf("%s: %ld\n", what, r);
    fflush(stdout);
}

static long ms_since(struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int add(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void wait_show(const char *what, int ep, int timeout) {
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, 8, timeout);
    if (n < 0) {
        printf("%s: -1 %s\n", what, ename(errno));
        return;
    }
    printf("%s: %d", what, n);
    for (int i = 0; i < n; i++)
        printf(" {%#x %llu}", evs[i].events, (unsigned long long)evs[i].data.u64);
    printf("\n");
    fflush(stdout);
}

static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void arm(int ms) {
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void basics(void) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    show("epoll_create1", ep >= 0);
    show("cloexec", fcntl(ep, F_GETFD) & FD_CLOEXEC);
    int p[2];
    pipe(p);
    show("add pipe", add(ep, p[0], EPOLLIN, 0x1122334455667788ull));
    show("add pipe again", add(ep, p[0], EPOLLIN, 1));
    wait_show("empty", ep, 0);
    write(p[1], "ab", 2);
    wait_show("readable", ep, 0);
    wait_show("still readable (level)", ep, 0);
    char buf[8];
    read(p[0], buf, 2);
    wait_show("drained", ep, 0);
    show("add write end", add(ep, p[1], EPOLLOUT, 7));
    wait_show("writable", ep, 0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = 9};
    show("mod write end", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    wait_show("after mod", ep, 0);
    show("del write end", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    show("del again", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    show("mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    close(p[1]);
    wait_show("writer closed", ep, 0);
    close(p[0]);
    wait_show("reader closed (auto removed)", ep, 0);
    close(ep);
}

static void triggers(void) {
    int ep = epoll_create(1);
    int e = eventfd(0, EFD_NONBLOCK);
    show("add eventfd oneshot", add(ep, e, EPOLLIN | EPOLLONESHOT, 42));
    uint64_t v = 3;
    write(e, &v, 8);
    wait_show("oneshot fires", ep, 0);
    wait_show("oneshot disarmed", ep, 0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 43};
    show("rearm", epoll_ctl(ep, EPOLL_CTL_MOD, e, &ev));
    wait_show("rearmed fires", ep, 0);
    show("read eventfd", read(e, &v, 8));
    printf("value %llu\n", (unsigned long long)v);
    show("read empty eventfd", read(e, &v, 8));
    close(e);

    int p[2];
    pipe(p);
    show("add pipe ET", add(ep, p[0], EPOLLIN | EPOLLET, 5));
    write(p[1], "x", 1);
    wait_show("edge", ep, 0);
    wait_show("no new edge", ep, 0);
    write(p[1], "y", 1);
    wait_show("second edge", ep, 0);
    close(p[0]);
    close(p[1]);

    int s = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    show("sem read 1", read(s, &v, 8));
    printf("sem value %llu\n", (unsigned long long)v);
    show("sem read 2", read(s, &v, 8));
    show("sem read 3", read(s, &v, 8));
    v = 0xfffffffffffffffeull;
    show("eventfd write max", write(s, &v, 8));
    show("eventfd write overflow", write(s, &v, 8));
    v = 0xffffffffffffffffull;
    show("eventfd write -1", write(s, &v, 8));
    show("eventfd short read", read(s, &v, 4));
    close(s);
    close(ep);
}

static void timeouts_and_signals(void) {
    int ep = epoll_create1(0);
    struct epoll_event evs[4];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int n = epoll_wait(ep, evs, 4, 60);
    printf("timeout 60ms: %d, waited enough: %d\n", n, ms_since(&t0) >= 55);

    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    arm(50);
    n = epoll_wait(ep, evs, 4, -1);
    printf("wait -1 + SIGALRM: %d %s, alarms %d\n", n, n < 0 ? ename(errno) : "", alarms);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    arm(50);
    n = epoll_wait(ep, evs, 4, 5000);
    printf("wait + SA_RESTART SIGALRM: %d %s, alarms %d\n", n, n < 0 ? ename(errno) : "", alarms);

    /* epoll_pwait's mask blocks SIGALRM for the wait: it times out, then the handler runs */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    arm(30);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    n = epoll_pwait(ep, evs, 4, 150, &block);
    printf("pwait masked: %d, waited enough: %d, alarms %d\n", n, ms_since(&t0) >= 140, alarms);

    /* blocked in the process mask, let through by epoll_pwait's */
    sigprocmask(SIG_BLOCK, &block, &old);
    sigset_t none;
    sigemptyset(&none);
    arm(30);
    n = epoll_pwait(ep, evs, 4, 5000, &none);
    printf("pwait unmasked: %d %s, alarms %d\n", n, n < 0 ? ename(errno) : "", alarms);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("mask restored: %d\n", sigismember(&now, SIGALRM));
    sigprocmask(SIG_SETMASK, &old, NULL);

    struct timespec ts = {0, 40 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    n = syscall(SYS_epoll_pwait2, ep, evs, 4, &ts, NULL, 8);
    printf("pwait2 40ms: %d, waited enough: %d\n", n, ms_since(&t0) >= 35);
    ts.tv_nsec = 0;
    n = syscall(SYS_epoll_pwait2, ep, evs, 4, &ts, &block, 8);
    show("pwait2 zero", n);
    ts.tv_nsec = 1000000000;
    show("pwait2 bad nsec", syscall(SYS_epoll_pwait2, ep, evs, 4, &ts, NULL, 8));
    ts.tv_nsec = 0;
    ts.tv_sec = -1;
    show("pwait2 negative", syscall(SYS_epoll_pwait2, ep, evs, 4, &ts, NULL, 8));
    show("pwait2 bad ts ptr", syscall(SYS_epoll_pwait2, ep, evs, 4, (void *)16, NULL, 8));
    show("pwait sigsetsize 7", syscall(SYS_epoll_pwait, ep, evs, 4, 0, &block, 7));
    show("pwait NULL mask size 7", syscall(SYS_epoll_pwait, ep, evs, 4, 0, NULL, 7));
    show("pwait bad mask ptr", syscall(SYS_epoll_pwait, ep, evs, 4, 0, (void *)16, 8));
    close(ep);
}

static void timers(void) {
    int ep = epoll_create1(0);
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    show("timerfd_create", t >= 0);
    uint64_t v;
    show("read unarmed", read(t, &v, 8));
    struct itimerspec its = {{0, 10 * 1000 * 1000}, {0, 10 * 1000 * 1000}}, cur, prev;
    show("settime periodic", timerfd_settime(t, 0, &its, &prev));
    printf("prev zero: %d\n", prev.it_value.tv_sec == 0 && prev.it_value.tv_nsec == 0);
    show("gettime", timerfd_gettime(t, &cur));
    printf("interval %ld.%09ld, value set: %d\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec,
           cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10 * 1000 * 1000);
    add(ep, t, EPOLLIN, 77);
    wait_show("timer ready", ep, 1000);
    struct timespec d = {0, 60 * 1000 * 1000};
    nanosleep(&d, NULL);
    show("read expirations", read(t, &v, 8));
    printf("expirations >= 5: %d\n", v >= 5);
    show("read short buffer", read(t, &v, 4));
    memset(&its, 0, sizeof its);
    show("disarm", timerfd_settime(t, 0, &its, &prev));
    printf("prev interval %ld\n", prev.it_interval.tv_nsec);
    close(t);

    /* one-shot, blocking read; absolute time */
    t = timerfd_create(CLOCK_MONOTONIC, 0);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 20 * 1000 * 1000;
    if (now.tv_nsec >= 1000000000) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000;
    }
    struct itimerspec abs = {{0, 0}, now};
    show("settime abstime", timerfd_settime(t, TFD_TIMER_ABSTIME, &abs, NULL));
    show("blocking read", read(t, &v, 8));
    printf("expirations %llu\n", (unsigned long long)v);
    show("gettime after", timerfd_gettime(t, &cur));
    printf("disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

    /* a blocking read interrupted by a handler */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    its = (struct itimerspec){{0, 0}, {5, 0}};
    timerfd_settime(t, 0, &its, NULL);
    int before = alarms;
    arm(30);
    long r = read(t, &v, 8);
    printf("read + SIGALRM: %ld %s, alarms +%d\n", r, r < 0 ? ename(errno) : "", alarms - before);
    close(t);

    show("bad clock", timerfd_create(77, 0));
    show("bad flags", timerfd_create(CLOCK_REALTIME, 0x10));
    show("settime bad fd", timerfd_settime(99, 0, &its, NULL));
    show("settime not a timerfd", timerfd_settime(ep, 0, &its, NULL));
    show("settime bad flags", timerfd_settime(t, 8, &its, NULL));
    t = timerfd_create(CLOCK_REALTIME, 0);
    its.it_value.tv_nsec = -5;
    show("settime bad nsec", timerfd_settime(t, 0, &its, NULL));
    show("settime NULL", timerfd_settime(t, 0, NULL, NULL));
    show("gettime NULL", timerfd_gettime(t, NULL));
    show("gettime bad fd", timerfd_gettime(99, &cur));
    close(t);
    close(ep);
}

static void print_events(int in) {
    char buf[4096] __attribute__((aligned(8)));
    long n = read(in, buf, sizeof buf);
    if (n < 0) {
        printf("  read: -1 %s\n", ename(errno));
        return;
    }
    for (char *p = buf; p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        printf("  wd=%d mask=%#x cookie=%d name=%s\n", e->wd, e->mask, e->cookie ? 1 : 0, e->len ? e->name : "");
        p += sizeof *e + e->len;
    }
    fflush(stdout);
}

static void watches(void) {
    mkdir("w", 0755);
    int in = inotify_init1(IN_NONBLOCK);
    show("inotify_init1", in >= 0);
    int wd = inotify_add_watch(in, "w", IN_CREATE | IN_MODIFY | IN_DELETE | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO);
    show("add_watch", wd);
    show("add_watch again (same wd)", inotify_add_watch(in, "w", IN_CREATE | IN_MASK_ADD) == wd);
    print_events(in);
    int ep = epoll_create1(0);
    add(ep, in, EPOLLIN, 3);
    wait_show("nothing yet", ep, 0);
    int f = open("w/f", O_CREAT | O_WRONLY, 0644);
    write(f, "hello", 5);
    close(f);
    rename("w/f", "w/g");
    unlink("w/g");
    wait_show("events ready", ep, 0);
    print_events(in);
    show("rm_watch", inotify_rm_watch(in, wd));
    print_events(in);
    show("rm_watch again", inotify_rm_watch(in, wd));
    show("add_watch missing", inotify_add_watch(in, "nope", IN_CREATE));
    show("add_watch bad mask", inotify_add_watch(in, "w", 0));
    show("add_watch ONLYDIR on file", (close(open("file", O_CREAT | O_WRONLY, 0644)),
                                        inotify_add_watch(in, "file", IN_MODIFY | IN_ONLYDIR)));
    show("add_watch bad fd", inotify_add_watch(99, "w", IN_CREATE));
    show("add_watch not inotify", inotify_add_watch(ep, "w", IN_CREATE));
    show("init1 bad flags", inotify_init1(0x10));
    int old = syscall(SYS_inotify_init);
    show("inotify_init", old >= 0);
    close(old);
    close(in);
    close(ep);
    unlink("file");
    rmdir("w");
}

static void errors(void) {
    int ep = epoll_create1(0);
    int e = eventfd(0, 0);
    show("epoll_create 0", epoll_create(0));
    show("epoll_create -1", epoll_create(-1));
    show("epoll_create1 bad flags", epoll_create1(8));
    show("eventfd2 bad flags", eventfd(0, 0x10));
    show("add closed fd", add(ep, 99, EPOLLIN, 0));
    show("add to closed epfd", add(98, e, EPOLLIN, 0));
    show("add to non-epoll", add(e, e, EPOLLIN, 0));
    show("add epoll to itself", add(ep, ep, EPOLLIN, 0));
    int f = open("regular", O_CREAT | O_RDWR, 0600);
    show("add regular file", add(ep, f, EPOLLIN, 0));
    close(f);
    unlink("regular");
    show("bad op", epoll_ctl(ep, 7, e, &(struct epoll_event){EPOLLIN}));
    show("NULL event", epoll_ctl(ep, EPOLL_CTL_ADD, e, NULL));
    show("exclusive mod", add(ep, e, EPOLLIN | EPOLLEXCLUSIVE, 0) ||
                              epoll_ctl(ep, EPOLL_CTL_MOD, e, &(struct epoll_event){EPOLLIN}));
    /* elfemu keeps its own fds at 900 and above: the guest must see them as closed */
    int bad = 0;
    for (int fd = 900; fd < 1000; fd++)
        if (add(ep, fd, EPOLLIN, 0) == 0 || errno != EBADF)
            bad++;
    printf("high fds not addable: %d\n", bad == 0);
    struct epoll_event evs[2];
    show("maxevents 0", epoll_wait(ep, evs, 0, 0));
    show("maxevents -1", epoll_wait(ep, evs, -1, 0));
    show("wait closed epfd", epoll_wait(97, evs, 2, 0));
    show("wait non-epoll", epoll_wait(e, evs, 2, 0));
    show("wait NULL buffer, nothing ready", epoll_wait(ep, NULL, 1, 0));
    uint64_t one = 1;
    write(e, &one, 8);
    show("wait NULL buffer, ready", epoll_wait(ep, NULL, 1, 0));
    wait_show("event still there", ep, 0);
    close(e);
    close(ep);
}

static void show_siginfo(const char *what, int sfd, size_t size) {
    struct signalfd_siginfo si[3];
    long n = read(sfd, si, size);
    if (n < 0) {
        printf("%s: -1 %s\n", what, ename(errno));
        return;
    }
    printf("%s: %ld", what, n);
    for (long i = 0; i < n / (long)sizeof si[0]; i++)
        printf(" {signo=%u code=%d pid_ok=%d uid_ok=%d status=%d}", si[i].ssi_signo, si[i].ssi_code,
               si[i].ssi_pid == (uint32_t)getpid() || si[i].ssi_code == SI_KERNEL, si[i].ssi_uid == getuid(),
               si[i].ssi_status);
    printf("\n");
    fflush(stdout);
}

static volatile int terms;
static void on_term(int sig) { (void)sig; terms++; }

static void signal_fds(void) {
    sigset_t m, old;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigaddset(&m, SIGALRM);
    sigprocmask(SIG_BLOCK, &m, &old);
    int sfd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    show("signalfd", sfd >= 0);
    show("signalfd cloexec", fcntl(sfd, F_GETFD) & FD_CLOEXEC);
    show_siginfo("nothing pending", sfd, sizeof(struct signalfd_siginfo));
    int ep = epoll_create1(0);
    add(ep, sfd, EPOLLIN, 11);
    wait_show("not ready", ep, 0);
    kill(getpid(), SIGUSR1);
    wait_show("USR1 ready", ep, 0);
    struct pollfd pf = {sfd, POLLIN, 0};
    show("poll", poll(&pf, 1, 0));
    printf("revents %#x\n", pf.revents);
    show_siginfo("short buffer", sfd, 100);
    show_siginfo("read USR1", sfd, sizeof(struct signalfd_siginfo));
    wait_show("consumed", ep, 0);
    sigset_t pend;
    sigpending(&pend);
    printf("USR1 still pending: %d\n", sigismember(&pend, SIGUSR1));
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    show_siginfo("read two", sfd, 3 * sizeof(struct signalfd_siginfo));

    /* a new mask for the same fd */
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    show("update mask", signalfd(sfd, &only2, 0) == sfd);
    kill(getpid(), SIGUSR1);
    wait_show("USR1 not in mask", ep, 0);
    kill(getpid(), SIGUSR2);
    wait_show("USR2 in mask", ep, 0);
    show_siginfo("read USR2", sfd, sizeof(struct signalfd_siginfo));
    sigpending(&pend);
    printf("USR1 pending: %d\n", sigismember(&pend, SIGUSR1));
    show("mask back", signalfd(sfd, &m, 0) == sfd);
    wait_show("USR1 ready again", ep, 0);

    /* fork: the child reads its own signals, not the parent's (SIGCHLD ignored: the children
       reap themselves, and no SIGCHLD line with a pid in it lands in the trace comparison) */
    signal(SIGCHLD, SIG_IGN);
    pid_t pid = fork();
    if (pid == 0) {
        show_siginfo("child: parent's USR1 not here", sfd, sizeof(struct signalfd_siginfo));
        kill(getpid(), SIGUSR2);
        show_siginfo("child: own USR2", sfd, sizeof(struct signalfd_siginfo));
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    show_siginfo("parent: USR1 after the child", sfd, sizeof(struct signalfd_siginfo));
    show_siginfo("parent: nothing left", sfd, sizeof(struct signalfd_siginfo));
    close(sfd);
    close(ep);

    /* blocking read: woken by SIGALRM (blocked, in the mask); ended by a handled SIGTERM */
    int bfd = signalfd(-1, &m, 0);
    arm(30);
    show_siginfo("blocking read ALRM", bfd, sizeof(struct signalfd_siginfo));
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    pid = fork();
    if (pid == 0) {
        struct timespec d = {0, 50 * 1000 * 1000};
        nanosleep(&d, NULL);
        kill(getppid(), SIGTERM);
        _exit(0);
    }
    show_siginfo("blocking read + SIGTERM handler", bfd, sizeof(struct signalfd_siginfo));
    printf("terms %d\n", terms);
    waitpid(pid, &status, 0);
    close(bfd);

    show("signalfd bad flags", signalfd(-1, &m, 0x10));
    show("signalfd4 sizemask 4", syscall(SYS_signalfd4, -1, &m, 4, 0));
    show("signalfd bad mask ptr", syscall(SYS_signalfd4, -1, (void *)16, 8, 0));
    show("signalfd on non-signalfd", signalfd(0, &m, 0));
    show("signalfd on closed fd", signalfd(99, &m, 0));
    int old_style = syscall(SYS_signalfd, -1, &m, 8);
    show("signalfd (old)", old_style >= 0);
    close(old_style);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    basics();
    triggers();
    timeouts_and_signals();
    timers();
    watches();
    errors();
    signal_fds();
    printf("done\n");
    return 0;
}
