/* make bench: two threads hand a token back and forth ROUNDS times through one futex word
 * (FUTEX_WAIT/FUTEX_WAKE, no libc locking): round trips per second. */
#ifndef FUTEX_WAIT_PRIVATE
#define FUTEX_WAIT_PRIVATE 128  /* linux/futex.h: not in musl-gcc's include path */
#define FUTEX_WAKE_PRIVATE 129
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int turn;  /* 0: main's turn, 1: the other thread's */
static long rounds;

static void wait_for(int mine) {
    int seen;
    while ((seen = atomic_load(&turn)) != mine)
        syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void pass_to(int other) {
    atomic_store(&turn, other);
    syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner(void *arg) {
    for (long i = 0; i < rounds; i++) {
        wait_for(1);
        pass_to(0);
    }
    return arg;
}

int main(int argc, char **argv) {
    rounds = argc > 1 ? atol(argv[1]) : 100000;
    pthread_t t;
    pthread_create(&t, NULL, partner, NULL);
    for (long i = 0; i < rounds; i++) {
        pass_to(1);
        wait_for(0);
    }
    pthread_join(t, NULL);
    printf("%ld round trips\n", rounds);
    return 0;
}
