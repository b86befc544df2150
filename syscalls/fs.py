"""File-system and descriptor syscalls. Guest fds are host fds: one guest process is one host process."""

import os


def read(p, fd, buf, count):
    data = os.read(p.fds.host(fd), min(count, 1 << 30))
    p.mem.write(buf, data)
    return len(data)


def write(p, fd, buf, count):
    return os.write(p.fds.host(fd), p.mem.read(buf, count))
