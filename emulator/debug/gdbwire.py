"""The GDB Remote Serial Protocol's transport: packets framed as `$payload#xx` over one TCP socket.

Each packet is acknowledged with `+` until gdb asks for QStartNoAckMode; a lone 0x03 byte
outside a packet is gdb's ^C. Binary payloads (X writes, vFile and qXfer replies) escape `#$}*`
as `}` followed by the byte xor 0x20 (gdb's "Binary Data" section of the protocol manual).
What the packets mean is gdbstub.py's.
"""

import socket


class Disconnected(Exception):
    """gdb went away."""


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def escape(data: bytes) -> bytes:
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        if data[i] == 0x7D and i + 1 < len(data):
            out.append(data[i + 1] ^ 0x20)
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


class Wire:
    """One gdb connection's packets, in and out."""

    def __init__(self, conn: socket.socket):
        self.conn = conn
        self.ack = True  # until QStartNoAckMode
        self.buf = b""  # received bytes not yet consumed

    def _recv(self) -> bytes:
        data = self.conn.recv(65536)
        if not data:
            raise Disconnected()
        return data

    def read_packet(self) -> bytes:
        """The next packet's payload (a lone ^C comes back as b'\\x03')."""
        while True:
            i = 0
            while i < len(self.buf) and self.buf[i:i + 1] in (b"+", b"-"):
                i += 1
            self.buf = self.buf[i:]
            if self.buf[:1] == b"\x03":
                self.buf = self.buf[1:]
                return b"\x03"
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                payload = self.buf[start + 1:end]
                self.buf = self.buf[end + 3:]
                if self.ack:
                    self.conn.sendall(b"+")
                return payload
            self.buf += self._recv()

    def send(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            payload = payload.encode()
        self.conn.sendall(b"$%s#%02x" % (payload, checksum(payload)))
        if self.ack:  # wait for the '+'
            while not self.buf:
                self.buf += self._recv()
            if self.buf[:1] == b"+":
                self.buf = self.buf[1:]

    def close(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass


def listen(port: int) -> socket.socket:
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    return srv
