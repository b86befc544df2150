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
with the grandchild. The parent pays nothing before the fork and only copies the pages in
after it; the child finds its populated anonymous ranges with PAGEMAP_SCAN (an 8 GiB sparse
mapping costs what it holds), reads their pagemap entries and sends only the pages it wrote
(a posix_spawn child: a few). Measured: ~0.2 ms per spawn of a small guest, ~3 ms when the
guest has 100 MiB resident, against 8-10 ms for the spawn itself.

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

from emulator.machine.memory import PAGE, PROT_WRITE

RECORD = struct.Struct("<QQ")  # guest address, length; then the bytes
_SCAN_PAGES = 1 << 16  # pagemap entries read at a time (512 KiB)
# Byte 7 of a pagemap entry holds bits 56..63: 0x01 exclusive, 0x20 file, 0x40 swapped, 0x80 present.
_WRITTEN = bytes(1 if b & 0x40 or (b & 0xA1) == 0x81 else 0 for b in range(256))


class _PmScanArg(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "size flags start end walk_end vec vec_len max_pages "
        "category_inverted category_mask category_anyof_mask return_mask").split()]


_Regions = ctypes.c_uint64 * (3 * 256)  # struct page_region {start, end, categories}[256]
PAGEMAP_SCAN = 0xC0606610  # _IOWR('f', 16, struct pm_scan_arg), Linux 6.7
PAGE_IS_FILE, PAGE_IS_PRESENT, PAGE_IS_SWAPPED, PAGE_IS_PFNZERO = 1 << 2, 1 << 3, 1 << 4, 1 << 5
_libc = ctypes.CDLL(None, use_errno=True)


def _shareable(v) -> bool:
    return v.prot & PROT_WRITE and not v.shared and not v.sigbus and v.host


def _anon_ranges(pagemap: int, start: int, end: int):
    """[lo, hi) host ranges holding anonymous pages, present or swapped, within [start, end).
    PAGEMAP_SCAN skips unpopulated page tables, so a huge sparse mapping costs what it holds;
    before Linux 6.7 the whole range is read from pagemap instead."""
    vec = _Regions()
    arg = _PmScanArg(size=ctypes.sizeof(_PmScanArg), vec=ctypes.addressof(vec), vec_len=len(vec) // 3,
                     category_inverted=PAGE_IS_FILE | PAGE_IS_PFNZERO, category_mask=PAGE_IS_FILE | PAGE_IS_PFNZERO,
                     category_anyof_mask=PAGE_IS_PRESENT | PAGE_IS_SWAPPED, return_mask=PAGE_IS_PRESENT)
    while start < end:
        arg.start, arg.end = start, end
        n = _libc.ioctl(pagemap, PAGEMAP_SCAN, ctypes.byref(arg))
        if n < 0:
            yield start, end
            return
        for i in range(n):
            yield vec[3 * i], vec[3 * i + 1]
        if arg.walk_end <= start:
            return
        start = arg.walk_end


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
            for lo, hi in list(_anon_ranges(pagemap, v.host, v.host + v.end - v.start)):
                for first, count in _written_runs(pagemap, lo, (hi - lo) // PAGE):
                    host, length = lo + first * PAGE, count * PAGE
                    _write_all(fd, RECORD.pack(v.start + host - v.host, length))
                    _write_all(fd, (ctypes.c_char * length).from_address(host))
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
    """Through AddressSpace.write: executable pages drop their translations, and the debugger's
    recorder sees the bytes as this clone's effect on memory (replayed when stepping over it)."""
    for v, _host, length in list(p.mem.host_range(addr, addr + len(data))):
        if _shareable(v):
            lo = max(v.start, addr)
            p.mem.write(lo, data[lo - addr:lo - addr + length])


def release(p) -> None:
    """A vfork child about to exec or end: hand its memory writes to the parent and wake it."""
    if p.vfork_fd >= 0:
        send_written(p, p.vfork_fd)
        close_pipe(p)


def close_pipe(p) -> None:
    """Let go of the parent: it wakes when the last copy of the pipe's write end is closed."""
    fd = p.vfork_fd
    if fd >= 0:
        p.vfork_fd = -1
        p.fds.hidden.discard(fd)
        try:
            os.close(fd)
        except OSError:
            pass
