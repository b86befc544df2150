/* A JIT-style W^X dance: code written while the page is RW (by read() from a pipe, which the
   kernel performs, and by a plain store), then made RX, run, rewritten, and run again. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const unsigned char ret_value[] = {0xb8, 0, 0, 0, 0, 0xc3}; /* mov eax, imm32; ret */

static int run_with(unsigned char *page, int value, int via_read) {
    unsigned char code[sizeof ret_value];
    memcpy(code, ret_value, sizeof code);
    memcpy(code + 1, &value, 4);
    mprotect(page, 4096, PROT_READ | PROT_WRITE);
    if (via_read) {
        int p[2];
        pipe(p);
        write(p[1], code, sizeof code);
        read(p[0], page, sizeof code);
        close(p[0]);
        close(p[1]);
    } else {
        memcpy(page, code, sizeof code);
    }
    mprotect(page, 4096, PROT_READ | PROT_EXEC);
    return ((int (*)(void))page)();
}

int main(void) {
    unsigned char *page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 1; i <= 4; i++)
        printf("run %d -> %d\n", i, run_with(page, i * 11, i % 2));
    return 0;
}
