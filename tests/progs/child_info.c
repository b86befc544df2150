/* child_info.c -- what a parent learns about its children, and what a task is called.
 *
 * - SIGCHLD's siginfo (si_code, si_pid, si_status) when the parent is blocked in waitpid, so
 *   the wait may reap the child before the signal handler runs;
 * - the task name (/proc/self/comm) after execve: the last component of the path execve was
 *   given, even through a symlink or /proc/self/exe.
 * usage: child_info [comm]   (the second form prints the comm and exits) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_code, got_status, got_pid_ok, got;
static pid_t child;

static void on_chld(int sig, siginfo_t *si, void *ctx)
{
    (void)sig; (void)ctx;
    got_code = si->si_code;
    got_status = si->si_status;
    got_pid_ok = si->si_pid == child;
    got++;
}

static void print_comm(void)
{
    char buf[32] = "";
    FILE *f = fopen("/proc/self/comm", "r");
    if (f && fgets(buf, sizeof buf, f))
        printf("comm=%s", buf);
    if (f)
        fclose(f);
}

static void run_as(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl(path, "renamed", "comm", (char *)0);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("exec %s: status %d\n", strchr(path, '/') ? "path" : path, WEXITSTATUS(st));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "comm") == 0) {
        print_comm();
        return 0;
    }
    struct sigaction sa = {0};
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, 0);
    for (int round = 0; round < 3; round++) {
        got = 0;
        child = fork();
        if (child == 0) {
            usleep(20000);
            if (round == 2)
                raise(SIGTERM);
            _exit(round + 3);
        }
        int st;
        waitpid(child, &st, 0);
        while (!got)
            usleep(1000);
        printf("round %d: si_code=%d si_status=%d si_pid_is_child=%d\n", round, got_code, got_status, got_pid_ok);
    }
    fflush(stdout);
    signal(SIGCHLD, SIG_DFL);
    print_comm();
    fflush(stdout);
    run_as("/proc/self/exe");
    symlink("/proc/self/exe", "child-info-link");
    run_as("./child-info-link");
    unlink("child-info-link");
    return 0;
}
