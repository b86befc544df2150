/* execve_demo.c -- execve() replaces the process image; the new program
 * gets exactly the argv and envp we pass (here a one-entry environment).
 *
 * usage: execve_demo [PROGRAM [ARGS...]]   default PROGRAM: /usr/bin/env
 * With the default, the output is the single line "HELLO=WORLD".
 * If execve fails it returns -1 and we print why (exit status 1). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char *envp[] = { "HELLO=WORLD", NULL };
    char *def_argv[] = { "/usr/bin/env", NULL };
    char **new_argv = argc > 1 ? argv + 1 : def_argv;

    execve(new_argv[0], new_argv, envp);
    /* only reached on failure */
    printf("execve(%s) failed: returned -1, errno = %s\n", new_argv[0],
           strerror(errno));
    return 1;
}
