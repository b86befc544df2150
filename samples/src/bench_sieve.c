/* bench_sieve.c -- sieve of Eratosthenes: memory-heavy user-mode work.
 * usage: bench_sieve [N]   prints how many primes are < N. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 50000000L;
    if (n < 2) {
        printf("primes below %ld: 0\n", n);
        return 0;
    }
    char *composite = calloc(n, 1);
    if (!composite) {
        perror("calloc");
        return 1;
    }
    long count = 0;
    for (long i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        for (long j = i * i; j < n; j += i)
            composite[j] = 1;
    }
    printf("primes below %ld: %ld\n", n, count);
    free(composite);
    return 0;
}
