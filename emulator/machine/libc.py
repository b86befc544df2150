"""The host's C library, loaded once: raw host system calls for what Python's os module lacks.

elfemu is the guest's kernel, but many calls are served by making the same call on the host
(one guest process is one host process). `host(nr, *args)` is that call: ints, bytes (as C
strings) and ctypes buffers in; the result out, or OSError with the host's errno, which the
dispatcher turns into the guest's -errno.
"""

import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
syscall = libc.syscall


def c_arg(a):
    if a is None:
        return ctypes.c_void_p(0)
    if isinstance(a, int):
        return ctypes.c_long(a)
    if isinstance(a, bytes):
        return ctypes.c_char_p(a)
    return a  # a ctypes buffer: passed by address


def host(nr: int, *args) -> int:
    """The host's system call `nr`; returns the result (>= 0) or raises OSError(errno)."""
    ret = syscall(ctypes.c_long(nr), *[c_arg(a) for a in args])
    if ret == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret
