"""The lecture's 178-byte hello world: byte-exact sample, runs natively and under elfemu alike."""

from tests.conftest import HELLO178, assert_same, run_emu, run_native


def test_hello178_matches_native():
    native = run_native([HELLO178])
    emu = run_emu([HELLO178])
    assert_same(native, emu, status=0, stdout=b"Hello world\n", stderr=True)
