/* Processes and threads: fork in a threaded program goes on with only the calling thread;
 * execve from a thread that is not the leader replaces the whole process, which keeps its pid.
 * Usage: threads_proc fork | exec | execd PID */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;
static char *self;

static void *spins(void *arg) {
    while (!stop)
        usleep(1000);
    return arg;
}

static void *child_thread(void *arg) {
    return (void *)((long)arg * 2);
}

static void *execs(void *arg) {
    char pid[32];
    snprintf(pid, sizeof pid, "%d", getpid());
    usleep(10000);
    execl(self, self, "execd", pid, (char *)NULL);
    perror("execl");
    return arg;
}

int main(int argc, char **argv) {
    pthread_t t, u;
    void *r;
    self = argv[0];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2 && !strcmp(argv[1], "execd")) {
        printf("after execve from a thread: same pid: %s\n", atoi(argv[2]) == getpid() ? "yes" : "no");
        return 5;
    }
    if (argc > 1 && !strcmp(argv[1], "exec")) {
        pthread_create(&t, NULL, spins, NULL);
        pthread_create(&u, NULL, execs, NULL);
        pthread_join(u, NULL);
        puts("execve returned: not expected");
        return 1;
    }
    pthread_create(&t, NULL, spins, NULL);
    pid_t pid = fork();
    if (pid == 0) {  /* only this thread exists here; it can make and join its own */
        pthread_create(&u, NULL, child_thread, (void *)21);
        pthread_join(u, &r);
        printf("child: new thread returned %ld\n", (long)r);
        _exit(7);
    }
    int status;
    waitpid(pid, &status, 0);
    stop = 1;
    pthread_join(t, NULL);
    printf("parent: child exited with %d\n", WEXITSTATUS(status));
    return 0;
}
