"""The CPU state a program starts with matches Linux's: FPU control words, masked exceptions."""

import pytest

from tests.conftest import ROOT, assert_same, build_static, run_emu, run_native


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_fpu_starts_like_linux(tmp_path, cc):
    exe = build_static(cc, ROOT / "tests" / "progs" / "fpu_init.c", tmp_path / "fpu_init")
    native = run_native([exe])
    assert b"mxcsr=0x1f80 fcw=0x37f" in native.stdout
    assert_same(native, run_emu([exe]), stderr=True)


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_rewritten_code_is_not_stale(tmp_path, cc):
    """Code rewritten while its page is not executable (also by the kernel, through read())
    runs in its new form once the page is executable again."""
    exe = build_static(cc, ROOT / "tests" / "progs" / "jit_reuse.c", tmp_path / "jit_reuse")
    native = run_native([exe])
    assert native.stdout.splitlines()[-1] == b"run 4 -> 44"
    assert_same(native, run_emu([exe]), stderr=True)
