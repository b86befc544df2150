/* hello.c -- the plain C hello world (also built as a static-PIE binary).
 * Compare its size/complexity with the 178-byte hand-made ELF in hello178/. */
#include <stdio.h>

int main(void)
{
    printf("Hello world\n");
    return 0;
}
