/* bench_compute.c -- pure user-mode integer work, no system calls in the
 * loop: measures raw instruction emulation speed.
 * usage: bench_compute [ITERATIONS]   prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 300000000L;
    uint64_t x = 88172645463325252ULL, sum = 0;
    for (long i = 0; i < iters; i++) {
        x ^= x << 13;                   /* xorshift64 */
        x ^= x >> 7;
        x ^= x << 17;
        sum += (x & 0xffff) * (uint64_t)(i | 1);
    }
    printf("checksum %016llx\n", (unsigned long long)sum);
    return 0;
}
