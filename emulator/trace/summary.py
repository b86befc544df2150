"""strace -c/-C: count calls, errors and time per syscall, and print strace's summary table
(sorted by -S, with the columns of -U)."""

from __future__ import annotations

DEFAULT_COLUMNS = ["percent", "total", "avg", "calls", "errors", "name"]
# column -> (header, width); the name column's width follows the longest name
HEADERS = {"percent": ("% time", 6), "total": ("seconds", 11), "min": ("shortest", 8), "max": ("longest", 8),
           "avg": ("usecs/call", 11), "calls": ("calls", 9), "errors": ("errors", 9), "name": ("syscall", 0)}


class Summary:
    def __init__(self, opts=None):
        self.rows: dict[str, list] = {}  # name -> [calls, errors, seconds, shortest, longest]
        self.sort_by = opts.sort_by if opts is not None else "time"
        self.columns = (opts.summary_columns if opts is not None else None) or DEFAULT_COLUMNS

    def add(self, name: str, failed: bool, seconds: float) -> None:
        row = self.rows.get(name)
        if row is None:
            row = self.rows[name] = [0, 0, 0.0, seconds, seconds]
        row[0] += 1
        row[1] += failed
        row[2] += seconds
        row[3] = min(row[3], seconds)
        row[4] = max(row[4], seconds)

    def dump(self) -> str:
        """One line per syscall, for a forked child to hand its counts to the main process."""
        return "".join(f"{name} {c} {e} {t!r} {lo!r} {hi!r}\n" for name, (c, e, t, lo, hi) in self.rows.items())

    def merge(self, text: str) -> None:
        for line in text.splitlines():
            name, c, e, t, lo, hi = line.split()
            row = self.rows.get(name)
            if row is None:
                self.rows[name] = [int(c), int(e), float(t), float(lo), float(hi)]
                continue
            row[0] += int(c)
            row[1] += int(e)
            row[2] += float(t)
            row[3] = min(row[3], float(lo))
            row[4] = max(row[4], float(hi))

    def total_calls(self) -> int:
        return sum(r[0] for r in self.rows.values())

    def ordered(self) -> list:
        """strace sorts a table kept in syscall-number order, stably: ties stay in that order."""
        from syscalls.table import ROWS

        number = {s.name: s.nr for s in ROWS}
        items = sorted(self.rows.items(), key=lambda kv: number.get(kv[0], 1 << 20))
        keys = {"time": lambda kv: -kv[1][2], "calls": lambda kv: -kv[1][0], "errors": lambda kv: -kv[1][1],
                "name": lambda kv: kv[0], "min": lambda kv: -kv[1][3], "max": lambda kv: -kv[1][4],
                "avg": lambda kv: -kv[1][2] / kv[1][0]}
        key = keys.get(self.sort_by)
        return sorted(items, key=key) if key else items

    def table(self) -> str:
        """The table strace prints; errors blank when zero."""
        if not self.rows:  # nothing counted: strace prints no table at all
            return ""
        width = max([len(n) for n in self.rows] + [len("total") + 10]) + 1 if self.rows else 16
        total_time = sum(r[2] for r in self.rows.values())
        cols = self.columns

        def cell(col, text, last):
            w = HEADERS[col][1]
            if col == "name":
                return text if last else f"{text:<{width}}"
            return f"{text:>{w}}"

        def line(values):
            return " ".join(cell(c, values[c], i == len(cols) - 1) for i, c in enumerate(cols))

        def row_values(name, calls, errors, secs, lo, hi):
            pct = 100.0 * secs / total_time if total_time else 0.0
            return {"percent": f"{pct:6.2f}", "total": f"{secs:11.6f}", "min": f"{lo:8.6f}", "max": f"{hi:8.6f}",
                    "avg": str(int(secs * 1e6 / calls) if calls else 0), "calls": str(calls),
                    "errors": str(errors) if errors else "", "name": name}

        header = line({c: HEADERS[c][0] for c in cols})
        dashes = line({c: "-" * (width if c == "name" else HEADERS[c][1]) for c in cols})
        lines = [header, dashes]
        for name, (calls, errors, secs, lo, hi) in self.ordered():
            lines.append(line(row_values(name, calls, errors, secs, lo, hi)))
        lines.append(dashes)
        rows = list(self.rows.values())
        total = row_values("total", sum(r[0] for r in rows), sum(r[1] for r in rows), total_time,
                           min([r[3] for r in rows], default=0.0), max([r[4] for r in rows], default=0.0))
        total["percent"] = f"{100.0:6.2f}"
        lines.append(line(total))
        return "\n".join(lines) + "\n"
