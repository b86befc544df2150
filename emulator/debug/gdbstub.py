"""GDB Remote Serial Protocol server over TCP, on the debugging engine (emulator/debug/debugger.py).

`elfemu run --gdb PORT PROG` waits for `target remote :PORT` before the first instruction.
The stub speaks the all-stop subset gdb needs for one process and one thread: registers
(gdbtarget.py's amd64-linux description with x87, SSE, orig_rax, fs_base/gs_base), memory
(writes reach read-only text, as ptrace allows), s/c/vCont, Z0/Z1 breakpoints, Z2/Z4
write/access watchpoints (rwatch as native gdb does it on x86), qXfer exec-file/auxv/features/siginfo,
vFile host I/O over the guest's own /proc view (gdbfiles.py: `info proc mappings`), multiprocess
thread ids, `catch syscall` (QCatchSyscalls), and reverse execution: bs and bc, with
`replaylog:begin` when history runs out.

Like the stepper's commands, packets are a table: the packet's name (gdb's qName/QName/vName up
to its separator, bs/bc, else its first letter) -> one method per packet family. Framing and
acknowledgements are gdbwire.py's.
"""

import os
import re
import select
import signal
import socket
import sys
import threading

from emulator.abi.constants import SI_KERNEL, TRAP_HWBKPT, TRAP_TRACE
from emulator.debug.debugger import ALL_SYSCALLS, Debugger, StopEvent
from emulator.debug.gdbfiles import HostIO
from emulator.debug.gdbtarget import GDB_SIGNAL, REGS, TARGET_XML, register_bytes
from emulator.debug.gdbwire import Disconnected, Wire, escape, listen, unescape
from emulator.errors import GuestFault, ProcessExit, ProcessKilled
from emulator.image import loader
from emulator.task.sigframe import pack_siginfo

WATCH_KINDS = {"2": "write", "4": "access"}  # Z2/Z4
WATCH_STOP = {"write": "watch", "read": "rwatch", "access": "awatch"}
SUPPORTED = ("PacketSize=47ff;qXfer:features:read+;qXfer:exec-file:read+;qXfer:auxv:read+;qXfer:siginfo:read+;"
             "ReverseStep+;ReverseContinue+;swbreak+;QStartNoAckMode+;vContSupported+;QCatchSyscalls+")
NAMED = re.compile(r"[qQv][A-Za-z]*\??")  # qSupported, QCatchSyscalls, vCont?, vFile, ...


def packet_name(cmd: str) -> str:
    """The key a packet is dispatched by: its name for q/Q/v packets, bs/bc, else its letter."""
    if cmd[:1] in ("q", "Q", "v"):
        return NAMED.match(cmd).group()
    return cmd if cmd in ("bs", "bc") else cmd[:1]


def answer(text: str):
    """A packet whose reply is always the same."""
    return lambda _cmd: text


def xfer(data: bytes, window: str) -> bytes:
    """One qXfer read: OFFSET,LENGTH of data, 'l' when it reaches the end, else 'm'."""
    off, length = (int(x, 16) for x in window.split(","))
    return (b"l" if off + length >= len(data) else b"m") + escape(data[off:off + length])


class Detached(Exception):
    """gdb sent D: the program runs on without the debugger."""


class GdbStub:
    """One gdb connection driving one Debugger."""

    def __init__(self, dbg: Debugger, conn: socket.socket):
        self.dbg = dbg
        self.wire = Wire(conn)
        self.tid = os.getpid()  # the leader's id: the host process's pid (one guest process per host one)
        self.selected = 0  # the thread gdb reads registers of (Hg); 0: the leader, which all stops report
        self.swbreak = False  # gdb accepts `swbreak` in stop replies
        self.multiprocess = False  # gdb speaks the multiprocess extensions (p<pid>.<tid> thread ids)
        self.files = HostIO(dbg.proc)  # vFile's open files
        self.last: StopEvent = StopEvent("signal", signo=5, addr=dbg.pc)  # what `?` and $_siginfo describe
        dbg.on_fork_child = self.wire.close
        ok = answer("OK")
        self.packets = {
            "qSupported": self.q_supported, "QStartNoAckMode": self.q_start_no_ack, "qXfer": self.q_xfer,
            "QCatchSyscalls": self.q_catch_syscalls, "vFile": self.v_file, "?": self.halt_reason,
            "qAttached": answer("0"), "qC": lambda _: f"QC{self.thread_id()}",
            "qfThreadInfo": lambda _: "m" + ",".join(self.thread_id(tid) for tid in self._thread_ids()),
            "qsThreadInfo": answer("l"), "qSymbol": ok, "H": self.set_thread, "T": self.thread_alive, "qOffsets": answer("Text=0;Data=0;Bss=0"),
            "g": self.read_registers, "G": self.write_registers, "p": self.read_register, "P": self.write_register,
            "m": self.read_memory, "M": self.write_memory, "X": self.write_memory, "Z": self.point, "z": self.point,
            "vCont?": answer("vCont;c;C;s;S"), "vCont": self.v_cont,
            "s": self.resume, "c": self.resume, "S": self.resume, "C": self.resume, "bs": self.reverse, "bc": self.reverse,
            "vKill": self.v_kill, "k": self.kill, "D": self.detach,
        }

    # ----- the session -------------------------------------------------------------
    def serve(self) -> None:
        """Answer packets until gdb detaches (Detached), kills, or the guest ends (exceptions)."""
        while True:
            pkt = self.wire.read_packet()
            reply = self.handle(pkt)
            if reply is not None:
                self.wire.send(reply)
            if self.dbg.exited is not None and pkt[:1] in (b"c", b"s", b"v", b"b", b"C", b"S"):
                self._finish()

    def _finish(self) -> None:
        ev = self.dbg.exited
        self.wire.close()
        if ev.reason == "exited":
            raise ProcessExit(ev.exit_status)
        raise ProcessKilled(ev.signo)

    def handle(self, pkt: bytes) -> bytes | str | None:
        """One packet's reply (None: already sent). Unknown packets get the empty reply, as
        the protocol asks (vMustReplyEmpty and everything elfemu does not support)."""
        if pkt == b"\x03":
            return self.stop_reply(StopEvent("signal", addr=self.dbg.pc, signo=2))
        cmd = pkt.decode("latin-1")  # latin-1 keeps binary payloads (X, vFile) byte for byte
        fn = self.packets.get(packet_name(cmd))
        return fn(cmd) if fn is not None else ""

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
            pending = self.dbg.proc.sig.pending.get(ev.signo)
            return dict(pending or {"si_signo": ev.signo, "si_code": SI_KERNEL})
        return {"si_signo": 5, "si_code": TRAP_TRACE, "si_addr": self.dbg.pc}

    # ----- queries and settings ------------------------------------------------------
    def q_supported(self, cmd: str) -> str:
        self.swbreak = "swbreak+" in cmd
        self.multiprocess = "multiprocess+" in cmd
        return SUPPORTED + (";multiprocess+" if self.multiprocess else "")

    def q_start_no_ack(self, cmd: str) -> None:
        self.wire.send("OK")  # still acknowledged: the last packet that is
        self.wire.ack = False

    def q_xfer(self, cmd: str) -> bytes | str:
        """qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH for the objects qSupported announced."""
        parts = cmd.split(":", 4)
        if len(parts) < 5 or parts[2] != "read":
            return "E00"
        _, obj, _, annex, window = parts
        proc = self.dbg.proc
        if obj == "features" and annex == "target.xml":
            return xfer(TARGET_XML, window)
        if obj == "exec-file":
            return xfer(os.fsencode(proc.exe), window)
        if obj == "auxv" and not annex:
            return xfer(loader.auxv_bytes(proc.mem, proc.rsp0), window)
        if obj == "siginfo" and not annex:
            return xfer(pack_siginfo(self.siginfo()), window)
        return "E00"

    def q_catch_syscalls(self, cmd: str) -> str:
        on, *numbers = cmd[len("QCatchSyscalls:"):].split(";")
        self.dbg.catch_syscalls = None if on == "0" else {int(n, 16) for n in numbers} if numbers else ALL_SYSCALLS
        return "OK"

    def v_file(self, cmd: str) -> bytes | str:
        reply = self.files.handle(cmd[len("vFile:"):].encode("latin-1"))
        return reply if isinstance(reply, str) else reply[0].encode() + escape(reply[1])

    def halt_reason(self, cmd: str) -> str:
        return self.stop_reply(self.last if self.last.reason != "step" else StopEvent("signal", signo=5))

    # ----- registers and memory --------------------------------------------------------
    def set_thread(self, cmd: str) -> str:
        """Hg/Hc select the thread later packets mean; other H packets need no answer but OK."""
        return self._select(cmd[2:]) if cmd[:2] in ("Hg", "Hc") else "OK"

    def thread_alive(self, cmd: str) -> str:
        return "OK" if int(cmd[1:].split(".")[-1], 16) in self._thread_ids() else "E01"

    def read_registers(self, cmd: str) -> str:
        d, task = self.dbg, self._selected_task()
        return "".join(register_bytes(d.thread_register(task, name), size).hex() for name, size in REGS)

    def write_registers(self, cmd: str) -> str:
        data = bytes.fromhex(cmd[1:])
        pos = 0
        for name, size in REGS:
            if pos + size <= len(data):
                self.dbg.write_register(name, int.from_bytes(data[pos:pos + size], "little"))
            pos += size
        return "OK"

    def read_register(self, cmd: str) -> str:
        n = int(cmd[1:], 16)
        if n >= len(REGS):
            return "E01"
        name, size = REGS[n]
        return register_bytes(self.dbg.thread_register(self._selected_task(), name), size).hex()

    def write_register(self, cmd: str) -> str:
        n, val = cmd[1:].split("=")
        n = int(n, 16)
        if n >= len(REGS):
            return "E01"
        self.dbg.write_register(REGS[n][0], int.from_bytes(bytes.fromhex(val), "little"))
        return "OK"

    def read_memory(self, cmd: str) -> str:
        """m ADDR,LENGTH: as much as is readable from ADDR on (an error only when nothing is)."""
        addr, length = (int(x, 16) for x in cmd[1:].split(","))
        out = b""
        want = length
        while want > 0:
            chunk = min(want, 0x1000 - (addr & 0xFFF))
            try:
                out += self.dbg.read_memory(addr, chunk)
            except GuestFault:
                break
            addr, want = addr + chunk, want - chunk
        return out.hex() if out or not length else "E14"

    def write_memory(self, cmd: str) -> str:
        """M ADDR,LENGTH:HEX and X ADDR,LENGTH:BINARY (escaped)."""
        head, _, body = cmd[1:].encode("latin-1").partition(b":")
        addr, length = (int(x, 16) for x in head.decode().split(","))
        data = bytes.fromhex(body.decode()) if cmd[0] == "M" else unescape(body)
        if length == 0:
            return "OK"
        try:
            self.dbg.write_memory(addr, data[:length])
        except GuestFault:
            return "E14"
        return "OK"

    def point(self, cmd: str) -> str:
        """Z/z TYPE,ADDR,KIND: insert/remove breakpoints (0, 1) and write/access watchpoints (2, 4).
        x86 debug registers cannot watch reads alone, so gdb on Linux makes `rwatch` an access
        watchpoint and reports the hits that left the value alone; refusing Z3 gets exactly that."""
        d, insert, kind = self.dbg, cmd[0] == "Z", cmd[1:2]
        if kind in ("0", "1") and cmd[2:3] == ",":
            addr = int(cmd.split(",")[1], 16)
            if insert:
                d.add_breakpoint(addr)
            else:
                d.remove_breakpoint(addr)
            return "OK"
        if kind in WATCH_KINDS and cmd[2:3] == ",":
            _, a, n = cmd.split(",")[:3]
            addr, length = int(a, 16), int(n.split(";")[0], 16)
            if insert:
                d.add_watchpoint(addr, length, WATCH_KINDS[kind])
            else:
                d.remove_watchpoint(addr, length, WATCH_KINDS[kind])
            return "OK"
        return ""

    # ----- running -------------------------------------------------------------------
    def v_cont(self, cmd: str) -> str:
        """vCont;ACTION[:thread]...: the first action for the one thread."""
        return self.resume(cmd[len("vCont;"):].split(";")[0].split(":")[0])

    def resume(self, cmd: str) -> str:
        """s/c (and S/C with a signal): resuming without a signal leaves a stopped-at fault undelivered."""
        d = self.dbg
        if cmd[:1] in ("s", "c"):
            d.pending_fault = None
        if cmd[:1] in ("s", "S"):
            return self.stop_reply(d.stepi(1))
        return self.stop_reply(self._interruptible(d.cont))

    def reverse(self, cmd: str) -> str:
        """bs/bc: reverse-stepi and reverse-continue."""
        d = self.dbg
        return self.stop_reply(d.reverse_stepi(1) if cmd == "bs" else self._interruptible(d.reverse_cont))

    def _interruptible(self, fn) -> StopEvent:
        """Run fn; a ^C from gdb meanwhile stops the emulation (cont then reports SIGINT)."""
        done = threading.Event()
        hit = []

        def watch():
            while not done.is_set():
                try:
                    r, _, _ = select.select([self.wire.conn], [], [], 0.1)
                    data = self.wire.conn.recv(1, socket.MSG_PEEK) if r and not done.is_set() else None
                except (OSError, ValueError):
                    return
                if r:
                    if data == b"\x03":
                        self.wire.conn.recv(1)
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

    # ----- leaving ------------------------------------------------------------------------
    def v_kill(self, cmd: str) -> None:
        self.wire.send("OK")
        kill_now()

    def kill(self, cmd: str) -> None:
        kill_now()

    def detach(self, cmd: str) -> None:
        self.wire.send("OK")
        raise Detached()


def kill_now() -> None:
    """gdb's kill: the guest (this host process) dies by SIGKILL, as a killed tracee would."""
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


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
