/* argv_envp.c -- what the kernel puts on the initial stack: argc, argv[],
 * envp[].  main's third parameter envp and the libc global `environ` point
 * at the same array.  Addresses are never printed, so the output only
 * depends on the arguments and the environment. */
#include <stdio.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv, char **envp)
{
    printf("argc = %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");

    int n = 0;
    for (char **e = envp; *e; e++, n++)
        printf("envp[%d] = %s\n", n, *e);
    printf("envc = %d\n", n);

    printf("environ == envp: %s\n", environ == envp ? "yes" : "no");
    /* On Linux envp starts right after argv's terminating NULL. */
    printf("envp == argv + argc + 1: %s\n", envp == argv + argc + 1 ? "yes" : "no");
    return 0;
}
