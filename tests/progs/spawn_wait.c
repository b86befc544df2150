/* spawn_wait.c -- posix_spawn + waitpid three times: each SIGCHLD names the child (trace tests). */
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
extern char **environ;
int main(void){ for (int i = 0; i < 3; i++) { pid_t pid; char *argv[] = {"true", 0}; posix_spawn(&pid, "/bin/true", 0, 0, argv, environ); int st; waitpid(pid, &st, 0); } puts("done"); return 0; }
