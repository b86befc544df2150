/* fork_fork.c -- the lecture's fork() puzzle:
 *     pid_t x = fork(); pid_t y = fork(); printf("%d %d\n", x, y);
 * Four processes print: "X Y", "X 0", "0 Z", "0 0" where X, Z are child
 * pids.  Output contains pids and its line order depends on scheduling,
 * so it is intentionally NOT deterministic.  Every process waits for its
 * own children so all output is complete when the original parent exits. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    pid_t x = fork();
    pid_t y = fork();
    printf("%d %d\n", x, y);
    fflush(stdout);
    while (wait(NULL) > 0)
        ;
    return 0;
}
