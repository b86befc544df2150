/* make bench: N threads share ITERS iterations of a compute loop (no shared writes), so the wall
 * time with 2 threads against 1 says whether threads run in parallel. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long per_thread;

static void *spin(void *arg) {
    unsigned long x = (unsigned long)arg + 1;
    for (long i = 0; i < per_thread; i++)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    return (void *)x;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2;
    long iters = argc > 2 ? atol(argv[2]) : 100000000;
    pthread_t t[64];
    unsigned long sum = 0;
    per_thread = iters / n;
    for (long i = 0; i < n; i++)
        pthread_create(&t[i], NULL, spin, (void *)i);
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum ^= (unsigned long)r;
    }
    printf("%d threads: %lx\n", n, sum);
    return 0;
}
