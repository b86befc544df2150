/* A SysV segment shared with a process that is not the caller's fork: the guest creates it, then
 * execs itself (which drops its attachment) with the id, and the new image attaches it again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1) { /* the peer: a new image, attaching by id */
        char *s = shmat(atoi(argv[1]), NULL, 0);
        printf("peer saw: %s\n", s);
        strcpy(s, "hello from the peer");
        return 0;
    }
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    char *s = shmat(id, NULL, 0), arg[16];
    strcpy(s, "hello from the guest");
    snprintf(arg, sizeof arg, "%d", id);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        execl("/proc/self/exe", argv[0], arg, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(c, &st, 0);
    printf("guest saw: %s\n", s);
    shmctl(id, IPC_RMID, NULL);
    return WEXITSTATUS(st);
}
