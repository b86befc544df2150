/* raw_syscall NR...: makes each system call NR with all-zero arguments and prints
   "NR RESULT" (RESULT is the return value, or -errno), so a test can compare a
   kernel's answer with elfemu's call by call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        long nr = strtol(argv[i], NULL, 10);
        long ret = syscall(nr, 0, 0, 0, 0, 0, 0);
        printf("%ld %ld\n", nr, ret < 0 ? -errno : ret);
    }
    return 0;
}
