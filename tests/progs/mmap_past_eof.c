/* mmap_past_eof.c -- a file mapping's pages past the end of the file: the rest of the last file
   page reads as zeros, a syscall reading a later page gets EFAULT, and touching one is SIGBUS
   (BUS_ADRERR), caught when argv[2] is given (test_mm). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
static void on_bus(int signo, siginfo_t *si, void *ctx) {
    printf("signal %d code %d offset %ld\n", signo, si->si_code, (long)((unsigned long)si->si_addr & 0xfff));
    fflush(stdout);
    _exit(0);
}
int main(int argc, char **argv) {
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "0123456789", 10) != 10) return 2;
    char *p = mmap(0, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return 3;
    printf("in the file %c, rest of its page %d\n", p[3], p[100]);
    ssize_t n = write(1, p + 4096, 1);
    printf("write from the page past EOF: %zd errno %d\n", n, n < 0 ? errno : 0);
    fflush(stdout);
    if (argc > 2) {
        struct sigaction sa = {0};
        sa.sa_sigaction = on_bus;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGBUS, &sa, 0);
    }
    return p[4096 + 5];
}
