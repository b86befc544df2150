/* bench_syscalls.c -- system call overhead: N one-byte write()s to
 * /dev/null.  usage: bench_syscalls [N]   (prints nothing) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000L;
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) {
        perror("open /dev/null");
        return 1;
    }
    for (long i = 0; i < n; i++)
        if (write(fd, "x", 1) != 1) {
            perror("write");
            return 1;
        }
    close(fd);
    return 0;
}
