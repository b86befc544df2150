"""strace -c: count calls, errors and time per syscall, and print strace's summary table."""

from __future__ import annotations


class Summary:
    def __init__(self):
        self.rows: dict[str, list] = {}  # name -> [calls, errors, seconds]

    def add(self, name: str, failed: bool, seconds: float) -> None:
        row = self.rows.get(name)
        if row is None:
            row = self.rows[name] = [0, 0, 0.0]
        row[0] += 1
        row[1] += failed
        row[2] += seconds

    def dump(self) -> str:
        """One line per syscall, for a forked child to hand its counts to the main process."""
        return "".join(f"{name} {c} {e} {t!r}\n" for name, (c, e, t) in self.rows.items())

    def merge(self, text: str) -> None:
        for line in text.splitlines():
            name, c, e, t = line.split()
            row = self.rows.setdefault(name, [0, 0, 0.0])
            row[0] += int(c)
            row[1] += int(e)
            row[2] += float(t)

    def total_calls(self) -> int:
        return sum(r[0] for r in self.rows.values())

    def table(self) -> str:
        """The table strace prints: most time first; errors blank when zero."""
        items = sorted(self.rows.items(), key=lambda kv: (-kv[1][2], -kv[1][0], kv[0]))
        width = max([len(n) for n in self.rows] + [len("total") + 10]) + 1 if self.rows else 16
        total_time = sum(r[2] for r in self.rows.values())
        lines = [f"% time     seconds  usecs/call     calls    errors {'syscall'}",
                 f"------ ----------- ----------- --------- --------- {'-' * width}"]

        def line(pct, secs, calls, errors, name):
            usecs = int(secs * 1e6 / calls) if calls else 0
            err = f"{errors:9d}" if errors else " " * 9
            return f"{pct:6.2f} {secs:11.6f} {usecs:11d} {calls:9d} {err} {name}"

        for name, (calls, errors, secs) in items:
            pct = 100.0 * secs / total_time if total_time else 0.0
            lines.append(line(pct, secs, calls, errors, name))
        lines.append(lines[1])
        calls = sum(r[0] for r in self.rows.values())
        errors = sum(r[1] for r in self.rows.values())
        lines.append(line(100.0, total_time, calls, errors, "total"))
        return "\n".join(lines) + "\n"
