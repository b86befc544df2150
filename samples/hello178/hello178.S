/*
 * hello178.S -- the 178-byte "Hello world" ELF executable from the CS 111
 * lecture, written out as assembler source so every byte is explained.
 *
 * There is no linker script and no sections that matter: the whole file is
 * assembled into .text and then dumped raw with `objcopy -O binary`, so
 * byte 0 of this section is byte 0 of the output file.
 *
 * Memory layout: the single PT_LOAD segment maps the whole file (offset 0)
 * at virtual address 0x10000, so a byte at file offset X lives at 0x10000+X.
 *
 *   file offset  size  contents
 *   0x00         64    ELF header (Elf64_Ehdr)
 *   0x40         56    one program header (Elf64_Phdr)
 *   0x78         46    8 instructions (entry point = 0x10078)
 *   0xa6         12    "Hello world\n"
 *   0xb2 = 178         end of file
 *
 * Build:  as -o hello178.o hello178.S
 *         objcopy -O binary -j .text hello178.o hello178 && chmod +x hello178
 */

        .set    BASE, 0x10000           /* virtual address of file offset 0 */

        .text
ehdr:                                   /* ===== Elf64_Ehdr (64 bytes) ===== */
        /* e_ident[16] */
        .byte   0x7f, 'E', 'L', 'F'     /* 00: EI_MAG0..3 magic number 7F 45 4C 46 */
        .byte   2                       /* 04: EI_CLASS   = ELFCLASS64 (64-bit) */
        .byte   1                       /* 05: EI_DATA    = ELFDATA2LSB (little endian) */
        .byte   1                       /* 06: EI_VERSION = EV_CURRENT */
        .byte   3                       /* 07: EI_OSABI   = ELFOSABI_LINUX (3) */
        .byte   0                       /* 08: EI_ABIVERSION = 0 */
        .byte   0, 0, 0, 0, 0, 0, 0     /* 09..0F: EI_PAD, zero padding */
        .word   2                       /* 10: e_type    = ET_EXEC (fixed-address executable) */
        .word   0x3e                    /* 12: e_machine = EM_X86_64 (62) */
        .long   1                       /* 14: e_version = EV_CURRENT */
        .quad   BASE + (_start - ehdr)  /* 18: e_entry   = 0x10078, first instruction */
        .quad   phdr - ehdr             /* 20: e_phoff   = 0x40, program headers follow the ELF header */
        .quad   0                       /* 28: e_shoff   = 0, no section headers at all */
        .long   0                       /* 30: e_flags   = 0 (none defined for x86-64) */
        .word   phdr - ehdr             /* 34: e_ehsize  = 64, size of this header */
        .word   phdr_end - phdr         /* 36: e_phentsize = 56, size of one Elf64_Phdr */
        .word   1                       /* 38: e_phnum   = 1 program header */
        .word   0x40                    /* 3A: e_shentsize = 64 (sizeof Elf64_Shdr, unused) */
        .word   0                       /* 3C: e_shnum   = 0 sections */
        .word   0                       /* 3E: e_shstrndx = 0 (SHN_UNDEF, no section names) */

phdr:                                   /* ===== Elf64_Phdr (56 bytes) ===== */
        .long   1                       /* 40: p_type   = PT_LOAD, map this from the file */
        .long   5                       /* 44: p_flags  = PF_R|PF_X (4|1), readable + executable */
        .quad   0                       /* 48: p_offset = 0, start mapping at file byte 0 */
        .quad   BASE                    /* 50: p_vaddr  = 0x10000, where it goes in memory */
        .quad   BASE                    /* 58: p_paddr  = 0x10000 (ignored on Linux) */
        .quad   file_end - ehdr         /* 60: p_filesz = 0xb2 = 178, whole file */
        .quad   file_end - ehdr         /* 68: p_memsz  = 0xb2, no extra zero-filled (.bss) part */
        .quad   0x100                   /* 70: p_align  = 0x100 */
phdr_end:

        /* ===== code (46 bytes), starts at 0x78 = e_entry - BASE =====
         * Each `mov $imm, %reg64` is encoded as REX.W C7 /0 imm32
         * (48 C7 Cx ii ii ii ii): 7 bytes, imm32 sign-extended to 64 bits. */
_start:
        /* write(1, msg, 12) */
        movq    $1, %rax                /* 78: 48 C7 C0 01 00 00 00  rax = 1  (SYS_write) */
        movq    $1, %rdi                /* 7F: 48 C7 C7 01 00 00 00  rdi = 1  (fd: stdout) */
        movq    $BASE + (msg - ehdr), %rsi
                                        /* 86: 48 C7 C6 A6 00 01 00  rsi = 0x100a6 (buf: msg) */
        movq    $msg_end - msg, %rdx    /* 8D: 48 C7 C2 0C 00 00 00  rdx = 12 (count) */
        syscall                         /* 94: 0F 05 */
        /* exit_group(0) */
        movq    $231, %rax              /* 96: 48 C7 C0 E7 00 00 00  rax = 231 (SYS_exit_group) */
        movq    $0, %rdi                /* 9D: 48 C7 C7 00 00 00 00  rdi = 0 (exit status) */
        syscall                         /* A4: 0F 05  -- never returns */

        /* ===== data (12 bytes), at 0xa6 = 0x100a6 in memory ===== */
msg:
        .ascii  "Hello world\n"         /* A6: 48 65 6C 6C 6F 20 77 6F 72 6C 64 0A */
msg_end:
file_end:                               /* B2: 178 bytes total */
