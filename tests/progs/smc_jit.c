/* Self-modifying and JIT code against the translated-code cache: every case rewrites machine
   code that has already run (so the emulator holds a translation of it) and runs it again.
   Prints one line per case; the expected values are in the comments and in test_libunicorn.py. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef long (*fn_t)(long);

/* mov eax, imm32 ; add rax, rdi ; ret */
static void emit_add(unsigned char *p, int32_t imm) {
    p[0] = 0xb8;
    memcpy(p + 1, &imm, 4);
    p[5] = 0x48, p[6] = 0x01, p[7] = 0xf8, p[8] = 0xc3;
}

/* 1. RWX page: rewrite the immediate in place after each call (a store into a page holding
      translated code), 1000 times. Sum of (i + i) for i < 1000 = 999000. */
static long rwx_rewrite(void) {
    unsigned char *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long sum = 0;
    emit_add(page, 0);
    for (int i = 0; i < 1000; i++) {
        memcpy(page + 1, &i, 4);
        sum += ((fn_t)page)(i);
    }
    return sum;
}

/* 2. Code that patches the instruction right after itself, in the same translated block:
      mov byte [rip+1], 0x2a (patches the imm8 of the next instruction) ; mov al, 0x00 ... -> 42. */
static long same_block(void) {
    static const unsigned char code[] = {
        0x31, 0xc0,                         /* xor eax, eax */
        0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x2a, /* mov byte [rip+1], 42: the imm8 below */
        0xb0, 0x00,                         /* mov al, 0 (becomes mov al, 42) */
        0xc3,                               /* ret */
    };
    unsigned char *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long total = 0;
    for (int i = 0; i < 3; i++) {  /* each round starts from the unpatched bytes again */
        memcpy(page, code, sizeof code);
        total += ((fn_t)page)(0);
    }
    return total;  /* 3 * 42 = 126 */
}

/* 3. mprotect RW -> RX hot patch: a function called in a hot loop (its block chained to the
      caller's) is rewritten every 100 calls, with W^X between. Sum over 1000 calls of (k + i)
      where k = i / 100: sum(i) + 100 * sum(k for k < 10) = 499500 + 4500 = 504000. */
static long wx_hot_patch(void) {
    unsigned char *page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long sum = 0;
    for (int i = 0; i < 1000; i++) {
        if (i % 100 == 0) {
            mprotect(page, 4096, PROT_READ | PROT_WRITE);
            emit_add(page + 64, i / 100);
            mprotect(page, 4096, PROT_READ | PROT_EXEC);
        }
        sum += ((fn_t)(page + 64))(i);
    }
    return sum;
}

/* 4. Data and code in one RWX page: a counter next to the code is stored on every call (stores
      that must not invalidate the code wrongly, nor be lost). 500 calls of `inc qword [rip+X]; ret`. */
static long data_next_to_code(void) {
    static const unsigned char code[] = {0x48, 0xff, 0x05, 0xf9, 0x00, 0x00, 0x00, 0xc3}; /* inc qword [rip+0xf9]; ret */
    unsigned char *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(page, code, sizeof code);  /* the counter is at 7 + 0xf9 = 0x100 */
    for (int i = 0; i < 500; i++)
        ((fn_t)page)(0);
    long counter;
    memcpy(&counter, page + 0x100, 8);
    return counter;  /* 500 */
}

/* 5. Move code: copy a function to another page and back, run each copy (stale translations
      at the old address must not run after the page is unmapped and mapped again). */
static long remap(void) {
    long total = 0;
    for (int i = 1; i <= 5; i++) {
        unsigned char *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        emit_add(page, i * 1000);
        total += ((fn_t)page)(i);
        munmap(page, 4096);
    }
    return total;  /* 15000 + 15 = 15015 */
}

int main(void) {
    printf("rwx_rewrite %ld\n", rwx_rewrite());
    printf("same_block %ld\n", same_block());
    printf("wx_hot_patch %ld\n", wx_hot_patch());
    printf("data_next_to_code %ld\n", data_next_to_code());
    printf("remap %ld\n", remap());
    return 0;
}
