"""strace-format printer, driven by the syscall table's argument types (minimal first cut)."""

import os
import signal
import sys

from syscalls.types import TraceContext


class Options:
    strsize = 32
    show_paths = False
    output = None


def parse_options(argv):
    opts = Options()
    return opts, argv[0], argv[1:]


class Tracer:
    def __init__(self, opts):
        self.opts = opts
        self.out = sys.stderr

    def start(self, proc, path, argv, envp):
        from syscalls.types import quote
        args = ", ".join(quote(a) for a in argv)
        self.line(f"execve({quote(path.encode())}, [{args}], {proc.rsp0:#x} /* {len(envp)} vars */)", 0)

    def line(self, text, ret):
        self.out.write(f"{text:<39} = {ret}\n")

    def enter(self, proc, call):
        t = TraceContext(proc, call.args, None, self.opts)
        call.pc = [a.format(t, r) for a, r in zip(call.spec.args, call.args) if not a.out]

    def exit(self, proc, call):
        t = TraceContext(proc, call.args, call.ret, self.opts)
        it = iter(call.pc)
        parts = [a.format(t, r) if a.out else next(it) for a, r in zip(call.spec.args, call.args)]
        ret = call.spec.ret.format(t, call.ret)
        if call.ret < 0:
            import errno
            ret = f"-1 {errno.errorcode.get(-call.ret, -call.ret)} ({os.strerror(-call.ret)})"
        self.line(f"{call.spec.name}({', '.join(parts)})", ret)

    def unwind(self, proc, call, exc):
        parts = list(call.pc)
        self.line(f"{call.spec.name}({', '.join(parts)})", "?")

    def exited(self, proc, status):
        self.out.write(f"+++ exited with {status} +++\n")

    def killed(self, proc, signo, info):
        self.out.write(f"+++ killed by {signal.Signals(signo).name} +++\n")
