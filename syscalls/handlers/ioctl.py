"""ioctl on real fds, answered by the host: the guest's argument struct is copied into a host
buffer of the request's size, the host ioctl runs on the same fd, and the struct is copied
back when the kernel writes it.

Only requests whose argument is a plain value or a flat struct (no embedded pointers) are
passed through: the classic tty requests (0x54xx) by table, and _IOC-encoded requests of
the tty ('T'), file ('f') and block (0x12) families by the size and direction in their
number. Anything else is ENOTTY, which is what Linux says for an ioctl a file does not know.
A struct that ends in a variable array must be copied whole, or the host kernel writes past the
host buffer into elfemu's own heap: FS_IOC_FIEMAP is sized from its header; the fscrypt requests
with such arrays are refused.
"""

import errno

from emulator.abi.syscall_numbers import NR
from emulator.errors import GuestFault, SyscallError
from emulator.machine.libc import host
from syscalls.handlers.fsbase import inbuf, out, put

VALUE = -1  # the argument is an integer, not a pointer
TERMIOS, TERMIO = 36, 18
_IOC_WRITE, _IOC_READ = 1, 2

# request: (argument size or VALUE or 0 for none, the kernel writes the struct back)
LEGACY = {
    0x5401: (TERMIOS, True),    # TCGETS
    0x5402: (TERMIOS, False),   # TCSETS
    0x5403: (TERMIOS, False),   # TCSETSW
    0x5404: (TERMIOS, False),   # TCSETSF
    0x5405: (TERMIO, True),     # TCGETA
    0x5406: (TERMIO, False),    # TCSETA
    0x5407: (TERMIO, False),    # TCSETAW
    0x5408: (TERMIO, False),    # TCSETAF
    0x5409: (VALUE, False),     # TCSBRK
    0x540A: (VALUE, False),     # TCXONC
    0x540B: (VALUE, False),     # TCFLSH
    0x540C: (0, False),         # TIOCEXCL
    0x540D: (0, False),         # TIOCNXCL
    0x540E: (VALUE, False),     # TIOCSCTTY
    0x540F: (4, True),          # TIOCGPGRP
    0x5410: (4, False),         # TIOCSPGRP
    0x5411: (4, True),          # TIOCOUTQ
    0x5412: (1, False),         # TIOCSTI
    0x5413: (8, True),          # TIOCGWINSZ
    0x5414: (8, False),         # TIOCSWINSZ
    0x5415: (4, True),          # TIOCMGET
    0x5416: (4, False),         # TIOCMBIS
    0x5417: (4, False),         # TIOCMBIC
    0x5418: (4, False),         # TIOCMSET
    0x5419: (4, True),          # TIOCGSOFTCAR
    0x541A: (4, False),         # TIOCSSOFTCAR
    0x541B: (4, True),          # FIONREAD
    0x541D: (0, False),         # TIOCCONS
    0x5420: (4, False),         # TIOCPKT
    0x5421: (4, False),         # FIONBIO
    0x5422: (0, False),         # TIOCNOTTY
    0x5423: (4, False),         # TIOCSETD
    0x5424: (4, True),          # TIOCGETD
    0x5425: (VALUE, False),     # TCSBRKP
    0x5427: (0, False),         # TIOCSBRK
    0x5428: (0, False),         # TIOCCBRK
    0x5429: (4, True),          # TIOCGSID
    0x5441: (VALUE, False),     # TIOCGPTPEER
    0x5450: (0, False),         # FIONCLEX
    0x5451: (0, False),         # FIOCLEX
    0x5452: (4, False),         # FIOASYNC
    0x5456: (TERMIOS, True),    # TIOCGLCKTRMIOS
    0x5457: (TERMIOS, False),   # TIOCSLCKTRMIOS
    0x5459: (4, True),          # TIOCSERGETLSR
    0x5460: (8, True),          # FIOQSIZE
    0x0001: (4, True),          # FIBMAP (in and out)
    0x0002: (4, True),          # FIGETBSZ
}
FLAT_TYPES = {ord("T"), ord("f"), 0x12}
FS_IOC_FIEMAP = 0xC020660B  # struct fiemap: 32-byte header, then fm_extent_count (u32 at +24) 56-byte extents
VARIABLE = {0xC0096616, 0xC0506617}  # FS_IOC_GET_ENCRYPTION_POLICY_EX, FS_IOC_ADD_ENCRYPTION_KEY


def shape(req: int) -> tuple[int, bool] | None:
    """(argument size or VALUE/0, written back) for a request we may pass through, else None."""
    if req in LEGACY:
        return LEGACY[req]
    if req in VARIABLE:
        return None
    direction, size, kind = req >> 30, (req >> 16) & 0x3FFF, (req >> 8) & 0xFF
    if kind in FLAT_TYPES and direction and size:
        return size, bool(direction & _IOC_READ)
    return None


def ioctl(p, fd, req, arg):
    fd = p.fds.host(fd)
    req &= 0xFFFF_FFFF
    how = shape(req)
    if how is None:
        raise SyscallError(errno.ENOTTY)
    size, back = how
    if size == VALUE:
        return host(NR["ioctl"], fd, req, arg)
    if size == 0:
        return host(NR["ioctl"], fd, req, 0)
    if req == FS_IOC_FIEMAP:
        size = _fiemap_size(p, arg)
    try:  # the guest's bytes, so what the kernel leaves alone round-trips
        buf = inbuf(p, arg, size) if arg else None
    except GuestFault:
        buf = None
    if buf is None:
        if not back:  # never hand the host a made-up struct to apply
            raise SyscallError(errno.EFAULT)
        buf = out(size)  # an out-only struct: the host's own errors come first, then EFAULT
    ret = host(NR["ioctl"], fd, req, buf)
    if back:
        put(p, arg, buf, size)
    return ret


def _fiemap_size(p, arg: int) -> int:
    """The whole struct fiemap: the header says how many extents the guest made room for."""
    try:
        count = int.from_bytes(p.mem.read(arg + 24, 4), "little")
        p.mem.read(arg, 32 + 56 * count)  # all of it must be the guest's, as for the kernel's copy-out
    except GuestFault:
        raise SyscallError(errno.EFAULT) from None
    return 32 + 56 * count
