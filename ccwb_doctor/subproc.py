"""Run another program with a deadline, and leave nothing of it behind.

``subprocess.run(..., timeout=)`` kills only the direct child: a helper that is a shell script (``sh``
running ``sleep``, a Go binary's browser listener, ``npx …``) leaves its children running after the
doctor gave up on it. Here each program starts in its own process group (POSIX), and on timeout the
whole group is killed before ``TimeoutExpired`` is raised. Same call shape as ``subprocess.run`` for
the arguments the doctor uses; never raises ``CalledProcessError``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from typing import Any

POSIX = sys.platform != "win32"


def run(
    args: Any, *, timeout: float, capture_output: bool = False, **kw: Any
) -> subprocess.CompletedProcess[Any]:
    kw.pop("check", None)
    if capture_output:
        kw["stdout"] = kw["stderr"] = subprocess.PIPE
    if POSIX:
        kw.setdefault("process_group", 0)
    with subprocess.Popen(args, **kw) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            raise
        except BaseException:
            kill_group(proc)
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the process and its group (what it started and did not move elsewhere)."""
    if POSIX:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()
