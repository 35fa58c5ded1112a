"""Test hygiene: no process the suite started outlives it, and the tests have a fixture that makes sure.

- ``spawn`` (a fixture): ``subprocess.Popen`` whose processes are stopped when the test ends, passed or
  failed: SIGTERM (to the whole group for ``start_new_session``), then SIGKILL after a grace period.
- A session guard: the pytest process becomes a child subreaper (Linux), so a grandchild orphaned by
  a killed child is re-parented to it instead of vanishing from view. When the session ends, every live
  descendant is listed, killed, and the run fails (exit 1) naming them.

Loaded by ``tests/conftest.py`` (``pytest_plugins``); a plain module so that a test can load it into a
pytest run of its own (``-p process_guard``) to prove the guard fails a leaking session.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PR_SET_CHILD_SUBREAPER = 36
GRACE = 5.0


def stop(proc: subprocess.Popen[Any], grace: float = GRACE) -> None:
    """Stop ``proc`` (and its group when it leads one); bounded: at most ``2 * grace`` seconds."""
    if proc.poll() is None:
        group = _leads_group(proc.pid)
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig) if group else proc.send_signal(sig)
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except OSError:
        return False


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[Any]]]:
    procs: list[subprocess.Popen[Any]] = []

    def _spawn(argv: list[str], **kw: Any) -> subprocess.Popen[Any]:
        proc = subprocess.Popen(argv, **kw)
        procs.append(proc)
        return proc

    yield _spawn
    for proc in procs:
        stop(proc)


def _become_subreaper() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def live_descendants(root: int) -> list[int]:
    """Live (not zombie) descendants of ``root``, from /proc; [] where there is no /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self").exists() else []:
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None and st[1] != "Z":
                parents.setdefault(st[0], []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _reap_zombies() -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        for _ in range(10_000):  # bounded: one per zombie child
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break


def pytest_sessionstart(session: pytest.Session) -> None:
    _become_subreaper()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _reap_zombies()
    left = live_descendants(os.getpid())
    if not left:
        return
    names = [f"{pid}: {_cmdline(pid)[:200]}" for pid in left]
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    _reap_zombies()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"process guard: {len(left)} process(es) started by the tests were still running (killed now):"]
    lines += [f"  {n}" for n in names]
    if reporter is not None:
        for line in lines:
            reporter.write_line(line, red=True)
    else:
        print("\n".join(lines), file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
