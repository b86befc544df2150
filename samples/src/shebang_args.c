/* shebang_args.c -- print the argument vector.  Used as the interpreter of
 * a script starting with "#!/path/to/shebang_args A B C": the kernel runs
 *     shebang_args "A B C" /path/to/script [script args...]
 * i.e. everything after the interpreter path is ONE argument. */
#include <stdio.h>

int main(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);
    return 0;
}
