"""GDB Remote Serial Protocol server over TCP, on the debugging engine (emulator/debug/debugger.py).

`elfemu run --gdb PORT PROG` waits for `target remote :PORT` before the first instruction.
The stub speaks the all-stop subset gdb needs for one process and one thread: registers
(an amd64-linux target description with x87, SSE, orig_rax, fs_base/gs_base), memory
(writes reach read-only text, as ptrace allows), s/c/vCont, Z0/Z1 breakpoints, Z2/Z4
write/access watchpoints (rwatch as native gdb does it on x86), qXfer exec-file/auxv/features/siginfo, vFile host I/O over the guest's own /proc
view (emulator/debug/gdbfiles.py: `info proc mappings`), multiprocess thread ids, `catch syscall` (QCatchSyscalls), and reverse
execution: bs and bc, with `replaylog:begin` when history runs out.
"""

import os
import select
import signal
import socket
import sys
import threading

from emulator.debug.debugger import ALL_SYSCALLS, Debugger, StopEvent
from emulator.debug.gdbfiles import HostIO
from emulator.errors import GuestFault, ProcessExit, ProcessKilled
from emulator.image import loader
from emulator.task.sigframe import pack_siginfo

# (name, bytes) in the order of the description below: the `g` packet layout.
REGS = ([(n, 8) for n in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                          "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip")]
        + [("eflags", 4)] + [(n, 4) for n in ("cs", "ss", "ds", "es", "fs", "gs")]
        + [(f"st{i}", 10) for i in range(8)]
        + [(n, 4) for n in ("fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop")]
        + [(f"xmm{i}", 16) for i in range(16)] + [("mxcsr", 4), ("orig_rax", 8), ("fs_base", 8), ("gs_base", 8)])

WATCH_KINDS = {"2": "write", "4": "access"}  # Z2/Z4
WATCH_STOP = {"write": "watch", "read": "rwatch", "access": "awatch"}
SI_KERNEL, TRAP_TRACE, TRAP_HWBKPT = 0x80, 2, 4  # si_code of a SIGTRAP: int3, single-step, watchpoint

# Linux signal numbers -> gdb's own (GDB_SIGNAL_*) numbering used on the wire.
GDB_SIGNAL = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 10, 8: 8, 9: 9, 10: 30, 11: 11, 12: 31, 13: 13, 14: 14,
              15: 15, 17: 20, 18: 19, 19: 17, 20: 18, 21: 21, 22: 22, 23: 16, 24: 24, 25: 25, 26: 26,
              27: 27, 28: 28, 29: 23, 30: 32, 31: 12}


def _target_xml() -> str:
    def regs(names, bits, typ, extra=""):
        return "".join(f'<reg name="{n}" bitsize="{bits}" type="{typ}"{extra}/>' for n in names)

    eflags = "".join(f'<field name="{n}" start="{b}" end="{b}"/>' for n, b in (
        ("CF", 0), ("PF", 2), ("AF", 4), ("ZF", 6), ("SF", 7), ("TF", 8), ("IF", 9), ("DF", 10), ("OF", 11),
        ("NT", 14), ("RF", 16), ("VM", 17), ("AC", 18), ("VIF", 19), ("VIP", 20), ("ID", 21)))
    mxcsr = "".join(f'<field name="{n}" start="{b}" end="{b}"/>' for n, b in (
        ("IE", 0), ("DE", 1), ("ZE", 2), ("OE", 3), ("UE", 4), ("PE", 5), ("DAZ", 6), ("IM", 7), ("DM", 8),
        ("ZM", 9), ("OM", 10), ("UM", 11), ("PM", 12), ("FZ", 15)))
    core = ('<feature name="org.gnu.gdb.i386.core">'
            f'<flags id="i386_eflags" size="4">{eflags}</flags>'
            + regs(("rax", "rbx", "rcx", "rdx", "rsi", "rdi"), 64, "int64")
            + regs(("rbp", "rsp"), 64, "data_ptr")
            + regs([f"r{i}" for i in range(8, 16)], 64, "int64")
            + regs(("rip",), 64, "code_ptr") + regs(("eflags",), 32, "i386_eflags")
            + regs(("cs", "ss", "ds", "es", "fs", "gs"), 32, "int32")
            + regs([f"st{i}" for i in range(8)], 80, "i387_ext")
            + regs(("fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"), 32, "int", ' group="float"')
            + '</feature>')
    sse = ('<feature name="org.gnu.gdb.i386.sse">'
           '<vector id="v4f" type="ieee_single" count="4"/><vector id="v2d" type="ieee_double" count="2"/>'
           '<vector id="v16i8" type="int8" count="16"/><vector id="v8i16" type="int16" count="8"/>'
           '<vector id="v4i32" type="int32" count="4"/><vector id="v2i64" type="int64" count="2"/>'
           '<union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/>'
           '<field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/>'
           '<field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/>'
           '<field name="uint128" type="uint128"/></union>'
           f'<flags id="i386_mxcsr" size="4">{mxcsr}</flags>'
           + regs([f"xmm{i}" for i in range(16)], 128, "vec128")
           + regs(("mxcsr",), 32, "i386_mxcsr", ' group="vector"') + '</feature>')
    linux = '<feature name="org.gnu.gdb.i386.linux">' + regs(("orig_rax",), 64, "int") + '</feature>'
    segs = '<feature name="org.gnu.gdb.i386.segments">' + regs(("fs_base", "gs_base"), 64, "int") + '</feature>'
    return ('<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0">'
            '<architecture>i386:x86-64</architecture><osabi>GNU/Linux</osabi>'
            + core + sse + linux + segs + '</target>')


TARGET_XML = _target_xml().encode()


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


class Disconnected(Exception):
    """gdb went away."""


class Detached(Exception):
    """gdb sent D: the program runs on without the debugger."""


class GdbStub:
    """One gdb connection driving one Debugger."""

    def __init__(self, dbg: Debugger, conn: socket.socket):
        self.dbg, self.conn = dbg, conn
        self.ack = True
        self.buf = b""
        self.tid = os.getpid()
        self.selected = 0  # the thread gdb reads registers of (Hg); 0: the leader, which all stops report
        self.swbreak = False
        self.multiprocess = False
        self.files = HostIO(dbg.proc)
        self.last: StopEvent = StopEvent("signal", signo=5, addr=dbg.pc)
        dbg.on_fork_child = self._close_in_child

    def _close_in_child(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass

    # ----- packets -----------------------------------------------------------------
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

    # ----- the session -------------------------------------------------------------
    def serve(self) -> None:
        """Answer packets until gdb detaches (Detached), kills, or the guest ends (exceptions)."""
        while True:
            pkt = self.read_packet()
            reply = self.handle(pkt)
            if reply is not None:
                self.send(reply)
            if self.dbg.exited is not None and pkt[:1] in (b"c", b"s", b"v", b"b", b"C", b"S"):
                self._finish()

    def _finish(self) -> None:
        ev = self.dbg.exited
        self.conn.close()
        if ev.reason == "exited":
            raise ProcessExit(ev.exit_status)
        raise ProcessKilled(ev.signo)

    def stop_reply(self, ev: StopEvent) -> str:
        self.last = ev
        process = f";process:{self.tid:x}" if self.multiprocess else ""
        if ev.reason == "exited":
            return f"W{ev.exit_status & 0xFF:02x}{process}"
        if ev.reason == "killed":
            return f"X{GDB_SIGNAL.get(ev.signo, ev.signo):02x}{process}"
        sig = GDB_SIGNAL.get(ev.signo, ev.signo) if ev.reason == "signal" else 5
        d = self.dbg
        parts = [f"T{sig:02x}"]
        for regno, name in ((6, "rbp"), (7, "rsp"), (16, "rip")):
            parts.append(f"{regno:02x}:{d.read_register(name).to_bytes(8, 'little').hex()};")
        parts.append(f"thread:{self.thread_id()};")
        if ev.reason == "watchpoint":
            parts.append(f"{WATCH_STOP[ev.watch_kind]}:{ev.watch_addr:x};")
        elif ev.reason == "syscall":
            parts.append(f"syscall_{ev.sysphase}:{ev.sysno:x};")
        elif ev.reason == "breakpoint" and self.swbreak:
            parts.append("swbreak:;")
        elif ev.reason == "start-of-history":
            parts.append("replaylog:begin;")
        return "".join(parts)

    def thread_id(self, tid: int = 0) -> str:
        """A thread (the leader by default) as p<pid>.<tid> once gdb speaks the multiprocess
        extensions (gdb then knows the pid: `info proc` reads /proc/<pid>/... through vFile)."""
        tid = tid or self.tid
        return f"p{self.tid:x}.{tid:x}" if self.multiprocess else f"{tid:x}"

    def _thread_ids(self) -> list[int]:
        return [t.tid or self.tid for t in self.dbg.threads()]

    def _select(self, spec: str) -> str:
        """Hg/Hc: p<pid>.<tid> or <tid>; 0 and -1 mean any/all: the leader."""
        tid = spec.split(".")[-1]
        tid = 0 if tid in ("0", "-1", "") else int(tid, 16)
        if tid and tid not in self._thread_ids():
            return "E01"
        self.selected = 0 if tid == self.tid else tid
        return "OK"

    def _selected_task(self):
        return next((t for t in self.dbg.threads() if t.tid == self.selected), self.dbg.proc) if self.selected else self.dbg.proc

    def siginfo(self) -> dict:
        """What PTRACE_GETSIGINFO would say about the last stop ($_siginfo in gdb)."""
        ev = self.last
        if ev.reason == "breakpoint":
            return {"si_signo": 5, "si_code": SI_KERNEL, "si_addr": 0}
        if ev.reason == "watchpoint":
            return {"si_signo": 5, "si_code": TRAP_HWBKPT, "si_addr": ev.addr}  # Linux: the pc, as for steps
        if ev.reason == "signal" and ev.signo != 5:
            fault = self.dbg.pending_fault
            if fault is not None and fault.signo == ev.signo:
                return fault.siginfo()
            pending = self.dbg.proc.sig.pending.get(ev.signo) if hasattr(self.dbg.proc, "sig") else None
            return dict(pending or {"si_signo": ev.signo, "si_code": SI_KERNEL})
        return {"si_signo": 5, "si_code": TRAP_TRACE, "si_addr": self.dbg.pc}

    def _regs_hex(self) -> str:
        d, task = self.dbg, self._selected_task()
        return "".join((d.thread_register(task, n) & ((1 << (8 * size)) - 1)).to_bytes(size, "little").hex()
                       for n, size in REGS)

    def _read_mem(self, addr: int, length: int) -> bytes:
        out = b""
        while length > 0:
            chunk = min(length, 0x1000 - (addr & 0xFFF))
            try:
                out += self.dbg.read_memory(addr, chunk)
            except GuestFault:
                break
            addr, length = addr + chunk, length - chunk
        return out

    def _xfer(self, data: bytes, args: str) -> bytes:
        off, length = (int(x, 16) for x in args.split(","))
        piece = data[off:off + length]
        return (b"l" if off + length >= len(data) else b"m") + escape(piece)

    def _resume(self, action: str) -> str:
        d = self.dbg
        if action == "s":
            return self.stop_reply(d.stepi(1))
        if action == "c":
            return self.stop_reply(self._interruptible(d.cont))
        if action == "bs":
            return self.stop_reply(d.reverse_stepi(1))
        return self.stop_reply(self._interruptible(d.reverse_cont))

    def _interruptible(self, fn) -> StopEvent:
        """Run fn; a ^C from gdb meanwhile stops the emulation (cont then reports SIGINT)."""
        done = threading.Event()
        hit = []

        def watch():
            while not done.is_set():
                try:
                    r, _, _ = select.select([self.conn], [], [], 0.1)
                    data = self.conn.recv(1, socket.MSG_PEEK) if r and not done.is_set() else None
                except (OSError, ValueError):
                    return
                if r:
                    if data == b"\x03":
                        self.conn.recv(1)
                        hit.append(1)
                        self.dbg.interrupt()
                    return

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        try:
            ev = fn()
        finally:
            done.set()
            t.join()
        if hit and ev.reason in ("step", "signal") and ev.signo in (0, 2):
            ev = StopEvent("signal", addr=self.dbg.pc, signo=2)
        return ev

    def handle(self, pkt: bytes) -> bytes | str | None:
        d = self.dbg
        if pkt == b"\x03":
            return self.stop_reply(StopEvent("signal", addr=d.pc, signo=2))
        cmd = pkt.decode("latin-1")
        if cmd.startswith("qSupported"):
            self.swbreak = "swbreak+" in cmd
            self.multiprocess = "multiprocess+" in cmd
            return ("PacketSize=47ff;qXfer:features:read+;qXfer:exec-file:read+;qXfer:auxv:read+;"
                    "qXfer:siginfo:read+;ReverseStep+;ReverseContinue+;swbreak+;QStartNoAckMode+;"
                    "vContSupported+;QCatchSyscalls+" + (";multiprocess+" if self.multiprocess else ""))
        if cmd == "QStartNoAckMode":
            self.send("OK")
            self.ack = False
            return None
        if cmd.startswith("qXfer:features:read:target.xml:"):
            return self._xfer(TARGET_XML, cmd.split(":", 4)[4])
        if cmd.startswith("qXfer:exec-file:read:"):
            return self._xfer(os.fsencode(d.proc.exe), cmd.split(":")[4])
        if cmd.startswith("qXfer:auxv:read::"):
            return self._xfer(loader.auxv_bytes(d.proc.mem, d.proc.rsp0), cmd.split(":")[4])
        if cmd.startswith("QCatchSyscalls:"):
            on, *numbers = cmd[15:].split(";")
            d.catch_syscalls = None if on == "0" else {int(n, 16) for n in numbers} if numbers else ALL_SYSCALLS
            return "OK"
        if cmd.startswith("qXfer:siginfo:read::"):
            return self._xfer(pack_siginfo(self.siginfo()), cmd.split(":")[4])
        if cmd.startswith("qXfer:"):
            return "E00"
        if pkt.startswith(b"vFile:"):
            reply = self.files.handle(pkt[6:])
            return reply if isinstance(reply, str) else reply[0].encode() + escape(reply[1])
        if cmd == "?":
            return self.stop_reply(self.last if self.last.reason != "step" else StopEvent("signal", signo=5))
        if cmd == "qAttached" or cmd.startswith("qAttached:"):
            return "0"
        if cmd == "qC":
            return f"QC{self.thread_id()}"
        if cmd == "qfThreadInfo":
            return "m" + ",".join(self.thread_id(tid) for tid in self._thread_ids())
        if cmd == "qsThreadInfo":
            return "l"
        if cmd[:2] in ("Hg", "Hc"):
            return self._select(cmd[2:])
        if cmd[:1] == "T":  # is the thread alive?
            return "OK" if int(cmd[1:].split(".")[-1], 16) in self._thread_ids() else "E01"
        if cmd.startswith("qSymbol") or cmd[:1] == "H":
            return "OK"
        if cmd == "qOffsets":
            return "Text=0;Data=0;Bss=0"
        if cmd == "g":
            return self._regs_hex()
        if cmd.startswith("G"):
            data = bytes.fromhex(cmd[1:])
            pos = 0
            for name, size in REGS:
                if pos + size <= len(data):
                    d.write_register(name, int.from_bytes(data[pos:pos + size], "little"))
                pos += size
            return "OK"
        if cmd.startswith("p"):
            n = int(cmd[1:], 16)
            if n >= len(REGS):
                return "E01"
            name, size = REGS[n]
            return (d.read_register(name) & ((1 << (8 * size)) - 1)).to_bytes(size, "little").hex()
        if cmd.startswith("P"):
            n, val = cmd[1:].split("=")
            n = int(n, 16)
            if n >= len(REGS):
                return "E01"
            d.write_register(REGS[n][0], int.from_bytes(bytes.fromhex(val), "little"))
            return "OK"
        if cmd.startswith("m"):
            addr, length = (int(x, 16) for x in cmd[1:].split(","))
            data = self._read_mem(addr, length)
            return data.hex() if data or not length else "E14"
        if cmd.startswith("M") or pkt.startswith(b"X"):
            head, _, body = pkt[1:].partition(b":")
            addr, length = (int(x, 16) for x in head.decode().split(","))
            data = bytes.fromhex(body.decode()) if cmd[0] == "M" else unescape(body)
            if length == 0:
                return "OK"
            try:
                d.write_memory(addr, data[:length])
            except GuestFault:
                return "E14"
            return "OK"
        if cmd.startswith(("Z0,", "Z1,", "z0,", "z1,")):
            addr = int(cmd.split(",")[1], 16)
            if cmd[0] == "Z":
                d.add_breakpoint(addr)
            else:
                d.remove_breakpoint(addr)
            return "OK"
        if cmd.startswith(("Z3,", "z3,")):
            # x86 debug registers cannot watch reads alone, so gdb on Linux makes `rwatch` an access
            # watchpoint and reports the hits that left the value alone; refusing Z3 gets exactly that.
            return ""
        if cmd.startswith(("Z2,", "z2,", "Z4,", "z4,")):
            _, a, n = cmd.split(",")[:3]
            addr, length, kind = int(a, 16), int(n.split(";")[0], 16), WATCH_KINDS[cmd[1]]
            if cmd[0] == "Z":
                d.add_watchpoint(addr, length, kind)
            else:
                d.remove_watchpoint(addr, length, kind)
            return "OK"
        if cmd == "vCont?":
            return "vCont;c;C;s;S"
        if cmd.startswith("vCont;"):
            action = cmd[6:].split(";")[0].split(":")[0]
            if action[:1] in ("s", "c"):  # resuming without a signal: a stopped-at fault is not delivered
                d.pending_fault = None
            return self._resume("s" if action[:1] in ("s", "S") else "c")
        if cmd[:1] in ("s", "c", "S", "C"):
            if cmd[:1] in ("s", "c"):
                d.pending_fault = None
            return self._resume(cmd[0].lower())
        if cmd in ("bs", "bc"):
            return self._resume(cmd)
        if cmd == "vKill" or cmd.startswith("vKill;"):
            self.send("OK")
            kill_now()
        if cmd == "k":
            kill_now()
        if cmd == "D" or cmd.startswith("D;"):
            self.send("OK")
            raise Detached()
        return ""  # vMustReplyEmpty and everything we do not support


def kill_now() -> None:
    """gdb's kill: the guest (this host process) dies by SIGKILL, as a killed tracee would."""
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def listen(port: int) -> socket.socket:
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    return srv


def serve(proc, port: int, dbg: Debugger | None = None) -> None:
    """Wait for gdb on port, then let it drive proc. Returns when gdb detaches (the caller then
    runs the program to its end); raises ProcessExit/ProcessKilled when the guest ends or gdb kills it."""
    srv = listen(port)
    print(f"elfemu: waiting for gdb on port {srv.getsockname()[1]}", file=sys.stderr, flush=True)
    conn, _ = srv.accept()
    srv.close()
    conn = socket.socket(fileno=proc.fds.hide(conn.detach()))  # the guest must not see or close it
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    dbg = dbg or Debugger(proc)
    stub = GdbStub(dbg, conn)
    try:
        stub.serve()
    except Detached:
        conn.close()
        dbg.detach()
    except Disconnected:  # gdb vanished without a word: the tracee dies, as with ptrace's PTRACE_O_EXITKILL
        kill_now()
