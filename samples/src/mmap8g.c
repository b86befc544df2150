/* mmap8g.c -- virtual memory is not physical memory.  Map 8 GiB of
 * anonymous memory, touch four bytes far apart, read them back.  Only the
 * touched pages get physical frames, so peak RSS stays tiny. */
#include <stdio.h>
#include <sys/mman.h>

#define GiB (1UL << 30)

int main(void)
{
    size_t size = 8 * GiB;
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    size_t offs[] = { 0, 4 * GiB, 6 * GiB, 7 * GiB };
    for (int i = 0; i < 4; i++)
        p[offs[i]] = (char)(i + 1);             /* page fault -> new page */
    for (int i = 0; i < 4; i++)
        printf("Read get: %d\n", p[offs[i]]);
    if (munmap(p, size) != 0) {
        perror("munmap");
        return 1;
    }
    return 0;
}
