/* bench_fork.c -- process creation cost: N times fork(), the child
 * _exit(0)s at once, the parent waitpid()s for it.
 * usage: bench_fork [N]   prints the number of children reaped. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000L;
    long ok = 0;
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0)
            _exit(0);
        int status;
        if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)
            && WEXITSTATUS(status) == 0)
            ok++;
    }
    printf("children reaped: %ld\n", ok);
    return ok == n ? 0 : 1;
}
