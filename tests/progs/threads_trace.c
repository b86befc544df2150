/* A pthread program whose system calls are the same, thread by thread, on every run: for
 * comparing `elfemu trace -f` with `strace -f` after per-thread normalisation. The threads sleep
 * before they end, b well after a, so that main always waits for each in pthread_join's futex. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

struct job {
    const char *msg;
    long ms;
};

static void *worker(void *arg) {
    struct job *job = arg;
    struct timespec ts = {job->ms / 1000, job->ms % 1000 * 1000000};
    nanosleep(&ts, NULL);
    write(1, job->msg, 9);
    return NULL;
}

int main(void) {
    pthread_t a, b;
    struct job ja = {"thread a\n", 300}, jb = {"thread b\n", 900};
    pthread_create(&a, NULL, worker, &ja);
    pthread_create(&b, NULL, worker, &jb);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    write(1, "joined\n", 7);
    return 0;
}
