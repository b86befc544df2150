"""Differential tests of Debian's busybox-static applets: each runs natively and under elfemu
(`elfemu run /usr/bin/busybox APPLET ...`) on the same fixed files, and must print the same
stdout and exit with the same status.

Filters run twice, once reading a file named on the command line and once reading stdin.
Applets that change the file system run in two fresh copies of a small tree, and the trees
are compared afterwards (names, types, sizes, modes, link targets, contents, and mtimes).
Inputs are fixed: generated text with a fixed seed, fixed mtimes, TZ=UTC, LC_ALL=C.
"""

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, assert_same, make_tree, run_both, run_emu, run_native, snapshot

BB = "/usr/bin/busybox"
ENV = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "LC_ALL": "C", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_tree(tmp_path_factory.mktemp("bbdata"))


def applet(argv, cwd, status: int = 0, stdin: bytes | None = None):
    """The applet natively and under elfemu in cwd; the native run must end with `status` (0 unless
    the case is one that fails on purpose), so an applet this busybox lacks (127) does not pass."""
    return run_both([BB, *argv], status=status, cwd=str(cwd), env=ENV, input=stdin if stdin is not None else b"")


# ----- filters: the same input as a file and on stdin --------------------------------------------

FILTERS = [
    ("cat", ["cat"], "words.txt"),
    ("cat-n", ["cat", "-n"], "dup.txt"),
    ("wc", ["wc"], "words.txt"),
    ("wc-l", ["wc", "-l"], "nums.txt"),
    ("sort", ["sort"], "words.txt"),
    ("sort-nr", ["sort", "-n", "-r"], "nums.txt"),
    ("sort-t", ["sort", "-t", ",", "-k", "3n", "-k", "1n"], "table.csv"),
    ("uniq-c", ["uniq", "-c"], "dup.txt"),
    ("sha256sum", ["sha256sum"], "bin.dat"),
    ("md5sum", ["md5sum"], "words.txt"),
    ("sha1sum", ["sha1sum"], "bin.dat"),
    ("awk", ["awk", "-F,", "{s += $3; n[$2]++} END {print s, NR; for (k in n) c++; print c}"], "table.csv"),
    ("sed", ["sed", "-e", "s/a/A/g", "-e", "/beta/d", "-e", "3q"], "words.txt"),
    ("sed-n", ["sed", "-n", "2p;9p;$p"], "words.txt"),
    ("grep", ["grep", "-n", "gamma"], "words.txt"),
    ("grep-cv", ["grep", "-c", "-v", "alpha"], "words.txt"),
    ("grep-E", ["grep", "-E", "^-?[0-9]{4}$"], "nums.txt"),
    ("grep-none", ["grep", "nosuchword"], "words.txt"),
    ("cut", ["cut", "-d,", "-f", "2,3"], "table.csv"),
    ("cut-c", ["cut", "-c", "2-5"], "words.txt"),
    ("head", ["head", "-n", "7"], "words.txt"),
    ("head-c", ["head", "-c", "100"], "bin.dat"),
    ("tail", ["tail", "-n", "4"], "nums.txt"),
    ("tail-c", ["tail", "-c", "50"], "words.txt"),
    ("od", ["od", "-A", "x", "-t", "x1", "-v"], "bin.dat"),
    ("od-c", ["od", "-c"], "tabs.txt"),
    ("hexdump", ["hexdump", "-C"], "bin.dat"),
    ("xxd", ["xxd"], "bin.dat"),
    ("fold", ["fold", "-w", "13"], "words.txt"),
    ("nl", ["nl"], "dup.txt"),
    ("rev", ["rev"], "words.txt"),
    ("tac", ["tac"], "nums.txt"),
    ("expand", ["expand", "-t", "4"], "tabs.txt"),
    ("base64", ["base64"], "bin.dat"),
    ("strings", ["strings", "-n", "3"], "bin.dat"),
    ("gzip", ["gzip", "-c", "-9"], "words.txt"),
    ("dd", ["dd", "bs=7", "skip=3", "count=5"], "words.txt"),
    ("bzip2", ["bzip2", "-c"], "words.txt"),
    ("lzop", ["lzop", "-c"], "nums.txt"),  # (this busybox's xz only decompresses)
    ("crc32", ["crc32"], "bin.dat"),
    ("unix2dos", ["unix2dos"], "dup.txt"),
    ("sort-u", ["sort", "-u", "-r"], "dup.txt"),
    ("unexpand", ["unexpand", "-a"], "tabs.txt"),
]


@pytest.mark.parametrize("how", ["file", "stdin"])
@pytest.mark.parametrize("argv,name", [(a, f) for _, a, f in FILTERS], ids=[i for i, _, _ in FILTERS])
def test_filter(argv, name, how, data):
    status = 1 if argv[:2] == ["grep", "nosuchword"] else 0
    if how == "file":
        applet(argv + [f"if={name}" if argv[0] == "dd" else name], data, status)
    else:
        applet(argv, data, status, stdin=(data / name).read_bytes())


def test_tr_stdin(data):
    applet(["tr", "a-z", "A-Z"], data, stdin=(data / "words.txt").read_bytes())
    applet(["tr", "-s", "a\n"], data, stdin=(data / "dup.txt").read_bytes())


def test_bc_dc(data):
    applet(["bc"], data, stdin=b"scale=5\n2^40 + 17/3\nsqrt(2)\n")
    applet(["dc"], data, stdin=b"3 4 * p 2 10 ^ p\n")


def test_cpio(data):
    """cpio -o writes each file's inode, mode, size and mtime: all from the emulated stat."""
    listing = b"words.txt\nnums.txt\nsub\nsub/inner.txt\nlink\n"
    native, _ = applet(["cpio", "-o", "-H", "newc"], data, stdin=listing)
    applet(["cpio", "-t", "-v"], data, stdin=native.stdout)


def test_gunzip_roundtrip(data):
    packed = run_native([BB, "gzip", "-c"], input=(data / "words.txt").read_bytes()).stdout
    applet(["gunzip", "-c"], data, stdin=packed)
    applet(["zcat"], data, stdin=packed)
    assert run_emu([BB, "gunzip", "-c"], input=packed).stdout == (data / "words.txt").read_bytes()


# ----- applets that only look ---------------------------------------------------------------------

COMMANDS = [
    ("seq", ["seq", "1", "3", "40"]),
    ("seq-w", ["seq", "-w", "-s", ",", "8", "12"]),
    ("printf", ["printf", "%05d|%-6s|%x|%c\\n", "42", "ab", "255", "Z"]),
    ("expr-mul", ["expr", "6", "*", "7"]),
    ("expr-len", ["expr", "length", "hello"]),
    ("expr-zero", ["expr", "3", "-", "3"]),
    ("env", ["env"]),
    ("basename", ["basename", "/a/b/c.txt", ".txt"]),
    ("dirname", ["dirname", "/a/b/c.txt"]),
    ("echo", ["echo", "-e", "a\\tb\\nc"]),
    ("ls", ["ls"]),
    ("ls-l", ["ls", "-l"]),
    ("ls-la", ["ls", "-la", "sub"]),
    ("ls-lR", ["ls", "-lR"]),
    ("ls-missing", ["ls", "nosuchfile"]),
    ("find", ["find", "."]),
    ("find-type", ["find", ".", "-type", "f", "-name", "*.txt"]),
    ("find-size", ["find", ".", "-size", "+1k"]),
    ("find-links", ["find", "sub", "-type", "l"]),
    ("stat", ["stat", "-c", "%n %s %a %F %Y %h", "words.txt", "nums.txt", "sub", "emptydir", "link"]),
    ("stat-L", ["stat", "-L", "-c", "%n %s %F", "link"]),
    ("stat-f", ["stat", "-f", "-c", "%T", "."]),
    ("realpath", ["realpath", "link", "sub/up", "sub/../words.txt"]),
    ("readlink", ["readlink", "link"]),
    ("readlink-f", ["readlink", "-f", "sub/up"]),
    ("du", ["du", "-a", "sub"]),
    ("du-s", ["du", "-s", "."]),
    ("tar-c", ["tar", "-cf", "-", "sub", "words.txt"]),
    ("cmp", ["cmp", "words.txt", "link"]),
    ("cmp-diff", ["cmp", "words.txt", "nums.txt"]),
    ("diff", ["diff", "dup.txt", "sub/inner.txt"]),
    ("sha3sum", ["sha3sum", "words.txt", "bin.dat"]),
    ("cal", ["cal", "2", "2001"]),
    ("factor", ["factor", "360", "9973", "1234567"]),
    ("uname-m", ["uname", "-m"]),
    ("tty", ["tty"]),
    ("which", ["which", "busybox"]),
    ("uuencode", ["uuencode", "bin.dat", "name"]),
    ("paste", ["paste", "-d:", "dup.txt", "tabs.txt"]),
    ("md5sum-files", ["md5sum", "words.txt", "nums.txt", "sub/inner.txt"]),
    ("md5sum-missing", ["md5sum", "words.txt", "missing.txt"]),
    ("wc-files", ["wc", "words.txt", "nums.txt", "table.csv"]),
    ("head-files", ["head", "-n", "2", "words.txt", "nums.txt"]),
    ("pwd", ["pwd"]),
    ("true", ["true"]),
    ("false", ["false"]),
    ("test-f", ["test", "-f", "words.txt"]),
    ("test-d", ["test", "-d", "words.txt"]),
    ("test-L", ["test", "-L", "link"]),
    ("test-nt", ["test", "words.txt", "-nt", "nums.txt"]),
    ("bracket", ["[", "3", "-lt", "12", "]"]),
    ("bracket-false", ["[", "abc", "=", "abd", "]"]),
    ("yes-head", ["sh", "-c", "yes hello | head -n 5"]),
    ("sh-pipeline", ["sh", "-c", "cat words.txt | sort | uniq -c | sort -rn | head -n 3"]),
    ("date", ["date", "-d", "@981173106", "+%Y-%m-%d %H:%M:%S %a %j"]),
    ("id-g", ["sh", "-c", "test $(id -u) -ge 0 && echo ok"]),
    ("ls-proc-self", ["sh", "-c", "ls /proc/self/exe && readlink /proc/self/exe"]),
]


# The cases that fail on purpose, with the status busybox exits with (test-nt: same mtimes).
FAILING = {"expr-zero": 1, "ls-missing": 1, "cmp-diff": 1, "diff": 1, "tty": 1, "md5sum-missing": 1, "false": 1,
           "test-d": 1, "test-nt": 1, "bracket-false": 1, "mkdir-exists": 1, "rmdir-notempty": 1, "rm-missing": 1}


@pytest.mark.parametrize("name,argv", COMMANDS, ids=[i for i, _ in COMMANDS])
def test_command(name, argv, data):
    applet(argv, data, FAILING.get(name, 0))


def test_tar_listing(data, tmp_path):
    """tar made natively is listed by emulated tar, and the other way round."""
    native_tar = run_native([BB, "tar", "-cf", str(tmp_path / "n.tar"), "sub", "words.txt"], cwd=data, env=ENV)
    emu_tar = run_emu([BB, "tar", "-cf", str(tmp_path / "e.tar"), "sub", "words.txt"], cwd=data, env=ENV)
    assert native_tar.returncode == emu_tar.returncode == 0, emu_tar.stderr
    assert (tmp_path / "n.tar").read_bytes() == (tmp_path / "e.tar").read_bytes()
    applet(["tar", "-tvf", str(tmp_path / "n.tar")], data)


# ----- applets that change the file system ------------------------------------------------------


CHANGES = [
    ("mkdir-p", ["mkdir", "-p", "a/b/c"], None, False),
    ("mkdir-m", ["mkdir", "-m", "700", "newdir"], None, False),
    ("mkdir-exists", ["mkdir", "sub"], None, False),
    ("rmdir", ["rmdir", "emptydir"], None, False),
    ("rmdir-notempty", ["rmdir", "sub"], None, False),
    ("rm", ["rm", "words.txt", "link"], None, False),
    ("rm-r", ["rm", "-r", "sub"], None, False),
    ("rm-missing", ["rm", "missing"], None, False),
    ("mv", ["mv", "words.txt", "renamed.txt"], None, False),
    ("mv-into", ["mv", "nums.txt", "table.csv", "sub"], None, False),
    ("cp", ["cp", "words.txt", "copy.txt"], None, False),
    ("cp-a", ["cp", "-a", "sub", "subcopy"], None, True),
    ("cp-p", ["cp", "-p", "nums.txt", "nums2.txt"], None, True),
    ("ln-s", ["ln", "-s", "sub/inner.txt", "sym"], None, False),
    ("ln", ["ln", "words.txt", "hard"], None, False),
    ("touch-d", ["touch", "-d", "2010-06-07 08:09:10", "words.txt", "brand-new"], None, True),
    ("chmod", ["chmod", "640", "words.txt", "sub/inner.txt"], None, False),
    ("chmod-R", ["chmod", "-R", "go-rwx", "sub"], None, False),
    ("tee", ["tee", "out1.txt", "out2.txt"], b"tee input\nline two\n", False),
    ("gzip", ["gzip", "words.txt"], None, True),
    ("gzip-d", ["sh", "-c", "gzip -9 nums.txt && gunzip nums.txt.gz"], None, False),
    ("tar-x", ["sh", "-c", "tar -cf t.tar sub && mkdir x && cd x && tar -xf ../t.tar"], None, True),
    ("sed-i", ["sed", "-i", "s/alpha/ALPHA/", "words.txt"], None, False),
    ("truncate", ["truncate", "-s", "10", "words.txt"], None, False),
    ("dd-of", ["dd", "if=bin.dat", "of=out.bin", "bs=100", "count=3", "seek=1"], None, False),
]


@pytest.mark.parametrize("name,argv,stdin,mtimes", CHANGES, ids=[c[0] for c in CHANGES])
def test_change(name, argv, stdin, mtimes, data, tmp_path):
    trees = []
    for side in ("native", "emu"):
        root = tmp_path / side
        shutil.copytree(data, root, symlinks=True)
        trees.append(root)
    kw = dict(env=ENV, input=stdin if stdin is not None else b"")
    native = run_native([BB, *argv], cwd=trees[0], **kw)
    emu = run_emu([BB, *argv], cwd=trees[1], **kw)
    assert_same(native, emu, status=FAILING.get(name, 0))
    assert snapshot(trees[1], mtimes) == snapshot(trees[0], mtimes)


def test_enough_applets():
    applets = {a[0] for _, a, _ in FILTERS} | {a[0] for _, a in COMMANDS} | {c[1][0] for c in CHANGES}
    assert len(applets - {"sh"}) >= 30, sorted(applets)
