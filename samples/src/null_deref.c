/* null_deref.c -- page 0 is not mapped: reading address 0 is a page fault
 * the kernel turns into SIGSEGV.  Expected: one line, then death by
 * signal 11 (shell status 139). */
#include <stdio.h>

int main(void)
{
    printf("about to dereference NULL\n");
    fflush(stdout);
    int v = *(volatile int *)0;
    printf("unreachable: %d\n", v);
    return 0;
}
