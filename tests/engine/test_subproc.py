"""subproc.run: a timed-out program's whole process group dies with it (a shell's children included)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccwb_doctor import subproc

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_timeout_kills_the_shells_children(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    script = f"sleep 30 & echo $! > {pidfile}; wait"
    t0 = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        subproc.run(["/bin/sh", "-c", script], timeout=1.0, capture_output=True)
    assert time.monotonic() - t0 < 10
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "the helper's child outlived the timeout"


def test_completed_run_matches_subprocess_run() -> None:
    argv = [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"]
    ours = subproc.run(argv, timeout=30, capture_output=True, text=True, check=False)
    theirs = subprocess.run(argv, timeout=30, capture_output=True, text=True, check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    assert ours.args == argv


def test_shell_command_and_missing_program() -> None:
    assert subproc.run("echo hi", shell=True, timeout=30, capture_output=True).stdout == b"hi\n"
    with pytest.raises(FileNotFoundError):
        subproc.run(["/nonexistent/helper"], timeout=5, capture_output=True)
