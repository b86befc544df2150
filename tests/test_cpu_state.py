"""The CPU state a program starts with matches Linux's: FPU control words, masked exceptions."""

import pytest

from tests.conftest import PROGS, contains, run_both


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_fpu_starts_like_linux(build, cc):
    run_both([build(PROGS / "fpu_init.c", cc)], status=0, stdout=contains(b"mxcsr=0x1f80 fcw=0x37f"), stderr=True)


@pytest.mark.parametrize("cc", ["gcc", "musl-gcc"])
def test_rewritten_code_is_not_stale(build, cc):
    """Code rewritten while its page is not executable (also by the kernel, through read())
    runs in its new form once the page is executable again."""
    run_both([build(PROGS / "jit_reuse.c", cc)], status=0, stdout=lambda out: out.endswith(b"\nrun 4 -> 44\n"),
             stderr=True)
