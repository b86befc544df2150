/* 8 threads x 1,000,000 increments of one counter: with atomics, with a cmpxchg spinlock, and
 * with a mutex. The total is exact only if lock-prefixed instructions are atomic across threads
 * and the mutex's futex really blocks and wakes. Usage: threads_counter atomic|spin|mutex [N] [ITERS] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long iters = 1000000;
static atomic_long atomic_counter;
static long plain_counter;
static atomic_int spin;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static void *with_atomics(void *arg) {
    for (long i = 0; i < iters; i++)
        atomic_fetch_add(&atomic_counter, 1);
    return arg;
}

static void *with_spinlock(void *arg) {
    for (long i = 0; i < iters; i++) {
        int expected = 0;
        while (!atomic_compare_exchange_weak(&spin, &expected, 1))
            expected = 0;
        plain_counter++;
        atomic_store(&spin, 0);
    }
    return arg;
}

static void *with_mutex(void *arg) {
    for (long i = 0; i < iters; i++) {
        pthread_mutex_lock(&mutex);
        plain_counter++;
        pthread_mutex_unlock(&mutex);
    }
    return arg;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "atomic";
    int n = argc > 2 ? atoi(argv[2]) : 8;
    if (argc > 3)
        iters = atol(argv[3]);
    void *(*fn)(void *) = !strcmp(mode, "spin") ? with_spinlock : !strcmp(mode, "mutex") ? with_mutex : with_atomics;
    pthread_t t[64];
    for (long i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, fn, (void *)i) != 0) {
            puts("pthread_create failed");
            return 1;
        }
    long ids = 0;
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        ids += (long)r;
    }
    printf("%s: %d threads, total %ld, ids %ld\n", mode, n, fn == with_atomics ? (long)atomic_counter : plain_counter, ids);
    return 0;
}
