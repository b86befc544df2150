/* exit_modes.c -- exit() vs _exit() vs the raw exit syscall vs return.
 *
 *   exit_modes exit      atexit handler runs, stdio buffer is flushed
 *   exit_modes return    same as exit (returning from main calls exit)
 *   exit_modes _exit     no handler, the unflushed buffer is LOST
 *   exit_modes sys_exit  syscall(SYS_exit, 3): same as _exit
 *
 * Every mode exits with status 3.  The printf below has no newline, so the
 * text sits in the stdio buffer even when stdout is a terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void handler(void)
{
    printf(" | atexit handler ran\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s exit|_exit|sys_exit|return\n", argv[0]);
        return 2;
    }
    atexit(handler);
    printf("mode %s: buffered text without newline", argv[1]);

    if (strcmp(argv[1], "exit") == 0)
        exit(3);
    if (strcmp(argv[1], "_exit") == 0)
        _exit(3);
    if (strcmp(argv[1], "sys_exit") == 0)
        syscall(SYS_exit, 3);
    if (strcmp(argv[1], "return") == 0)
        return 3;

    fprintf(stderr, "\nunknown mode %s\n", argv[1]);
    _exit(2);
}
