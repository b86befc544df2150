"""The baton: only the guest thread that holds it runs guest code or a syscall handler.

Why one at a time: the pinned Unicorn 2.1.4 translates without CF_PARALLEL, so a `lock`-prefixed
instruction, xchg or cmpxchg is atomic only against code of the same instance. Two instances
running at once on shared pages would lose updates (QEMU's user mode sets CF_PARALLEL as soon as
a second thread exists for exactly this: linux-user/syscall.c, do_fork). Handing the baton over
makes every guest instruction atomic with respect to the other threads, and makes all of
elfemu's Python state (memory map, fd table, signal state) single-writer.

The baton is handed over in FIFO order, so a thread that yields goes behind the ones waiting
(a plain Lock lets the releasing thread take it straight back). Waiting is not interruptible:
a host signal handler that raises in the main thread while it waits (signals.Interrupted) is
kept and raised once the baton is held, so no thread ever runs without it.
"""

import collections
import threading


class Baton:
    def __init__(self):
        self._lock = threading.Lock()  # guards the two fields below (held for a few bytecodes)
        self._holder = None  # ident of the host thread holding the baton, None when free
        self._queue: collections.deque = collections.deque()  # (ident, Lock) of threads waiting, oldest first
        self.handovers = 0  # how many times the baton changed hands (docs/ARCHITECTURE.md, Threads, measures it)

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def held(self) -> bool:
        return self._holder == threading.get_ident()

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._lock:
            if self._holder is None and not self._queue:
                self._holder = me
                self.handovers += 1
                return
            gate = threading.Lock()
            gate.acquire()
            self._queue.append((me, gate))
        pending = None
        while True:
            try:
                gate.acquire()  # released by the thread that hands the baton to us
                break
            except BaseException as exc:  # a host signal handler raised (main thread only)
                pending = exc
        if pending is not None:
            raise pending

    def release(self) -> None:
        with self._lock:
            if self._queue:
                ident, gate = self._queue.popleft()
                self._holder = ident
                self.handovers += 1
                gate.release()
            else:
                self._holder = None

    def yield_(self) -> None:
        """Let the threads already waiting run first, then carry on."""
        if self._queue:
            self.release()
            self.acquire()

    def reset(self) -> None:
        """After a host fork: the child has only the calling thread, which holds the baton."""
        self._lock = threading.Lock()
        self._queue.clear()
        self._holder = threading.get_ident()
