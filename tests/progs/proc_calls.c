/* proc_calls.c -- process-lifecycle corners that the lecture samples do not reach:
 * vfork, posix_spawn, waitid, WNOHANG, execveat, E2BIG, pipe2 flags, poll/select on a pipe,
 * socketpair, process groups and sessions.  Output is deterministic (no pids). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        say("child argv[2]=%s env=%s\n", argc > 2 ? argv[2] : "-", getenv("PC_VAR") ? getenv("PC_VAR") : "-");
        return 21;
    }
    int st;
    /* vfork: the parent resumes only after the child has exec'd or exited */
    pid_t pid = vfork();
    if (pid == 0)
        _exit(12);
    waitpid(pid, &st, 0);
    say("vfork: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));

    /* posix_spawn (clone with CLONE_VM|CLONE_VFORK in glibc and musl) */
    char *sargv[] = { argv[0], "child", "spawned", NULL };
    char *senv[] = { "PC_VAR=spawn", NULL };
    int rc = posix_spawn(&pid, argv[0], NULL, NULL, sargv, senv);
    waitpid(pid, &st, 0);
    say("posix_spawn: rc=%d status=%d\n", rc, WEXITSTATUS(st));

    /* waitid with WEXITED and a child killed by a signal */
    pid = fork();
    if (pid == 0) {
        raise(SIGTERM);
        _exit(1);
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    rc = waitid(P_PID, pid, &si, WEXITED);
    say("waitid: rc=%d signo=%d code=%s status=%d pid_ok=%d\n", rc, si.si_signo,
        si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", si.si_status, si.si_pid == pid);

    /* WNOHANG with a child still running, then a blocking wait */
    int p[2];
    pipe(p);
    pid = fork();
    if (pid == 0) {
        char c;
        close(p[1]);
        read(p[0], &c, 1);
        _exit(3);
    }
    close(p[0]);
    say("WNOHANG: %d\n", waitpid(pid, &st, WNOHANG));
    write(p[1], "x", 1);
    close(p[1]);
    say("wait: same=%d status=%d\n", waitpid(pid, &st, 0) == pid, WEXITSTATUS(st));
    errno = 0;
    rc = waitpid(-1, &st, 0);
    say("no children: %d %s\n", rc, strerror(errno));

    /* pipe2 flags, poll and select on a pipe */
    pipe2(p, O_CLOEXEC | O_NONBLOCK);
    say("pipe2: cloexec=%d nonblock=%d\n", (fcntl(p[0], F_GETFD) & FD_CLOEXEC) != 0,
        (fcntl(p[1], F_GETFL) & O_NONBLOCK) != 0);
    struct pollfd pfd[2] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 } };
    rc = poll(pfd, 2, 0);
    say("poll empty: %d in=%d out=%d\n", rc, pfd[0].revents, pfd[1].revents);
    write(p[1], "hi", 2);
    rc = poll(pfd, 1, 100);
    say("poll data: %d in=%d\n", rc, pfd[0].revents);
    fd_set rf;
    FD_ZERO(&rf);
    FD_SET(p[0], &rf);
    struct timeval tv = { 1, 0 };
    rc = select(p[0] + 1, &rf, NULL, NULL, &tv);
    say("select: %d set=%d\n", rc, FD_ISSET(p[0], &rf));
    char buf[8];
    read(p[0], buf, sizeof buf);
    FD_SET(p[0], &rf);
    tv.tv_sec = 0;
    tv.tv_usec = 20000;
    say("select timeout: %d\n", select(p[0] + 1, &rf, NULL, NULL, &tv));
    close(p[1]);
    pfd[0].revents = 0;
    rc = poll(pfd, 1, 0);
    say("poll hup: %d hup=%d\n", rc, (pfd[0].revents & POLLHUP) != 0);
    close(p[0]);
    errno = 0;
    struct pollfd bad = { 999, POLLIN, 0 };
    rc = poll(&bad, 1, 0);
    say("poll closed fd: %d nval=%d\n", rc, (bad.revents & POLLNVAL) != 0);

    /* socketpair */
    int sv[2];
    rc = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    write(sv[0], "ping", 4);
    memset(buf, 0, sizeof buf);
    read(sv[1], buf, 4);
    say("socketpair: rc=%d got=%s cloexec=%d\n", rc, buf, (fcntl(sv[1], F_GETFD) & FD_CLOEXEC) != 0);

    /* AF_UNIX stream socket: bind/listen/accept in the parent, connect in a child */
    {
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "elfemu-proc-calls-%d", (int)getpid());
        socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sa.sun_path + 1);
        int ls = socket(AF_UNIX, SOCK_STREAM, 0);
        int b = bind(ls, (struct sockaddr *)&sa, alen);
        int l = listen(ls, 1);
        struct sockaddr_un got;
        socklen_t glen = sizeof got;
        getsockname(ls, (struct sockaddr *)&got, &glen);
        say("socket: bind=%d listen=%d name_ok=%d\n", b, l, glen == alen && memcmp(&got, &sa, alen) == 0);
        pid = fork();
        if (pid == 0) {
            int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            int r = connect(c, (struct sockaddr *)&sa, alen);
            sendto(c, "hello socket", 12, 0, NULL, 0);
            char ack[8] = { 0 };
            recv(c, ack, sizeof ack - 1, 0);
            say("client: connect=%d ack=%s\n", r, ack);
            _exit(0);
        }
        int a = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        char msg[32] = { 0 };
        ssize_t n = recvfrom(a, msg, 12, MSG_WAITALL, NULL, NULL);
        int one = 0;
        socklen_t olen = sizeof one;
        getsockopt(a, SOL_SOCKET, SO_TYPE, &one, &olen);
        say("server: got %zd '%s' so_type=%d\n", n, msg, one);
        send(a, "ack", 3, 0);
        waitpid(pid, NULL, 0);
        close(a);
        close(ls);
        errno = 0;
        int e = connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&sa, alen);
        say("connect after close: %d %s\n", e, strerror(errno));
    }

    /* process groups and sessions */
    pid = fork();
    if (pid == 0) {
        int a = setpgid(0, 0) == 0 && getpgrp() == getpid() && getpgid(0) == getpid();
        pid_t s = setsid();
        say("child: setpgid ok=%d setsid=%d (errno %s)\n", a, s == -1 ? -1 : s == getpid(),
            s == -1 ? strerror(errno) : "none");
        pid_t s2 = fork();
        if (s2 == 0) {
            int ok = setsid() == getpid();
            say("grandchild: setsid ok=%d getsid ok=%d\n", ok, getsid(0) == getpid());
            _exit(0);
        }
        waitpid(s2, NULL, 0);
        _exit(0);
    }
    waitpid(pid, &st, 0);

    /* execve errors */
    char *nargv[] = { "x", NULL };
    errno = 0;
    execve("/nonexistent/prog", nargv, environ);
    say("execve ENOENT: %s\n", strerror(errno));
    execve("/etc/passwd", nargv, environ);
    say("execve EACCES: %s\n", strerror(errno));
    execve("/tmp", nargv, environ);
    say("execve dir: %s\n", strerror(errno));
    size_t big = 200 * 1024;
    char *huge = malloc(big + 1);
    memset(huge, 'a', big);
    huge[big] = 0;
    char *hargv[] = { argv[0], huge, NULL };
    execve(argv[0], hargv, environ);
    say("execve E2BIG: %s\n", strerror(errno));
    if (argc > 1) {
        int fd = open(argv[1], O_RDONLY);  /* a file with junk and +x: ENOEXEC */
        execve(argv[1], nargv, environ);
        say("execve junk: %s\n", strerror(errno));
        close(fd);
    }

    /* execveat with AT_EMPTY_PATH on an fd, with a custom environment */
    int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
    char *eargv[] = { "by-fd", "child", "execveat", NULL };
    char *eenv[] = { "PC_VAR=fd", NULL };
    syscall(SYS_execveat, fd, "", eargv, eenv, AT_EMPTY_PATH);
    say("execveat failed: %s\n", strerror(errno));
    return 1;
}
