"""ELF symbols for the stepper, the tracer's --trace-insn and the gdb tests.

where(addr) -> (name, offset), address(name), size(name), function(addr). Aliases at one
address resolve the way gdb names them (printf, not __printf); a program without a symbol
table (the 178-byte hello) simply has none.
"""

import bisect

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection


class Symbols:
    """Function and object symbols of one static image, sorted by address."""

    def __init__(self, entries):
        # entries: (addr, size, name, is_func); prefer global names for aliases at one address
        self.by_name: dict[str, tuple[int, int]] = {}
        seen = {}
        for addr, size, name, is_func, glob in entries:
            if name not in self.by_name or glob:
                self.by_name[name] = (addr, size)
            cur = seen.get(addr)
            if cur is None or self.rank(size, name, glob) > self.rank(cur[1], cur[2], cur[3]):
                seen[addr] = (addr, size, name, glob, is_func)
        self.sorted = sorted(seen.values())
        self.starts = [e[0] for e in self.sorted]

    @staticmethod
    def rank(size: int, name: str, glob: bool) -> tuple:
        """Which alias names an address: sized, global, then the fewest leading '_' (printf, not __printf)."""
        return (size > 0, glob, -(len(name) - len(name.lstrip("_"))))

    def _entry(self, addr: int):
        i = bisect.bisect_right(self.starts, addr) - 1
        while i >= 0:
            start, size, name, _glob, is_func = self.sorted[i]
            if addr < start + max(size, 1):
                return self.sorted[i]
            if size:  # sized and not covering addr: addr is in no symbol
                return None
            if is_func and (i + 1 == len(self.starts) or addr < self.starts[i + 1]):
                return self.sorted[i]  # a size-0 function label (_start) runs to the next symbol
            i -= 1
        return None

    def where(self, addr: int):
        e = self._entry(addr)
        return (e[2], addr - e[0]) if e else None

    def address(self, name: str):
        hit = self.by_name.get(name)
        return hit[0] if hit else None

    def size(self, name: str):
        hit = self.by_name.get(name)
        return hit[1] if hit else None

    def function(self, addr: int):
        """(name, start, size) of the function containing addr, or None."""
        e = self._entry(addr)
        if e and e[4] and e[1]:
            return e[2], e[0], e[1]
        return None


def load_symbols(path: str, bias: int = 0) -> Symbols:
    """The symbol table of the file at path, moved by the load bias (a static PIE's base)."""
    entries = []
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            exec_sections = {i for i, sec in enumerate(elf.iter_sections()) if sec["sh_flags"] & 4}  # SHF_EXECINSTR
            for sec in elf.iter_sections():
                if not isinstance(sec, SymbolTableSection):
                    continue
                for s in sec.iter_symbols():
                    kind = s["st_info"]["type"]
                    if kind not in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE", "STT_GNU_IFUNC") or not s.name:
                        continue
                    if s["st_shndx"] in ("SHN_UNDEF", "SHN_ABS") or s["st_value"] == 0:
                        continue
                    glob = s["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK")
                    code = kind in ("STT_FUNC", "STT_GNU_IFUNC") or (
                        isinstance(s["st_shndx"], int) and s["st_shndx"] in exec_sections)  # asm labels (_start)
                    entries.append((s["st_value"] + bias, s["st_size"], s.name, code, glob))
    except (OSError, ELFError, ValueError):
        pass
    return Symbols(entries)
