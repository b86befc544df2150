/* fork_printf.c -- fork() copies the stdio buffer too.
 *     for (int i = 0; i < 2; i++) { fork(); printf("Hello\n"); }
 * On a terminal stdout is line-buffered: 2 + 4 = 6 lines.
 * Through a pipe/file it is fully buffered: the "Hello\n" of iteration 0
 * is still in the buffer when the second fork copies it, so every one of
 * the 4 final processes prints 2 lines: 8 lines. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 2; i++) {
        fork();
        printf("Hello\n");
    }
    while (wait(NULL) > 0)              /* reap our own children */
        ;
    return 0;
}
