"""The import direction that docs/ARCHITECTURE.md describes, kept so by walking every import.

Layers, lowest first: errors <- machine <- image <- task <- syscalls (decode <- table/handlers <-
dispatch) <- trace, debug <- guest, cli. A module may import its own layer or lower ones, never a
higher one, and trace and debug (two fronts side by side) never import each other. Imports inside
functions count as much as top-level ones: a lazy import is still a dependency.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
LAYERS = [
    ("emulator.errors", "emulator.abi"),
    ("emulator.machine",),
    ("emulator.image",),
    ("emulator.task",),
    ("syscalls.decode",),
    ("syscalls.handlers", "syscalls.table"),
    ("syscalls.dispatch", "syscalls"),
    ("emulator.trace",),
    ("emulator.debug",),
    ("emulator.guest", "emulator.cli", "emulator.__main__", "emulator"),
]
SIDE_BY_SIDE = {"emulator.trace", "emulator.debug"}  # fronts of the same rank: neither imports the other


def modules():
    for pkg in ("emulator", "syscalls"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield name.removesuffix(".__init__"), path


def layer_of(name: str) -> tuple[int, str]:
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[1]):
                    best = (rank, prefix)
    assert best is not None, f"{name} is in no layer"
    return best


def imported(name: str, path: pathlib.Path, known: set[str]):
    """Every project module `path` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                yield target
                break


def graph():
    mods = dict(modules())
    return {name: set(imported(name, path, set(mods))) for name, path in mods.items()}


def test_every_import_points_down():
    wrong = []
    for name, targets in graph().items():
        rank, group = layer_of(name)
        for target in sorted(targets):
            trank, tgroup = layer_of(target)
            if trank > rank or (group in SIDE_BY_SIDE and tgroup in SIDE_BY_SIDE and tgroup != group):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_no_import_cycle():
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v):
        state[v] = 1
        stack.append(v)
        for w in sorted(edges[v]):
            if state.get(w) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(w):] + [w]))
            if w not in state:
                visit(w)
        stack.pop()
        state[v] = 2

    for v in sorted(edges):
        if v not in state:
            visit(v)


def test_the_walk_sees_lazy_imports():
    """The walker must find an import inside a function (the kind that hid the old cycles)."""
    src = ROOT / "emulator" / "cli.py"
    assert "emulator.debug.gdbstub" in set(imported("emulator.cli", src, dict(modules()).keys()))
