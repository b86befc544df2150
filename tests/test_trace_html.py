"""`elfemu trace --html FILE` (emulator/trace/html.py): the fork demo's timeline, opened in a real
headless browser (Debian's chromium), shows every process: its DOM has a lane per process with
the right parents, and its screenshot has each lane's colour on screen."""

import re

from tests.conftest import chromium, need_tool, png_pixels, run_emu, run_native, sample


def test_fork_demo_timeline_in_chromium(tmp_path):
    prog = sample("glibc", "fork_fork")
    native = run_native([prog])
    assert native.returncode == 0 and len(native.stdout.splitlines()) == 4  # the demo did fork twice
    page = tmp_path / "fork.html"
    emu = run_emu([prog], "trace", ["--html", str(page)])
    assert emu.returncode == 0, emu.stderr
    assert sorted(len(line.split()) for line in emu.stdout.decode().splitlines()) == [2, 2, 2, 2]
    text = page.read_text()
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text  # offline

    dom = chromium(page.as_uri(), "--dump-dom").stdout
    lanes = re.findall(r'<g class="lane" data-pid="(\d+)" data-parent="(\d+)" style="--c:(#[0-9a-f]{6})">', dom)
    assert len(lanes) == 4, dom[:2000]
    pids = {int(pid) for pid, _parent, _colour in lanes}
    root = int(lanes[0][0])
    assert int(lanes[0][1]) == 0 and all(int(parent) in pids for _pid, parent, _c in lanes[1:])
    assert sum(int(parent) == root for _pid, parent, _c in lanes) == 2  # x = fork(); y = fork() in main
    assert len(re.findall(r'class="ev fork"', dom)) == 3
    for pid in pids:
        assert re.search(rf">pid {pid} fork_fork</text>", dom)
    assert re.search(r'<tr data-seq="\d+"><td[^>]*>\d+</td><td>write\(1, "0 0\\n", 4\) = 4</td></tr>', dom)

    shot = tmp_path / "fork.png"
    chromium(page.as_uri(), "--window-size=1000,500", f"--screenshot={shot}")
    width, height, rows = png_pixels(shot)
    bpp = len(rows[0]) // width
    seen = {bytes(row[x * bpp:x * bpp + 3]) for row in rows[:height] for x in range(width)}
    for _pid, _parent, colour in lanes:  # every lane is drawn, in its own colour
        assert bytes.fromhex(colour[1:]) in seen, colour


def test_exec_and_fork_branches_and_exit_status(tmp_path):
    """A shell that forks a child which execs: the child's lane branches from the shell's fork
    and names both programs; elfemu exits with the guest's status; the user's -o file is kept."""
    busybox = need_tool("busybox")
    native = run_native([busybox, "sh", "-c", "/usr/bin/env -i HELLO=WORLD /usr/bin/env; exit 3"])
    assert native.returncode == 3 and native.stdout == b"HELLO=WORLD\n"
    page, text = tmp_path / "sh.html", tmp_path / "sh.txt"
    emu = run_emu([busybox, "sh", "-c", "/usr/bin/env -i HELLO=WORLD /usr/bin/env; exit 3"], "trace",
                  ["-o", str(text), f"--html={page}"])
    assert (emu.returncode, emu.stdout) == (3, native.stdout), emu.stderr
    html = page.read_text()
    lanes = re.findall(r'<g class="lane" data-pid="(\d+)" data-parent="(\d+)"', html)
    assert len(lanes) == 2 and lanes[1][1] == lanes[0][0]
    assert re.search(rf">pid {lanes[1][0]} busybox → env → env</text>", html), html[:3000]
    assert len(re.findall(r'class="ev exec"', html)) == 3 and len(re.findall(r'class="ev fork"', html)) == 1
    assert "+++ exited with 3 +++" in html and "+++ exited with 3 +++" in text.read_text()
