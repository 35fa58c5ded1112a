"""Runs selected checks concurrently with a per-check timeout; a crash or a hang becomes an ERROR result.

Workers are daemon threads so that a hung check can never keep the process alive past its timeout.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from ccwb_doctor.model import InputError, Outcome, Result, Status, error
from ccwb_doctor.registry import Check

DEFAULT_TIMEOUT = 30.0
MAX_WORKERS = 8


def one_line(exc: BaseException) -> str:
    """A one-line reason for an exception, naming its type unless it is an InputError."""
    if isinstance(exc, InputError):
        return str(exc)
    text = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {text}"[:500]


def _normalise(value: Any) -> list[Outcome]:
    if isinstance(value, Outcome):
        return [value]
    if value is None:
        raise TypeError("check returned nothing")
    outs = list(value) if isinstance(value, Iterable) else [value]
    if not outs or not all(isinstance(o, Outcome) for o in outs):
        raise TypeError("check must return one or more Outcome values")
    return outs


def run_one(chk: Check, facts: Any) -> list[Result]:
    start = time.perf_counter()
    try:
        outs = _normalise(chk.fn(facts))
    except Exception as exc:  # noqa: BLE001 - any crash becomes an ERROR result
        outs = [error(one_line(exc))]
    ms = (time.perf_counter() - start) * 1000
    return [Result.from_outcome(chk.meta, o, ms / len(outs)) for o in outs]


def run_checks(
    checks: Sequence[Check],
    facts: Any,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int = MAX_WORKERS,
) -> list[Result]:
    """Run checks; return results in the order of ``checks`` (catalog order)."""
    if not checks:
        return []
    done: queue.Queue[tuple[int, list[Result]]] = queue.Queue()
    started: dict[int, float] = {}
    lock = threading.Lock()
    pending = list(enumerate(checks))
    pending_lock = threading.Lock()

    def worker() -> None:
        while True:
            with pending_lock:
                if not pending:
                    return
                idx, chk = pending.pop(0)
            with lock:
                started[idx] = time.monotonic()
            done.put((idx, run_one(chk, facts)))

    for _ in range(max(1, min(workers, len(checks)))):
        threading.Thread(target=worker, daemon=True, name="ccwb-check").start()

    results: dict[int, list[Result]] = {}
    timed_out: set[int] = set()
    while len(results) < len(checks):
        with lock:
            deadlines = [t + timeout for i, t in started.items() if i not in results and i not in timed_out]
        wait = max(0.0, min(deadlines) - time.monotonic()) if deadlines else timeout
        try:
            idx, res = done.get(timeout=min(wait, timeout) + 0.001)
            if idx not in timed_out:
                results[idx] = res
            continue
        except queue.Empty:
            pass
        now = time.monotonic()
        with lock:
            expired = [
                i
                for i, t in started.items()
                if i not in results and i not in timed_out and now - t >= timeout
            ]
        for i in expired:
            timed_out.add(i)
            chk = checks[i]
            msg = f"timed out after {timeout:g} s"
            results[i] = [Result.from_outcome(chk.meta, Outcome(Status.ERROR, msg), timeout * 1000)]
        # A hung check holds a worker; start a replacement so the rest keep going.
        for _ in expired:
            threading.Thread(target=worker, daemon=True, name="ccwb-check").start()
    return [r for i in range(len(checks)) for r in results[i]]
