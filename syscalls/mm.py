"""Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise."""


def brk(p, addr):
    return p.heap.brk(addr)
