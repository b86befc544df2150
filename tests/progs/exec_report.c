/* exec_report.c -- execve(argv[1]); if it returns, say which errno (test_loader: a guest's execve
   of a malformed ELF gets Linux's errno before the point of no return, SIGSEGV after it). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char *args[] = {argv[1], 0};
    if (argc < 2) return 2;
    execv(argv[1], args);
    printf("execve failed: errno %d\n", errno);
    return 3;
}
