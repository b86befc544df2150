"""Process = CPU + AddressSpace + FdTable + brk + signal state, and the run loop.

The run loop calls Unicorn with no per-instruction hooks: only the syscall hook and fault
hooks that cost nothing until they fire. A syscall handler may unwind the loop with
ProcessExit (exit), ImageReplaced (execve committed a new image) or ProcessKilled.
"""

import os
import signal

from emulator.errors import GuestFault, ImageReplaced
from emulator.image import exec as exec_
from emulator.machine.faultaddr import fault_address
from emulator.machine.libc import host
from emulator.machine.tlb import TlbSizer
from emulator.machine.unicorn_ffi import UC_HOOK_INTR, UcError
from emulator.machine.unicorn_ffi import unicorn_const as UC
from emulator.task import signals
from emulator.task.fdtable import FdTable

SEGV_MAPERR, SEGV_ACCERR, ILL_ILLOPN, FPE_INTDIV, SI_KERNEL, TRAP_BRKPT = 1, 2, 2, 1, 0x80, 1
BUS_ADRERR = 2
SYS_PRCTL, PR_SET_NAME = 157, 15
MEMORY_ERRORS = {UC.UC_ERR_READ_UNMAPPED, UC.UC_ERR_WRITE_UNMAPPED, UC.UC_ERR_FETCH_UNMAPPED, UC.UC_ERR_READ_PROT,
                 UC.UC_ERR_WRITE_PROT, UC.UC_ERR_FETCH_PROT}
UNTIL_NEVER = 0xFFFF_FFFF_FFFF_FFFF


class Fault:
    """What the CPU tripped over, as siginfo will describe it."""

    def __init__(self, signo: int, code: int, addr: int):
        self.signo, self.code, self.addr = signo, code, addr

    def siginfo(self) -> dict:
        return {"si_signo": self.signo, "si_code": self.code, "si_addr": self.addr}


class Process:
    """One guest process (one host process)."""

    def __init__(self, on_syscall, tracer=None, report_unimplemented: bool = True):
        self.group = None  # the ThreadGroup, once the process has a second thread (emulator/task/threads.py)
        self.tid = 0  # this thread's id (a host tid); 0 in the leader, whose tid is the pid
        self.ident = None  # the host thread running this task, for signalling it (set by threads.py)
        self.on_syscall = on_syscall  # the kernel's entry: syscalls.dispatch.on_syscall (task sits below syscalls)
        self.tracer = tracer
        self.report_unimplemented = report_unimplemented
        self.fds = FdTable()
        self.pending_signals = False
        self.fault: Fault | None = None
        self.clear_child_tid = 0
        self.robust_list = 0
        self.cpu = self.mem = self.uc = None
        self.exe = ""
        self.posix_timers: dict[int, tuple[int, int, int]] = {}  # timer id -> (notify, signo, sigev value)
        self.comm: bytes | None = None  # prctl(PR_SET_NAME)'s name; None: the program's
        self.argv: list[bytes] = []
        self.brk_start = self.brk_cur = 0
        self.pc = 0  # where emulation resumes
        self.stop_requested = False  # set by whoever calls emu_stop from outside the CPU thread
        self.syscall_interposer = None  # the debugger's syscall record/replay hook (emulator/debug/debugger.py)
        self.sig = signals.SignalState(self)

    # ----- images -------------------------------------------------------------
    def load(self, path: str, argv: list[bytes], envp: list[bytes]) -> None:
        """Build and commit an image (the initial load and a successful execve)."""
        self.commit(exec_.build(path, argv, envp), path)

    def commit(self, img: "exec_.NewImage", path: str = "") -> None:
        """Make img the running image. `path` is the name execve was given: Linux names the task
        after its last component (/bin/sh -> "sh" even when it links to dash; "exe" for
        /proc/self/exe), not after the file it found."""
        self.uc, self.cpu, self.mem = img.uc, img.cpu, img.mem
        self.exe, self.argv = img.exe, img.argv
        self.name_task(os.path.basename(os.fsencode(path))[:15] or None)
        self.brk_start = self.brk_cur = img.brk
        self.image = img.image
        self.rsp0 = img.rsp
        self.tlb = TlbSizer(self)
        self.mem.watch_growth(self.tlb.outgrown)
        self._install_hooks()
        self.cpu.reset_fpu()
        self.cpu["rsp"] = img.rsp
        self.pc = img.entry

    def name_task(self, name: bytes | None) -> None:
        """Set the task name (execve, PR_SET_NAME). The host task takes it too, so that other
        processes -- ps, pidof, killall, a sibling reading /proc/PID/comm -- see the guest's name."""
        self.comm = name
        try:
            host(SYS_PRCTL, PR_SET_NAME, self.task_name()[:15])
        except OSError:
            pass

    def task_name(self) -> bytes:
        """What prctl(PR_SET_NAME) set, else the program's name, as execve sets it."""
        return self.comm or os.path.basename(os.fsencode(self.exe))[:15]

    def _install_hooks(self) -> None:
        uc = self.uc
        self.cpu.on_syscall(self.on_syscall, self)
        # No memory hook here: in Unicorn 2.1.4 even a UC_HOOK_MEM_INVALID hook slows every
        # load and store (a memory-bound sieve ran 2.3x slower). Faults are classified by
        # decoding the faulting instruction instead (classify_memory_fault, faultaddr.py).
        uc.hook_add(UC_HOOK_INTR, self._on_interrupt)

    # ----- faults: hooks that cost nothing until they fire ---------------------
    def _on_bad_access(self, uc, access, addr, size, value, _ud) -> bool:
        mapped = access in (UC.UC_MEM_READ_PROT, UC.UC_MEM_WRITE_PROT, UC.UC_MEM_FETCH_PROT)
        if 0x0000_8000_0000_0000 <= addr < 0xFFFF_8000_0000_0000:  # non-canonical: #GP, not a page fault
            self.fault = Fault(signal.SIGSEGV, SI_KERNEL, 0)
        elif mapped and getattr(self.mem.find(addr), "sigbus", False):  # a file page past EOF
            self.fault = Fault(signal.SIGBUS, BUS_ADRERR, addr)
        else:
            self.fault = Fault(signal.SIGSEGV, SEGV_ACCERR if mapped else SEGV_MAPERR, addr)
        return False

    def _on_interrupt(self, uc, intno, _ud) -> None:
        rip = self.cpu["rip"]
        if intno == 0:
            self.fault = Fault(signal.SIGFPE, FPE_INTDIV, rip)
        elif intno == 3:
            self.fault = Fault(signal.SIGTRAP, SI_KERNEL, 0)
        elif intno == 6:
            self.fault = Fault(signal.SIGILL, ILL_ILLOPN, rip)
        else:
            self.fault = Fault(signal.SIGSEGV, SI_KERNEL, 0)
        self.fault_pc = rip
        uc.emu_stop()

    # ----- the run loop -------------------------------------------------------
    def run(self) -> None:
        """Run until the guest exits (ProcessExit) or must die (ProcessKilled)."""
        self.sig.start()
        while True:
            self.fault = None
            if self.group is not None:
                self.group.before_run(self)
            uc = self.uc
            try:
                uc.emu_start(self.pc, UNTIL_NEVER)
            except ImageReplaced:
                exec_.retire(uc)  # free the replaced image now, not at some later GC
                continue
            except UcError as exc:
                self.handle_cpu_error(exc)
                continue
            if self.fault is not None:
                self.handle_fault(self.fault)
                continue
            self.pc = self.cpu["rip"]
            if self.tlb.due:  # a syscall mapped more memory than the TLB reaches (tlb.py)
                self.tlb.grow()
            elif not self.stop_requested and self._halted():
                continue
            self.stop_requested = False
            if self.group is not None and self.group.hand_over(self, in_hook=False):
                continue  # a time slice ended (threads.py); another thread's execve replaced the image
            self.after_stop()

    def _halted(self) -> bool:
        """Unicorn ends emu_start quietly after `hlt`; in user mode Linux raises #GP for it
        (SIGSEGV, SI_KERNEL). Only a stop nobody asked for can be that."""
        rip = self.cpu["rip"]
        try:
            if self.mem.read(rip - 1, 1) != b"\xf4":
                return False
        except GuestFault:
            return False
        self.cpu["rip"] = rip - 1
        self.handle_fault(Fault(signal.SIGSEGV, SI_KERNEL, 0))
        return True

    def classify_memory_fault(self, err: int) -> None:
        """Unicorn stopped on a bad access at RIP without saying where: work it out (faultaddr)."""
        write = err in (UC.UC_ERR_WRITE_UNMAPPED, UC.UC_ERR_WRITE_PROT)
        fetch = err in (UC.UC_ERR_FETCH_UNMAPPED, UC.UC_ERR_FETCH_PROT)
        addr = fault_address(self.uc, self.mem, self.cpu["rip"], write, fetch)
        access = UC.UC_MEM_READ_PROT if self.mem.find(addr) is not None else UC.UC_MEM_READ_UNMAPPED
        self._on_bad_access(self.uc, access, addr, 0, 0, None)

    def handle_cpu_error(self, exc: UcError) -> None:
        if self.fault is None and exc.errno in MEMORY_ERRORS:
            self.classify_memory_fault(exc.errno)
        if self.fault is None:
            if exc.errno == UC.UC_ERR_INSN_INVALID:
                self.fault = Fault(signal.SIGILL, ILL_ILLOPN, self.cpu["rip"])
            else:
                self.fault = Fault(signal.SIGSEGV, SI_KERNEL, 0)
        self.handle_fault(self.fault)

    def handle_fault(self, fault: Fault) -> None:
        """A synchronous CPU fault. Without a guest handler (signals issue) it kills the process."""
        self.pc = self.cpu["rip"]
        self.deliver_fault(fault)

    def deliver_fault(self, fault: Fault) -> None:
        self.sig.deliver_fault(fault)

    def after_stop(self) -> None:
        """emu_start returned without a fault: an async stop (signals) or a jump to the end."""
        self.sig.after_stop()

    def after_syscall(self) -> None:
        """Pending signals are delivered here, on the way out of a syscall; a thread's time slice may end here."""
        if self.group is not None:
            self.group.at_syscall_exit(self)
        self.sig.after_syscall()

    # ----- contact points between the process-lifecycle and signal code ---------
    def after_fork_child(self) -> None:
        """In a forked child: restart per-process machinery (e.g. a signal-watching thread)."""
        if self.group is not None:  # only the calling thread goes on in the child
            self.group.after_fork(self)
        self.sig.after_fork_child()

    def on_exec(self) -> None:
        """After a successful execve commit: reset handled signals to default, as Linux does."""
        self.sig.on_exec()

    # ----- blocking host calls a guest signal must interrupt (see signals.SignalState) ----
    def call_blocking(self, fn, *args):
        """Run a blocking host C call (os.read, os.wait4, ...); a guest signal ends it with EINTR
        or restarts it under SA_RESTART, and a result that did arrive is never lost."""
        return self.sig.call_blocking(fn, *args)

    def wait_interruptible(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True as soon as a guest signal is deliverable (clock.sleep_until)."""
        return self.sig.wait(self.sig.deliverable, seconds)
