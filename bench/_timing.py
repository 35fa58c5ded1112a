"""Shared timing helpers for the benches: wall-clock medians of whole processes."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence


def wall(cmd: Sequence[str], runs: int = 15, env: dict[str, str] | None = None, warmup: int = 2) -> float:
    """Median wall seconds of running ``cmd`` to completion."""
    times = []
    for i in range(runs + warmup):
        t0 = time.perf_counter()
        subprocess.run(list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def baseline(runs: int = 15) -> float:
    return wall([sys.executable, "-I", "-c", "pass"], runs)


def script(name: str) -> str:
    """The console script installed beside this interpreter."""
    path = os.path.join(os.path.dirname(sys.executable), name)
    return path if os.path.exists(path) else name
