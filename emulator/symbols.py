"""ELF symbol table lookups for the stepper and the gdb stub: name -> address, address -> name+off.

Only the executable's own .symtab (static binaries keep theirs unless stripped); a PIE's
symbols are moved by its load bias. Functions and objects only, as gdb's `info symbol` shows.
"""

import bisect

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile


class Symbols:
    """The symbols of one ELF file, loaded at `bias`."""

    def __init__(self, path: str, bias: int = 0):
        self.by_name: dict[str, int] = {}
        entries: list[tuple[int, int, str]] = []
        try:
            with open(path, "rb") as f:
                elf = ELFFile(f)
                for sec in elf.iter_sections():
                    if sec["sh_type"] not in ("SHT_SYMTAB", "SHT_DYNSYM"):
                        continue
                    for sym in sec.iter_symbols():
                        kind = sym["st_info"]["type"]
                        if kind not in ("STT_FUNC", "STT_OBJECT", "STT_GNU_IFUNC") or not sym.name or not sym["st_value"]:
                            continue
                        addr = sym["st_value"] + bias
                        self.by_name.setdefault(sym.name, addr)
                        entries.append((addr, sym["st_size"], sym.name))
        except (OSError, ELFError):
            pass
        entries.sort()
        self._starts = [e[0] for e in entries]
        self._entries = entries

    def lookup(self, name: str) -> int | None:
        """The address of a symbol, or None."""
        return self.by_name.get(name)

    def describe(self, addr: int) -> tuple[str, int] | None:
        """(name, offset) of the symbol containing addr (or the nearest one below, for size-0 symbols)."""
        i = bisect.bisect_right(self._starts, addr) - 1
        while i >= 0:
            start, size, name = self._entries[i]
            if addr < start + max(size, 1) or size == 0:
                return name, addr - start
            if i > 0 and self._starts[i - 1] == start:
                i -= 1
                continue
            return None
        return None

    def format(self, addr: int) -> str:
        """`<name+off>` as gdb prints it, or '' when no symbol covers addr."""
        hit = self.describe(addr)
        if hit is None:
            return ""
        name, off = hit
        return f"<{name}+{off}>" if off else f"<{name}>"


def for_process(proc) -> Symbols:
    """The symbols of a process's executable at its load bias."""
    image = getattr(proc, "image", None)
    return Symbols(proc.exe, getattr(image, "bias", 0) or 0)
