/* hotpatch.c -- code is just bytes in memory with page permissions.
 * Make old_func's page writable, overwrite its first bytes with
 * `jmp new_func`, restore R-X, and call old_func again: it now runs
 * new_func. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) void old_func(void)
{
    printf("In old function %s\n", __func__);
}

__attribute__((noinline)) void new_func(void)
{
    printf("In new function %s\n", __func__);
}

/* Calls go through a volatile pointer so the compiler cannot inline them. */
static void (*volatile fp)(void) = old_func;

int main(void)
{
    fp();

    long pagesz = sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)old_func & ~(uintptr_t)(pagesz - 1);
    size_t len = 2 * pagesz;            /* the 5-byte patch may cross a page */

    if (mprotect((void *)start, len, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
        perror("mprotect rwx");
        return 1;
    }

    unsigned char *code = (unsigned char *)old_func;
    int64_t rel = (int64_t)(uintptr_t)new_func - (int64_t)((uintptr_t)code + 5);
    if (rel >= INT32_MIN && rel <= INT32_MAX) {
        int32_t rel32 = (int32_t)rel;
        code[0] = 0xe9;                 /* jmp rel32 */
        memcpy(code + 1, &rel32, 4);
    } else {
        uint64_t abs = (uintptr_t)new_func;
        code[0] = 0x48; code[1] = 0xb8; /* movabs $new_func, %rax */
        memcpy(code + 2, &abs, 8);
        code[10] = 0xff; code[11] = 0xe0; /* jmp *%rax */
    }
    __builtin___clear_cache((char *)code, (char *)code + 12);

    if (mprotect((void *)start, len, PROT_READ | PROT_EXEC) != 0) {
        perror("mprotect r-x");
        return 1;
    }
    printf("patched old_func\n");

    fp();                               /* now ends up in new_func */
    return 0;
}
