"""`elfemu inspect PROGRAM`: what the loader will do with a file, before anything runs.

The lecture reads the 178-byte hello world with `readelf -h -l`; this prints the same facts
from elfemu's own LoadPlan, so a student sees exactly what execve is about to map.
"""

import os
import sys

from emulator.errors import ExecError
from emulator.image import loader

PERMS = {1: "R", 2: "W", 4: "E"}


def describe(path: str) -> str:
    with open(path, "rb") as f:
        data = f.read()
    plan = loader.plan(path, data)
    kind = "DYN (position-independent)" if plan.is_dyn else "EXEC (fixed address)"
    lines = [
        f"file:        {path} ({len(data)} bytes)",
        f"type:        {kind}",
        f"entry:       {plan.entry:#x}",
        f"phdrs:       {plan.phnum} x {plan.phentsize} bytes at file offset {plan.phoff}",
        f"interpreter: {plan.interp or '(none: static)'}",
        f"stack:       {'executable' if plan.exec_stack else 'non-executable'} (PT_GNU_STACK)",
        "",
        "LOAD segments (file bytes, then zeros up to memsz):",
        f"  {'vaddr':>18} {'memsz':>10} {'offset':>10} {'filesz':>10} perms",
    ]
    for s in plan.segments:
        perms = "".join(PERMS[b] if s.prot & b else " " for b in (1, 2, 4))
        lines.append(f"  {s.vaddr:#18x} {s.memsz:#10x} {s.offset:#10x} {s.filesz:#10x} {perms}")
    if plan.defect is not None:  # found only while mapping: past execve's point of no return
        lines.append(f"\nexecve would kill the process (SIGSEGV): {plan.defect}")
    return "\n".join(lines)


def main(path: str) -> int:
    try:
        print(describe(path))
    except FileNotFoundError:
        print(f"elfemu: {path}: {os.strerror(2)}", file=sys.stderr)
        return 127
    except (ExecError, OSError) as exc:
        why = exc.why if isinstance(exc, ExecError) else exc.strerror
        print(f"elfemu: {path}: {why}", file=sys.stderr)
        return 126
    return 0
