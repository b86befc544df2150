"""Process = CPU + AddressSpace + FdTable + brk + signal state, and the run loop.

Everything a guest process has is declared in Process.__init__, one commented line per field:
the syscall handlers read and write these fields, and never attach state of their own.

The run loop calls Unicorn with no per-instruction hooks: only the syscall hook and fault
hooks that cost nothing until they fire. A syscall handler may unwind the loop with
ProcessExit (exit), ImageReplaced (execve committed a new image) or ProcessKilled.
"""

import os
import signal

from emulator.abi.constants import (
    BUS_ADRERR,
    FPE_INTDIV,
    ILL_ILLOPN,
    PR_SET_NAME,
    SEGV_ACCERR,
    SEGV_MAPERR,
    SI_KERNEL,
)
from emulator.abi.syscall_numbers import NR
from emulator.errors import GuestFault, ImageReplaced
from emulator.image import exec as exec_
from emulator.machine.faultaddr import fault_address
from emulator.machine.libc import host
from emulator.machine.tlb import TlbSizer
from emulator.machine.unicorn_ffi import UC_HOOK_INTR, UcError
from emulator.machine.unicorn_ffi import unicorn_const as UC
from emulator.task import limits, signals, textbusy
from emulator.task.fdtable import FdTable
from emulator.task.hostsignals import HostSignals
from emulator.task.settings import GuestSettings

MEMORY_ERRORS = {UC.UC_ERR_READ_UNMAPPED, UC.UC_ERR_WRITE_UNMAPPED, UC.UC_ERR_FETCH_UNMAPPED, UC.UC_ERR_READ_PROT,
                 UC.UC_ERR_WRITE_PROT, UC.UC_ERR_FETCH_PROT}
UNTIL_NEVER = 0xFFFF_FFFF_FFFF_FFFF


class Fault:
    """What the CPU tripped over, as siginfo will describe it. write: a store (the page-fault error
    code's W bit in the signal frame); pc: the RIP an interrupt hook saw, None when RIP tells."""

    def __init__(self, signo: int, code: int, addr: int, write: bool = False, pc: int | None = None):
        self.signo, self.code, self.addr, self.write, self.pc = signo, code, addr, write, pc

    def siginfo(self) -> dict:
        return {"si_signo": self.signo, "si_code": self.code, "si_addr": self.addr}


class Process:
    """One guest process (one host process)."""

    def __init__(self, on_syscall, tracer=None, report_unimplemented: bool = True, settings=None):
        self.group = None  # the ThreadGroup, once the process has a second thread (emulator/task/threads.py)
        self.tid = 0  # this thread's id (a host tid); 0 in the leader, whose tid is the pid
        self.ident = None  # the host thread running this task, for signalling it (set by threads.py)
        # The kernel's entry, syscalls.dispatch.on_syscall: injected because task sits below syscalls.
        self.on_syscall = on_syscall
        self.tracer = tracer  # the strace-format tracer (emulator/trace), or None
        self.report_unimplemented = report_unimplemented  # say once per call that has no handler
        self.settings = settings or GuestSettings()  # rootfs, clock rate and start, API hooks (task/settings.py)
        self.syscall_interposer = None  # the debugger's syscall record/replay hook (emulator/debug/debugger.py)
        # ----- the image execve committed (commit) --------------------------------------------
        self.uc = self.cpu = self.mem = None  # Unicorn, its registers, the AddressSpace (machine/)
        self.image = None  # the main program's loader.Image: its load bias and segments
        self.exe = ""  # the ELF file's absolute path: /proc/self/exe
        self.argv: list[bytes] = []  # the argv execve was given (after #! rewriting)
        self.rsp0 = 0  # the initial stack pointer: argc, then argv, envp and the auxv (/proc/self/auxv)
        self.brk_start = self.brk_cur = 0  # the heap: where brk started, where it is now
        self.tlb = TlbSizer(self)  # grows this image's Unicorn TLB with its memory (machine/tlb.py)
        self.comm: bytes | None = None  # prctl(PR_SET_NAME)'s name; None: the program's
        # ----- running ------------------------------------------------------------------------
        self.pc = 0  # where emulation resumes
        self.fault: Fault | None = None  # what the CPU tripped over in this run of emu_start
        self.stop_requested = False  # set by whoever calls emu_stop from outside the CPU thread
        self.pending_signals = False  # a guest signal is deliverable: dispatch delivers it after the call
        # ----- kernel state the handlers keep -------------------------------------------------
        self.fds = FdTable()  # guest fd -> host fd, plus the fds elfemu hides from the guest
        self.clear_child_tid = 0  # set_tid_address / CLONE_CHILD_CLEARTID: cleared and woken at exit
        self.robust_list = 0  # set_robust_list's head
        self.posix_timers: dict[int, tuple[int, int, int]] = {}  # timer id -> (notify, signo, sigev value)
        self.rlimits = limits.address_space_limits()  # RLIMIT_STACK/DATA/RSS/MEMLOCK/AS: (soft, hard)
        self.persona = 0  # personality(2)'s persona (PER_LINUX)
        self.rseq: tuple[int, int, int] | None = None  # rseq(2)'s registration: (area, length, signature)
        self.vfork_fd = -1  # in a vfork child: the hidden pipe its parent waits on (vforkmem.py)
        self.text_fd = -1  # the running executable, open and locked so that writers get ETXTBSY (textbusy.py)
        self.sig = signals.SignalState(self)  # the guest's signals: actions, mask, pending, altstack
        self.host_signals = HostSignals(self)  # how host signals reach them, and interrupt host calls

    # ----- images -------------------------------------------------------------
    def load(self, path: str, argv: list[bytes], envp: list[bytes]) -> None:
        """Build and commit the first image; ExecError when it cannot be (exec.build)."""
        self.commit(self.build(path, argv, envp), path)

    def build(self, path: str, argv: list[bytes], envp: list[bytes]) -> "exec_.NewImage":
        """A new image for this process, not yet committed (the stack as its RLIMIT_STACK allows)."""
        return exec_.build(path, argv, envp, self.rlimits[limits.RLIMIT_STACK][0])

    def commit(self, img: "exec_.NewImage", path: str = "") -> None:
        """Make img the running image. `path` is the name execve was given: Linux names the task
        after its last component (/bin/sh -> "sh" even when it links to dash; "exe" for
        /proc/self/exe), not after the file it found."""
        self.uc, self.cpu, self.mem = img.uc, img.cpu, img.mem
        self.exe, self.argv = img.exe, img.argv
        self._hold_text(img.exe)
        self.name_task(os.path.basename(os.fsencode(path))[:15] or None)
        self.brk_start = self.brk_cur = img.brk
        self.image = img.image
        self.rsp0 = img.rsp
        self.tlb = TlbSizer(self)  # a new Unicorn starts with its TLB at the first size
        self.rseq = None  # the registration named the old image's memory (Linux's rseq_execve)
        self.mem.watch_growth(self.tlb.outgrown)
        self._install_hooks()
        self.cpu.reset_fpu()
        self.cpu["rsp"] = img.rsp
        self.pc = img.entry

    def _hold_text(self, exe: str) -> None:
        """The new program's write denial replaces the old one's (textbusy.py)."""
        if self.text_fd >= 0:
            self.fds.hidden.discard(self.text_fd)
            os.close(self.text_fd)
        fd = textbusy.hold(exe)
        self.text_fd = self.fds.hide(fd) if fd >= 0 else -1

    def name_task(self, name: bytes | None) -> None:
        """Set the task name (execve, PR_SET_NAME). The host task takes it too, so that other
        processes -- ps, pidof, killall, a sibling reading /proc/PID/comm -- see the guest's name."""
        self.comm = name
        try:
            host(NR["prctl"], PR_SET_NAME, self.task_name()[:15])
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
        elif mapped and self.mem.find(addr).sigbus:  # a file page past EOF
            self.fault = Fault(signal.SIGBUS, BUS_ADRERR, addr)
        else:
            write = access in (UC.UC_MEM_WRITE_PROT, UC.UC_MEM_WRITE_UNMAPPED)
            self.fault = Fault(signal.SIGSEGV, SEGV_ACCERR if mapped else SEGV_MAPERR, addr, write)
        return False

    def _on_interrupt(self, uc, intno, _ud) -> None:
        rip = self.cpu["rip"]
        if intno == 0:
            self.fault = Fault(signal.SIGFPE, FPE_INTDIV, rip, pc=rip)
        elif intno == 3:
            self.fault = Fault(signal.SIGTRAP, SI_KERNEL, 0, pc=rip)
        elif intno == 6:
            self.fault = Fault(signal.SIGILL, ILL_ILLOPN, rip, pc=rip)
        else:
            self.fault = Fault(signal.SIGSEGV, SI_KERNEL, 0, pc=rip)
        uc.emu_stop()

    # ----- the run loop -------------------------------------------------------
    def run(self) -> None:
        """Run until the guest exits (ProcessExit) or must die (ProcessKilled)."""
        self.host_signals.start()
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
        if self.mem.find(addr) is not None:
            access = UC.UC_MEM_WRITE_PROT if write else UC.UC_MEM_READ_PROT
        else:
            access = UC.UC_MEM_WRITE_UNMAPPED if write else UC.UC_MEM_READ_UNMAPPED
        self._on_bad_access(self.uc, access, addr, 0, 0, None)

    def handle_cpu_error(self, exc: UcError) -> None:
        self.handle_fault(self.cpu_error_fault(exc))

    def cpu_error_fault(self, exc: UcError) -> Fault:
        """The fault emu_start's error stands for (unless a hook already said): a bad access
        located by faultaddr, an invalid instruction (SIGILL), else #GP (SIGSEGV, SI_KERNEL).
        The one classification, for the run loop and the debugger alike."""
        if self.fault is None and exc.errno in MEMORY_ERRORS:
            self.classify_memory_fault(exc.errno)
        if self.fault is None:
            if exc.errno == UC.UC_ERR_INSN_INVALID:
                self.fault = Fault(signal.SIGILL, ILL_ILLOPN, self.cpu["rip"])
            else:
                self.fault = Fault(signal.SIGSEGV, SI_KERNEL, 0)
        return self.fault

    def handle_fault(self, fault: Fault) -> None:
        """A synchronous CPU fault: the guest's handler runs, or the fault kills the process (signals.py)."""
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
