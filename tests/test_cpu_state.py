"""The CPU state a program starts with matches Linux's: FPU control words, masked exceptions."""

import subprocess

import pytest

from tests.conftest import ROOT, assert_same, run_emu, run_native


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_fpu_starts_like_linux(tmp_path, cc):
    exe = tmp_path / "fpu_init"
    subprocess.run([cc, "-static", "-O1", "-o", exe, ROOT / "tests" / "progs" / "fpu_init.c"], check=True)
    native = run_native([exe])
    assert b"mxcsr=0x1f80 fcw=0x37f" in native.stdout
    assert_same(native, run_emu([exe]), stderr=True)
