"""The guest's POSIX timers as its process knows them: which signal each one sends, and the
siginfo that signal carries (SI_TIMER, the timer id, the overrun, the sigevent's value).

The timers themselves are the host's (syscalls/handlers/timers.py creates them); Python's host
signal handler is not told the siginfo, so the signal layer asks siginfo() here for what the
kernel would have said. The registry is Process.posix_timers.
"""

from emulator.abi.constants import SI_TIMER, SIGEV_SIGNAL, SIGEV_THREAD_ID
from emulator.abi.syscall_numbers import NR
from emulator.machine.libc import host


def siginfo(p, signo: int) -> dict | None:
    """The SI_TIMER siginfo for a host `signo` that one of the guest's timers sends, else None."""
    for timer, (notify, tsig, value) in p.posix_timers.items():
        if tsig == signo and notify in (SIGEV_SIGNAL, SIGEV_THREAD_ID):
            try:
                overrun = host(NR["timer_getoverrun"], timer)
            except OSError:
                overrun = 0
            return {"si_code": SI_TIMER, "si_timerid": timer, "si_overrun": overrun, "si_value": value}
    return None
