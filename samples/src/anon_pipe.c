/* anon_pipe.c -- pipe() + fork(): the parent writes, the child reads.
 * Both keep the end they need and close the other one; the child's read()
 * blocks until data arrives, then sees EOF once the parent closes.
 *
 * usage: anon_pipe [pids]   -- "pids" prefixes each line with [pid]
 * (nondeterministic); by default the prefix is [parent]/[child]. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int show_pids;

static void say(const char *who, const char *msg)
{
    if (show_pids)
        printf("[%d] %s\n", (int)getpid(), msg);
    else
        printf("[%s] %s\n", who, msg);
    fflush(stdout);                     /* never leave data to be forked */
}

int main(int argc, char **argv)
{
    show_pids = argc > 1 && strcmp(argv[1], "pids") == 0;
    int fds[2];                         /* fds[0] = read end, fds[1] = write end */
    if (pipe(fds) != 0) {
        perror("pipe");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {                     /* child: reader */
        close(fds[1]);
        char buf[128], msg[160];
        ssize_t n, total = 0;
        while ((n = read(fds[0], buf + total, sizeof buf - 1 - total)) > 0)
            total += n;
        buf[total] = '\0';
        snprintf(msg, sizeof msg, "Got: %s", buf);
        say("child", msg);
        close(fds[0]);
        _exit(0);
    }
    close(fds[0]);                      /* parent: writer */
    const char *text = "Hello through the pipe";
    say("parent", "Write");
    if (write(fds[1], text, strlen(text)) < 0)
        perror("write");
    close(fds[1]);                      /* child's read() now sees EOF */
    int status;
    waitpid(pid, &status, 0);
    say("parent", "Done");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
