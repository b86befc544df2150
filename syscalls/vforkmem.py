"""A vfork child's memory writes, handed back to its parent (CLONE_VM|CLONE_VFORK).

On Linux a vfork child shares its parent's memory until it execs or exits, and programs rely
on it: glibc's posix_spawn child stores the exec error in the parent's stack frame
(args->err), vfork() children set variables. elfemu runs such a child as a host fork, so its
writes land in its own copy. Before the child execs or ends, it sends the guest pages it wrote
through the hidden vfork pipe; the parent, still blocked in the clone, writes them into the
same guest addresses before the guest resumes. Only the guest's private mappings that are
writable on both sides take part (MAP_SHARED ones are shared by the host kernel already).

Finding the pages the child wrote: /proc/self/pagemap bit 56, "exclusively mapped". After a
fork every present private page is shared copy-on-write with the parent, so a page that is
exclusively the child's, anonymous and present (or swapped out: bit 62, sent to be safe) is
one the child wrote (copied on write, or first touched by a write). The rare extra page (one
pinned at fork and copied eagerly) holds what the parent has already, so sending it is harmless.
A child that forks again first sends what it wrote so far, since its pages are then shared
with the grandchild. The parent pays nothing; the child reads 8 bytes of pagemap per page of
its writable mappings and sends only the pages it wrote (a posix_spawn child: a few pages).

Options weighed: Linux's soft-dirty bits (clear_refs "4" in the parent before the fork) need
CONFIG_MEM_SOFT_DIRTY, which the kernel here lacks (bit 55 always reads 0), and clearing them
write-protects the whole host process. Sending the parent's stack above rsp plus .data, .bss
and heap costs in proportion to the heap and misses anonymous mmaps (large malloc blocks).
Really sharing memory would mean backing every private mapping by a memfd and copying on
every ordinary fork ourselves: a rewrite of memory.py for one syscall.
"""

import ctypes
import os
import struct

from emulator.memory import PAGE, PROT_EXEC, PROT_WRITE

RECORD = struct.Struct("<QQ")  # guest address, length; then the bytes
_SCAN_PAGES = 1 << 16  # pagemap entries read at a time (512 KiB)
# Byte 7 of a pagemap entry holds bits 56..63: 0x01 exclusive, 0x20 file, 0x40 swapped, 0x80 present.
_WRITTEN = bytes(1 if b & 0x40 or (b & 0xA1) == 0x81 else 0 for b in range(256))


def _shareable(v) -> bool:
    return v.prot & PROT_WRITE and not v.shared and not v.sigbus and v.host


def _written_runs(pagemap: int, host: int, npages: int):
    """(first page, page count) of each run of pages the child wrote in [host, host+npages pages)."""
    for base in range(0, npages, _SCAN_PAGES):
        n = min(_SCAN_PAGES, npages - base)
        entries = os.pread(pagemap, n * 8, (host // PAGE + base) * 8)
        flags = entries[7::8].translate(_WRITTEN)
        i = flags.find(1)
        while i >= 0:
            j = flags.find(0, i)
            j = len(flags) if j < 0 else j
            yield base + i, j - i
            i = flags.find(1, j)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send_written(p, fd: int) -> None:
    """In the vfork child: send each run of guest pages it wrote, as (address, length, bytes)."""
    try:
        pagemap = os.open("/proc/self/pagemap", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        for v in list(p.mem.vmas):
            if not _shareable(v):
                continue
            for first, count in _written_runs(pagemap, v.host, (v.end - v.start) // PAGE):
                offset, length = first * PAGE, count * PAGE
                _write_all(fd, RECORD.pack(v.start + offset, length))
                _write_all(fd, (ctypes.c_char * length).from_address(v.host + offset))
    except OSError:  # the parent is gone (EPIPE), or no pagemap: nobody to tell, or no way to tell
        pass
    finally:
        os.close(pagemap)


def receive_written(p, rfd: int) -> None:
    """In the parent: read until the child closes its end, then apply every complete record."""
    chunks = []
    while chunk := os.read(rfd, 1 << 20):
        chunks.append(chunk)
    data = b"".join(chunks)
    pos = 0
    while pos + RECORD.size <= len(data):
        addr, length = RECORD.unpack_from(data, pos)
        pos += RECORD.size
        if pos + length > len(data):
            break  # the child died mid-record: what came whole is kept
        _apply(p, addr, data[pos:pos + length])
        pos += length


def _apply(p, addr: int, data: bytes) -> None:
    for v, host, length in list(p.mem.host_range(addr, addr + len(data))):
        if not _shareable(v):
            continue
        lo = max(v.start, addr)
        ctypes.memmove(host, data[lo - addr:lo - addr + length], length)
        if v.prot & PROT_EXEC:  # the parent may hold translations of the old bytes
            p.mem.forget_code(lo, lo + length)
