"""`elfemu inspect` agrees with binutils' readelf about entry point and LOAD segments."""

import re
import struct
import subprocess

from tests.conftest import HELLO178, run_emu, sample


def readelf_facts(path):
    out = subprocess.run(["readelf", "-hlW", str(path)], capture_output=True, text=True, check=True).stdout
    entry = int(re.search(r"Entry point address:\s+(0x[0-9a-f]+)", out).group(1), 16)
    loads = [int(m, 16) for m in re.findall(r"^\s+LOAD\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)", out, re.M)]
    return entry, loads


def test_inspect_matches_readelf():
    for path in (HELLO178, sample("glibc", "hello"), sample("musl", "hello"), sample("glibc", "hello_pie")):
        entry, loads = readelf_facts(path)
        out = run_emu([path], command="inspect").stdout.decode()
        assert f"entry:       {entry:#x}" in out
        vaddrs = [int(m, 16) for m in re.findall(r"^\s+(0x[0-9a-f]+)\s+0x", out, re.M)]
        assert vaddrs == loads


def test_inspect_rejects_non_elf(tmp_path):
    bogus = tmp_path / "bogus"
    bogus.write_text("not an elf\n")
    res = run_emu([bogus], command="inspect")
    assert res.returncode == 126
    assert res.stderr.decode().startswith(f"elfemu: {bogus}: ")
    assert b"Traceback" not in res.stderr


def test_inspect_names_a_defect_execve_finds_late(tmp_path):
    """A segment Linux rejects only while mapping it (filesz > memsz): inspect still describes the
    file, and says execve would kill the process, as test_loader's native runs show it does."""
    data = bytearray(sample("glibc", "hello").read_bytes())
    phoff, phnum = struct.unpack_from("<Q", data, 32)[0], struct.unpack_from("<H", data, 56)[0]
    first_load = next(phoff + 56 * i for i in range(phnum) if struct.unpack_from("<I", data, phoff + 56 * i)[0] == 1)
    struct.pack_into("<Q", data, first_load + 32, struct.unpack_from("<Q", data, first_load + 40)[0] + 1)
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(data))
    res = run_emu([bad], command="inspect")
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().rstrip().endswith(
        "execve would kill the process (SIGSEGV): segment file size exceeds its memory size")
