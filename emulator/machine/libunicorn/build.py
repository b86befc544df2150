"""Build elfemu's own libunicorn: the pinned Unicorn's source distribution, elfemu's patches,
x86 only. `make install` runs this file (by path: it imports nothing of elfemu's).

    python emulator/machine/libunicorn/build.py [--venv DIR] [--jobs N]

The result goes to DIR/libunicorn/<key>/ (DIR is the venv, sys.prefix by default): the library
libunicorn.so.2 and manifest.json (pin, patches, build time), and DIR/libunicorn/current links to
it. The key hashes the pin, the cmake flags and every patch's diff (not its header), so the build
runs again only when one of them changes; otherwise this is a no-op. emulator/machine/unicorn_ffi.py loads `current`.

Where the build cannot happen (no network for pip, no cmake or C compiler, a patch that does not
apply) this says why on one line and exits 0: elfemu then runs on the unicorn wheel's library.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PIN = "unicorn==2.1.4"  # the same pin as pyproject.toml: the constants come from that package
HERE = Path(__file__).resolve().parent
PATCHES = HERE / "patches"
CMAKE_FLAGS = ["-DCMAKE_BUILD_TYPE=Release", "-DUNICORN_ARCH=x86", "-DUNICORN_BUILD_TESTS=off"]
LIB = "libunicorn.so.2"


def patches() -> list[Path]:
    return sorted(PATCHES.glob("*.patch"))


def summary(patch: Path) -> str:
    """A patch's first header line: what it fixes."""
    for line in patch.read_text().splitlines():
        if line.strip():
            return line.strip()
    return ""


def code(patch: Path) -> bytes:
    """A patch without its header: the diff itself, from its first `--- ` line. Only this part
    changes the library, so editing a header's text or figures does not rebuild it."""
    data = patch.read_bytes()
    at = data.find(b"\n--- ")
    return data if data.startswith(b"--- ") or at < 0 else data[at + 1:]


def code_sha256(patch: Path) -> str:
    return hashlib.sha256(code(patch)).hexdigest()


def key() -> str:
    h = hashlib.sha256(f"{PIN}\n{' '.join(CMAKE_FLAGS)}\n".encode())
    for p in patches():
        h.update(p.name.encode() + b"\0" + code(p) + b"\0")
    return h.hexdigest()[:16]


def run(argv: list[str], cwd: Path | None = None) -> None:
    proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode:
        tail = proc.stdout.strip().splitlines()[-15:]
        raise RuntimeError(f"{argv[0]} failed ({proc.returncode}):\n  " + "\n  ".join(tail))


def build(out: Path, jobs: int) -> None:
    for tool in ("cmake", "cc", "patch"):
        if not shutil.which(tool):
            raise RuntimeError(f"no {tool} (make deps installs it)")
    with tempfile.TemporaryDirectory(prefix="elfemu-libunicorn-") as tmp:
        work = Path(tmp)
        run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
             "-d", str(work), PIN])
        sdist = next(work.glob("unicorn-*.tar.gz"))
        with tarfile.open(sdist) as tar:
            tar.extractall(work, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(work)
        src = next(work.glob("unicorn-*/src"))
        for p in patches():
            run(["patch", "-p1", "--forward", "--batch", "-d", str(src), "-i", str(p)])
        started = time.monotonic()
        run(["cmake", "-S", str(src), "-B", str(work / "build"), *CMAKE_FLAGS])
        run(["cmake", "--build", str(work / "build"), f"-j{jobs}"])
        seconds = time.monotonic() - started
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(work / "build" / LIB, out / (LIB + ".tmp"))
        os.replace(out / (LIB + ".tmp"), out / LIB)
    manifest = {
        "pin": PIN, "sdist": sdist.name, "cmake_flags": CMAKE_FLAGS, "key": out.name,
        "patches": [{"name": p.name, "summary": summary(p),
                     "code_sha256": code_sha256(p)} for p in patches()],
        "build_seconds": round(seconds, 1), "jobs": jobs, "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def link_current(root: Path, name: str) -> None:
    tmp = root / "current.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(name)
    os.replace(tmp, root / "current")


def main(argv: list[str]) -> int:
    venv = Path(argv[argv.index("--venv") + 1]) if "--venv" in argv else Path(sys.prefix)
    jobs = int(argv[argv.index("--jobs") + 1]) if "--jobs" in argv else (os.cpu_count() or 1)
    root = venv / "libunicorn"
    out = root / key()
    if not (out / LIB).exists() or not (out / "manifest.json").exists():
        print(f"building libunicorn ({PIN}, x86 only, {len(patches())} patches) into {out}", flush=True)
        try:
            build(out, jobs)
        except (RuntimeError, OSError, StopIteration) as exc:
            print(f"elfemu: libunicorn build failed, elfemu will use the unicorn wheel's library: {exc}",
                  file=sys.stderr)
            return 0
        seconds = json.loads((out / "manifest.json").read_text())["build_seconds"]
        print(f"built {out / LIB} in {seconds} s", flush=True)
    link_current(root, out.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
