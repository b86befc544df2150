/* A child signalled right after fork, before it has run: the signal must reach it. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    for (int i = 0; i < 5; i++) {
        pid_t c = fork();
        if (c == 0) {
            pause();
            _exit(3);
        }
        kill(c, SIGTERM);
        int st;
        waitpid(c, &st, 0);
        printf("%d %d\n", WIFSIGNALED(st), WTERMSIG(st));
    }
    return 0;
}
