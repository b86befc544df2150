/* Signals and threads: pthread_kill runs the handler in the target thread; pthread_cancel ends a
 * thread blocked in read(); a dedicated sigwait thread takes a process-directed signal the others
 * block; exit() ends every thread, even ones blocked in read() or on a condition variable.
 * Usage: threads_signals [exit] */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile pthread_t handled_in;
static volatile sig_atomic_t handled;
static volatile int go_on;

static void on_usr1(int sig) {
    (void)sig;
    handled_in = pthread_self();
    handled = 1;
}

static void *waits_for_signal(void *arg) {
    while (!handled)
        usleep(1000);
    return arg;
}

static int pipefd[2];

static void *blocks_in_read(void *arg) {
    char c;
    read(pipefd[0], &c, 1);
    puts("read returned: not expected");
    return arg;
}

static void *sigwaiter(void *arg) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    int sig = 0;
    sigwait(&set, &sig);
    return (void *)(long)sig;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *blocks_on_cond(void *arg) {
    pthread_mutex_lock(&mu);
    pthread_cond_wait(&never, &mu);
    return arg;
}

int main(int argc, char **argv) {
    pthread_t t;
    void *r;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "exit")) {
        pipe(pipefd);
        pthread_create(&t, NULL, blocks_in_read, NULL);
        pthread_create(&t, NULL, blocks_on_cond, NULL);
        usleep(20000);
        puts("exiting while two threads block");
        exit(3);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_create(&t, NULL, waits_for_signal, NULL);
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("pthread_kill: handler ran in the target thread: %s\n", pthread_equal(handled_in, t) ? "yes" : "no");

    pipe(pipefd);
    pthread_create(&t, NULL, blocks_in_read, NULL);
    usleep(20000);
    pthread_cancel(t);
    pthread_join(t, &r);
    printf("pthread_cancel in read: %s\n", r == PTHREAD_CANCELED ? "canceled" : "not canceled");

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);  /* inherited by the sigwait thread */
    pthread_create(&t, NULL, sigwaiter, NULL);
    usleep(20000);
    kill(getpid(), SIGUSR2);
    pthread_join(t, &r);
    printf("sigwait thread got signal %ld (SIGUSR2 is %d)\n", (long)r, SIGUSR2);
    return 0;
}
