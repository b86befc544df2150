"""`elfemu trace --html FILE`: the run as a timeline, one lane per process, forks and execs as branches.

The lectures draw a program as a state machine whose only exits are system calls, and a fork
as the machine splitting in two; this page draws a traced run that way, in one self-contained
file (inline CSS, SVG and a few lines of JS: it opens offline, from a mail or a course page).

How: elfemu forks; the child is an ordinary `elfemu trace -f -ttt -o TEXT` run (strace's -f
semantics, so every child is traced, with pids and timestamps), the parent waits for it, reads
the strace-format text back (joining `<unfinished ...>` with its `<... resumed>` half, as
strace's own strace-log-merge and strace-graph do) and writes the page, then exits the way the
guest did. Reading the text rather than hooking the tracer keeps one source of truth: what the
page shows is exactly what `elfemu trace` prints. The user's -o FILE, if given, is kept too.

Each call is a mark on its process's lane, placed by its order in the whole run (time order
across processes, as -ttt stamps it); hovering shows its line. A fork draws a branch from the
parent's mark to the child's lane; an exec marks the lane and names the new program.
"""

import html
import json
import os
import re
import signal
import sys
import tempfile
from dataclasses import dataclass, field

FORKS = {"fork", "vfork", "clone", "clone3"}
EXECS = {"execve", "execveat"}
LINE = re.compile(r"^(?:\[pid +)?(\d+)\]? +(?:(\d+\.\d+) +)?(.*)$")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
CALL = re.compile(r"^(\w+)\((.*)\) += (-?\d+|\?|0x[0-9a-f]+)(.*)$", re.S)
LANE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
STEP, LANE_H, LEFT, TOP = 14, 44, 230, 40  # px: between events, between lanes, label column, header


@dataclass
class Event:
    seq: int  # order in the whole run
    pid: int
    time: float
    text: str  # the strace line, without pid and timestamp
    kind: str = "call"  # call | error | fork | exec | signal | exit
    child: int = 0  # fork: the new process's pid
    program: str = ""  # exec: the new program


@dataclass
class Lane:
    pid: int
    parent: int = 0
    forked_at: int = -1  # seq of the parent's fork event
    events: list = field(default_factory=list)
    programs: list = field(default_factory=list)  # the names it ran, in order


def html_option(rest: list[str]) -> tuple[str | None, list[str]]:
    """(FILE, the other arguments) when `--html FILE` or `--html=FILE` comes before the program."""
    for i, a in enumerate(rest):
        if a == "--":
            break
        if a == "--html" and i + 1 < len(rest):
            return rest[i + 1], rest[:i] + rest[i + 2:]
        if a.startswith("--html="):
            return a.split("=", 1)[1], rest[:i] + rest[i + 1:]
        if not a.startswith("-") and (i == 0 or not _takes_value(rest[i - 1])):
            break  # the program: what follows is its own arguments
    return None, rest


def _takes_value(opt: str) -> bool:
    return opt in ("-o", "-e", "-s", "-a", "-P", "-E", "-S", "-X", "-p", "-u", "-b", "-I", "--output", "--trace")


def export(path: str, rest: list[str], trace) -> int:
    """Run `trace(argv)` (elfemu trace's body) in a child, then write the page; returns the status."""
    from emulator.trace.options import parse_or_exit

    opts, _program, _args = parse_or_exit(rest)
    if opts.separate:
        print("elfemu trace: --html needs one trace, not -ff's file per process", file=sys.stderr)
        return 1
    fd, text_path = tempfile.mkstemp(prefix="elfemu-trace-", suffix=".txt")
    os.close(fd)
    keep = opts.output
    pid = os.fork()
    if pid == 0:
        os._exit(trace(["-f", "-ttt", "-o", text_path, *rest] if keep is None else ["-f", "-ttt", *rest]))
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C reaches the guest; we write what was traced
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        signal.signal(signal.SIGINT, old)
    source = keep or text_path
    try:
        with open(source, errors="replace") as f:
            events = parse(f.read().splitlines())
        with open(path, "w") as out:
            out.write(page(events, title=" ".join(rest)))
    except OSError as exc:
        print(f"elfemu: {path}: {exc.strerror}", file=sys.stderr)
    finally:
        if keep is None:
            os.unlink(text_path)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        from emulator.task import ending

        ending.die_by_signal(-code)
    return code


def parse(lines: list[str]) -> list[Event]:
    """strace -f text (with or without -ttt) -> events in order, split calls joined."""
    events: list[Event] = []
    pending: dict[int, Event] = {}  # pid -> its call cut by <unfinished ...>
    for raw in lines:
        m = LINE.match(raw)
        if not m:
            continue
        pid, stamp, text = int(m.group(1)), float(m.group(2) or 0.0), m.group(3)
        resumed = RESUMED.match(text)
        if resumed and pid in pending:
            ev = pending.pop(pid)
            ev.text = ev.text + resumed.group(2)
            classify(ev)
            continue
        ev = Event(len(events), pid, stamp, text)
        if text.endswith(" <unfinished ...>"):
            ev.text = text[: -len(" <unfinished ...>")]
            pending[pid] = ev
        events.append(ev)
        classify(ev)
    return events


def classify(ev: Event) -> None:
    text = ev.text
    if text.startswith("---"):
        ev.kind = "signal"
        return
    if text.startswith("+++"):
        ev.kind = "exit"
        return
    m = CALL.match(text)
    if not m:
        return
    name, args, ret = m.group(1), m.group(2), m.group(3)
    if ret.startswith("-"):
        ev.kind = "error"
    elif name in FORKS and ret.isdigit() and int(ret) > 0:
        ev.kind, ev.child = "fork", int(ret)
    elif name in EXECS and ret == "0":
        first = re.match(r'"((?:[^"\\]|\\.)*)"', args)
        ev.kind, ev.program = "exec", os.path.basename(first.group(1)) if first else "?"


def lanes_of(events: list[Event]) -> list[Lane]:
    """One lane per process, in the order they appeared; each knows its parent and fork point."""
    lanes: dict[int, Lane] = {}
    for ev in events:
        lane = lanes.setdefault(ev.pid, Lane(ev.pid))
        lane.events.append(ev)
        if ev.kind == "exec":
            lane.programs.append(ev.program)
        if ev.kind == "fork":
            child = lanes.setdefault(ev.child, Lane(ev.child))
            child.parent, child.forked_at = ev.pid, ev.seq
            if not child.programs and lane.programs:
                child.programs.append(lane.programs[-1])
    return list(lanes.values())


MARK = {"call": "#4a5568", "error": "#e53e3e", "fork": "#dd6b20", "exec": "#805ad5", "signal": "#d69e2e",
        "exit": "#000000"}


def svg(events: list[Event], lanes: list[Lane]) -> str:
    row = {lane.pid: i for i, lane in enumerate(lanes)}
    width = LEFT + STEP * (len(events) + 2)
    height = TOP + LANE_H * len(lanes) + 10
    y = {pid: TOP + LANE_H * i + LANE_H // 2 for pid, i in row.items()}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" id="timeline">']
    for i, lane in enumerate(lanes):
        colour = LANE_COLOURS[i % len(LANE_COLOURS)]
        first = lane.forked_at if lane.forked_at >= 0 else (lane.events[0].seq if lane.events else 0)
        last = lane.events[-1].seq if lane.events else first
        x0, x1, ly = LEFT + STEP * first, LEFT + STEP * last, y[lane.pid]
        name = html.escape(" → ".join(lane.programs) or "?")
        out.append(f'<g class="lane" data-pid="{lane.pid}" data-parent="{lane.parent}" style="--c:{colour}">')
        out.append(f'<text x="8" y="{ly + 4}" class="label" fill="{colour}">pid {lane.pid} {name}</text>')
        if lane.forked_at >= 0 and lane.parent in y:
            py = y[lane.parent]
            out.append(f'<path class="branch" d="M{x0} {py} C{x0 + STEP} {py} {x0} {ly} {x0 + STEP} {ly}" '
                       f'stroke="{colour}" />')
            x0 += STEP
        out.append(f'<line class="life" x1="{x0}" y1="{ly}" x2="{max(x1, x0 + 2)}" y2="{ly}" stroke="{colour}" />')
        for ev in lane.events:
            x = LEFT + STEP * ev.seq
            tip = html.escape(f"{ev.time:.6f} [pid {ev.pid}] {ev.text}" if ev.time else f"[pid {ev.pid}] {ev.text}")
            shape = (f'<rect x="{x - 2}" y="{ly - 11}" width="4" height="22"' if ev.kind == "exec"
                     else f'<circle cx="{x}" cy="{ly}" r="{6 if ev.kind in ("fork", "exit") else 4}"')
            out.append(f'{shape} class="ev {ev.kind}" fill="{MARK[ev.kind]}" data-seq="{ev.seq}"><title>{tip}</title>'
                       f'{"</rect>" if ev.kind == "exec" else "</circle>"}')
            if ev.kind == "exec":
                out.append(f'<text x="{x + 4}" y="{ly - 13}" class="prog">{html.escape(ev.program)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


STYLE = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #1a202c; background: #fff; }
h1 { font-size: 18px; margin: 0 0 4px; } .sub { color: #4a5568; margin-bottom: 12px; }
#scroll { overflow-x: auto; border: 1px solid #cbd5e0; background: #f7fafc; }
.life { stroke-width: 6; stroke-linecap: round; opacity: .85; } .branch { fill: none; stroke-width: 4; }
.label { font: bold 12px monospace; } .prog { font: 11px monospace; fill: #553c9a; }
.ev { cursor: pointer; stroke: #fff; stroke-width: 1; } .ev:hover, .ev.sel { stroke: #000; stroke-width: 2; }
#detail { font: 12px monospace; white-space: pre-wrap; margin: 8px 0; min-height: 1.4em; }
table { border-collapse: collapse; font: 12px monospace; } td { padding: 0 8px; white-space: pre; }
tr.sel { background: #fefcbf; } .legend span { margin-right: 12px; } .legend i { display: inline-block;
 width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; }
"""

SCRIPT = """
const events = JSON.parse(document.getElementById('events').textContent);
const detail = document.getElementById('detail');
function pick(seq) {
  document.querySelectorAll('.sel').forEach(e => e.classList.remove('sel'));
  const ev = events[seq];
  detail.textContent = '[pid ' + ev[0] + '] ' + ev[1];
  document.querySelectorAll('[data-seq="' + seq + '"]').forEach(e => e.classList.add('sel'));
}
document.querySelectorAll('.ev').forEach(e => e.addEventListener('click', () => pick(+e.dataset.seq)));
document.querySelectorAll('tr[data-seq]').forEach(e => e.addEventListener('click', () => pick(+e.dataset.seq)));
"""


def page(events: list[Event], title: str = "") -> str:
    lanes = lanes_of(events)
    colours = {lane.pid: LANE_COLOURS[i % len(LANE_COLOURS)] for i, lane in enumerate(lanes)}
    rows = "\n".join(f'<tr data-seq="{ev.seq}"><td style="color:{colours[ev.pid]}">{ev.pid}</td>'
                     f"<td>{html.escape(ev.text)}</td></tr>" for ev in events)
    legend = "".join(f'<span><i style="background:{c}"></i>{k}</span>' for k, c in MARK.items())
    data = json.dumps([[ev.pid, ev.text] for ev in events]).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>elfemu trace: {html.escape(title)}</title>
<style>{STYLE}</style></head><body>
<h1>elfemu trace {html.escape(title)}</h1>
<div class="sub">{len(lanes)} process{"es" if len(lanes) != 1 else ""}, {len(events)} events.
Each lane is a process; each mark a system call, in the order the calls ran. Click one to read it.</div>
<div class="legend">{legend}</div>
<div id="scroll">{svg(events, lanes)}</div>
<div id="detail"></div>
<table>{rows}</table>
<script type="application/json" id="events">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""
