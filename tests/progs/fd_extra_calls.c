/* POSIX message queues, pidfds, splice/tee/vmsplice, openat2, sendmmsg/recvmmsg: the fd-based calls
 * elfemu passes to the host. Prints only what is the same natively and under elfemu. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SHOW(label, expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%s: %ld%s%s\n", label, r_, r_ < 0 ? " " : "", r_ < 0 ? strerror(errno) : ""); } while (0)

struct open_how_ { uint64_t flags, mode, resolve; };
static volatile int got_usr1;
static void on_usr1(int sig) { (void)sig; got_usr1++; }
static void on_alarm(int sig) { (void)sig; }

int main(int argc, char **argv) {
    char name[64], buf[256];
    snprintf(name, sizeof name, "/elfemu-test-%d", getpid());
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    /* POSIX message queues */
    struct mq_attr at = {0, 4, 64, 0};
    long mq = syscall(SYS_mq_open, name + 1, O_RDWR | O_CREAT | O_EXCL, 0600, &at);
    printf("mq_open: %s\n", mq >= 0 ? "ok" : strerror(errno));
    SHOW("mq_timedsend", syscall(SYS_mq_timedsend, mq, "low", 3, 1, NULL));
    SHOW("mq_timedsend", syscall(SYS_mq_timedsend, mq, "high", 4, 9, NULL));
    SHOW("mq_timedsend too long", syscall(SYS_mq_timedsend, mq, buf, 100, 1, NULL));
    struct mq_attr old;
    SHOW("mq_getsetattr", syscall(SYS_mq_getsetattr, mq, NULL, &old));
    printf("attr: maxmsg=%ld msgsize=%ld curmsgs=%ld\n", old.mq_maxmsg, old.mq_msgsize, old.mq_curmsgs);
    unsigned prio = 0;
    memset(buf, 0, sizeof buf);
    SHOW("mq_timedreceive", syscall(SYS_mq_timedreceive, mq, buf, 64, &prio, NULL));
    printf("got %s prio %u\n", buf, prio);
    SHOW("mq_timedreceive small", syscall(SYS_mq_timedreceive, mq, buf, 8, &prio, NULL));
    SHOW("mq_timedreceive", syscall(SYS_mq_timedreceive, mq, buf, 64, &prio, NULL));
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    SHOW("mq_notify", syscall(SYS_mq_notify, mq, &ev));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        long q = syscall(SYS_mq_open, name + 1, O_WRONLY, 0, NULL);
        syscall(SYS_mq_timedsend, q, "from child", 10, 3, NULL);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    memset(buf, 0, sizeof buf);
    SHOW("mq_timedreceive after notify", syscall(SYS_mq_timedreceive, mq, buf, 64, NULL, NULL));
    printf("got %s, notified %d\n", buf, got_usr1);
    alarm(1);
    SHOW("mq_timedreceive interrupted", syscall(SYS_mq_timedreceive, mq, buf, 64, NULL, NULL));
    struct timespec past = {1, 0};
    SHOW("mq_timedreceive timeout", syscall(SYS_mq_timedreceive, mq, buf, 64, NULL, &past));
    close(mq);
    SHOW("mq_unlink", syscall(SYS_mq_unlink, name + 1));
    SHOW("mq_unlink again", syscall(SYS_mq_unlink, name + 1));

    /* pidfds */
    int ready[2];
    pipe(ready);
    fflush(stdout);
    if ((c = fork()) == 0) {
        write(ready[1], "r", 1);
        pause();
        _exit(3);
    }
    read(ready[0], buf, 1); /* signalled once it runs */
    close(ready[0]);
    close(ready[1]);
    int pfd = syscall(SYS_pidfd_open, c, 0);
    printf("pidfd_open: %s\n", pfd >= 0 ? "ok" : strerror(errno));
    SHOW("pidfd_getfd", syscall(SYS_pidfd_getfd, pfd, 1, 0) >= 0);
    SHOW("pidfd_send_signal", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0));
    int st;
    waitpid(c, &st, 0);
    printf("child: signaled %d by %d\n", WIFSIGNALED(st), WTERMSIG(st));
    SHOW("pidfd_send_signal to the dead", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0));
    close(pfd);
    int me = syscall(SYS_pidfd_open, getpid(), 0);
    got_usr1 = 0;
    SHOW("pidfd_send_signal to self", syscall(SYS_pidfd_send_signal, me, SIGUSR1, NULL, 0));
    printf("handled before return: %d\n", got_usr1);
    SHOW("pidfd_open bad flags", syscall(SYS_pidfd_open, getpid(), 77));
    SHOW("pidfd_send_signal not a pidfd", syscall(SYS_pidfd_send_signal, 0, SIGUSR1, NULL, 0));
    close(me);

    /* splice, tee, vmsplice */
    int p1[2], p2[2];
    pipe(p1);
    pipe(p2);
    struct iovec v[2] = {{"vm", 2}, {"splice\n", 7}};
    SHOW("vmsplice", vmsplice(p1[1], v, 2, 0));
    SHOW("tee", tee(p1[0], p2[1], 64, 0));
    char tmpl[] = "/tmp/elfemu-splice-XXXXXX";
    int f = mkstemp(tmpl);
    unlink(tmpl);
    loff_t off = 0;
    SHOW("splice to file", splice(p1[0], NULL, f, &off, 64, 0));
    printf("off now %lld\n", (long long)off);
    off = 2;
    SHOW("splice from file", splice(f, &off, p1[1], NULL, 5, 0));
    memset(buf, 0, sizeof buf);
    read(p1[0], buf, sizeof buf);
    printf("file starts: %s\n", buf);
    char into[16] = {0};
    struct iovec r = {into, 15};
    SHOW("vmsplice out of a pipe", vmsplice(p2[0], &r, 1, 0));
    printf("got: %s", into);
    SHOW("splice bad", splice(f, NULL, f, NULL, 5, 0));
    SHOW("tee nonblocking empty", tee(p1[0], p2[1], 64, SPLICE_F_NONBLOCK));

    /* openat2 */
    struct open_how_ how = {O_RDONLY | O_CLOEXEC, 0, 0};
    long o = syscall(SYS_openat2, AT_FDCWD, "/proc/self/status", &how, sizeof how);
    printf("openat2 /proc/self/status: %s\n", o >= 0 ? "ok" : strerror(errno));
    ssize_t n = read(o, buf, 5);
    printf("reads %zd: %.5s\n", n, buf);
    close(o);
    how.resolve = 0x08; /* RESOLVE_BENEATH */
    SHOW("openat2 beneath", syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how, sizeof how));
    how.resolve = 0;
    SHOW("openat2 small", syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how, 8));
    SHOW("openat2 ok", syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how, sizeof how) >= 0);
    how.mode = 0644;
    SHOW("openat2 mode without O_CREAT", syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how, sizeof how));

    /* sendmmsg, recvmmsg */
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    struct iovec out[3] = {{"one", 3}, {"two!", 4}, {"three", 5}};
    struct mmsghdr ms[3];
    memset(ms, 0, sizeof ms);
    for (int i = 0; i < 3; i++) { ms[i].msg_hdr.msg_iov = &out[i]; ms[i].msg_hdr.msg_iovlen = 1; }
    SHOW("sendmmsg", sendmmsg(sv[0], ms, 3, 0));
    printf("lens %u %u %u\n", ms[0].msg_len, ms[1].msg_len, ms[2].msg_len);
    char rb[4][8];
    struct iovec in[4];
    struct mmsghdr mr[4];
    memset(mr, 0, sizeof mr);
    memset(rb, 0, sizeof rb);
    for (int i = 0; i < 4; i++) { in[i] = (struct iovec){rb[i], 7}; mr[i].msg_hdr.msg_iov = &in[i]; mr[i].msg_hdr.msg_iovlen = 1; }
    SHOW("recvmmsg", recvmmsg(sv[1], mr, 2, 0, NULL));
    printf("got %s(%u) %s(%u)\n", rb[0], mr[0].msg_len, rb[1], mr[1].msg_len);
    SHOW("recvmmsg waitforone", recvmmsg(sv[1], mr, 4, MSG_WAITFORONE, NULL));
    printf("got %s\n", rb[0]);
    SHOW("recvmmsg nothing", recvmmsg(sv[1], mr, 4, MSG_DONTWAIT, NULL));
    SHOW("sendmmsg bad", syscall(SYS_sendmmsg, sv[0], 16, 2, 0)); /* musl copies the array itself */
    (void)argc; (void)argv;
    return 0;
}
