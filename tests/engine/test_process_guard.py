"""The process guard fails a session that leaves a process behind, and kills what was left."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

LEAKY = """
import subprocess, sys

def test_leaks_a_grandchild(tmp_path):
    # a child that starts a grandchild and exits: the grandchild is orphaned
    subprocess.run([sys.executable, "-c",
        "import subprocess, sys; p = subprocess.Popen(['sleep', '300']); open(sys.argv[1], 'w').write(str(p.pid))",
        str(tmp_path.parent.parent / "pid")], check=True)
    assert True

def test_spawn_cleans_up_even_when_the_test_fails(spawn, tmp_path):
    p = spawn(["sleep", "300"], start_new_session=True)
    (tmp_path.parent.parent / "spawned").write_text(str(p.pid))
    assert False, "fails on purpose"
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_leaking_session_fails_and_its_leftovers_are_killed(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(LEAKY)
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "process_guard",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(tmp_path / "bt"),
            str(tmp_path / "test_leaky.py"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed, 1 passed" in r.stdout
    assert "process guard: 1 process(es)" in r.stdout and "sleep 300" in r.stdout
    orphan = int((tmp_path / "pid").read_text())
    spawned = int((tmp_path / "spawned").read_text())
    deadline = time.monotonic() + 10
    while (_alive(orphan) or _alive(spawned)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(orphan) and not _alive(spawned)
