"""elfemu's own libunicorn build (emulator/machine/libunicorn): which library is loaded and which
patches it has, the fallback to the wheel's library, and self-modifying and JIT code behaving as
natively with the patched library (the patches change how translated code and the TLB are kept)."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import HELLO178, ROOT, need_tool, run_both, run_emu, sample
from tests.test_gdb import gdb_session

PATCHES = sorted((ROOT / "emulator" / "machine" / "libunicorn" / "patches").glob("*.patch"))
BUILD = os.path.join(sys.prefix, "libunicorn", "current")


def version(env=None) -> str:
    res = run_emu([], command="--version", env=env)
    assert res.returncode == 0, res.stderr.decode()
    return res.stdout.decode()


def test_the_patched_build_is_loaded_with_every_patch():
    """`make install` built the library from the current patches, and elfemu loads it."""
    manifest = json.loads(open(os.path.join(BUILD, "manifest.json")).read())
    assert manifest["pin"] == "unicorn==2.1.4"
    spec = importlib.util.spec_from_file_location("libunicorn_build", PATCHES[0].parent.parent / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert [(p["name"], p["code_sha256"]) for p in manifest["patches"]] == [
        (p.name, build.code_sha256(p)) for p in PATCHES], "stale build: run make install"
    assert os.path.basename(os.path.realpath(BUILD)) == manifest["key"] == build.key()
    out = version()
    assert f"libunicorn: {os.path.realpath(BUILD)}/libunicorn.so.2 (elfemu's build of unicorn==2.1.4" in out
    for p in PATCHES:
        assert f"  patch {p.name}: " in out
    code = ("from emulator.machine import unicorn_ffi as u; import os; "
            "print(os.path.realpath(u.LIB_PATH)); print(os.path.getsize(u.LIB_PATH))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    path, size = res.stdout.split()
    assert path == os.path.realpath(os.path.join(BUILD, "libunicorn.so.2"))
    assert int(size) < 4 << 20  # x86 only: ~1.5 MB, against the wheel's ~24 MB
    assert res.stderr == ""


def test_fallback_to_the_wheel_says_so_once(tmp_path):
    """No build where elfemu looks: it runs on the wheel's library, with one line on stderr."""
    env = dict(os.environ, ELFEMU_LIBUNICORN=str(tmp_path / "none"))
    res = run_emu([HELLO178], env=env)
    assert res.stdout == b"Hello world\n" and res.returncode == 0
    lines = res.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("elfemu: no patched libunicorn in "), lines
    assert "(the unicorn wheel's, unpatched)" in version(env)


def test_wheel_on_request_is_quiet():
    env = dict(os.environ, ELFEMU_LIBUNICORN="wheel")
    res = run_emu([HELLO178], env=env)
    assert (res.stdout, res.stderr, res.returncode) == (b"Hello world\n", b"", 0)
    out = version(env)
    assert "/unicorn/lib/libunicorn.so.2 (the unicorn wheel's, unpatched)" in out and "patch " not in out


EXPECTED = b"rwx_rewrite 999000\nsame_block 126\nwx_hot_patch 504000\ndata_next_to_code 500\nremap 15015\n"


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_self_modifying_and_jit_code_as_natively(cc, build):
    """Stores into pages holding translated code, code patching its own next instruction, a
    W^X hot patch of a chained function, data next to code, and code remapped."""
    exe = build(ROOT / "tests" / "progs" / "smc_jit.c", cc)
    run_both([exe], status=0, stdout=EXPECTED)  # the native run must print EXPECTED too


def test_gdb_writes_into_text_that_already_ran():
    """gdb overwrites the first instruction of spend() with `ret` after spend() has run (so it is
    translated) and the guest goes on: the later calls must return at once, as natively."""
    prog = sample("glibc", "scanner_target")
    commands = ["break earn", "set {unsigned char}spend = 0xc3", "delete", "continue"]
    text, out, _, rc = gdb_session(prog, commands[:1] + ["continue"] + commands[1:])
    expected = "".join(["gold = 1000\n", *(f"round {r}: gold = {1015 + 25 * (r - 1)}\n" for r in range(1, 11)),
                        "final gold = 1240\n"])
    assert out == expected and rc == 0, text
    native = subprocess.run([need_tool("gdb"), "-batch", "-nx", "-ex", "set confirm off", "-ex", "set startup-with-shell off",
                             str(prog), "-ex", commands[0], "-ex", "run", *(a for c in commands[1:] for a in ("-ex", c))],
                            capture_output=True, text=True, timeout=60)
    assert expected in native.stdout, native.stdout + native.stderr  # the same edit does the same natively
