"""`ccwb-doctor fleet REPORT|DIR... [--since OLD_DIR] [--stale-hours N] [--format ...] [--output FILE]`.

Reads many schema-v1 reports (JSON, or the Markdown of ``ccwb-doctor report`` with its embedded JSON) and
OTLP JSON files of results exported with ``--export otlp`` (a collector's file exporter output: one
report per machine, its newest run), given as files or directories searched recursively for ``*.json`` /
``*.jsonl`` / ``*.md``, and prints one fleet summary
(``analyzers.fleet``). It streams: files are read and digested in batches, by worker processes when there
is more than one batch and more than one CPU, and folded one at a time; only the digests' counters stay.
An unreadable or invalid input is counted and named (the first few), never fatal. The fleet document is
redacted like a report (``analyzers.redact``) before any format renders it.

Exit codes: 0 = every report read and none has a FAIL or ERROR; 1 = some report fails, or some input could
not be read; 2 = no path given, or nothing readable (one line on stderr).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ccwb_doctor.cli import UsageError

SUFFIXES = (".json", ".jsonl", ".md", ".markdown")
MAX_BYTES = 64 * 1024 * 1024
BATCH = 200

Item = tuple[str, str]  # (key, path)


def walk(paths: list[str]) -> Iterator[tuple[str, str, str | None]]:
    """(key, path, problem) for every input, in a stable order; directories are searched recursively.

    The key matches a report across snapshots: its path relative to the directory given, or the file name.
    """
    for given in paths:
        try:
            st = os.stat(given)
        except (OSError, ValueError) as exc:
            yield given, given, f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield os.path.basename(given.rstrip("/")) or given, given, None
            continue
        for root, dirs, files in os.walk(given):
            dirs.sort()
            for name in sorted(files):
                if name.lower().endswith(SUFFIXES) and not name.startswith("."):
                    path = os.path.join(root, name)
                    yield os.path.relpath(path, given).replace(os.sep, "/"), path, None


def _read(path: str) -> bytes:
    from ccwb_doctor.analyzers.fleet.digest import BadReport

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise BadReport(f"cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise BadReport("is not a regular file")
        if st.st_size > MAX_BYTES:
            raise BadReport(f"is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        try:
            return fh.read()
        except OSError as exc:
            raise BadReport(f"cannot be read ({exc.strerror or exc})") from None


def digest_batch(batch: list[tuple[str, str, str | None]]) -> list[tuple[str, Any, str | None]]:
    """Worker: each (key, path, problem) → (key, Digest or None, reason or None); an OTLP JSON file gives
    one digest per machine in it, keyed ``<key>#host-<pseudonymous id>``."""
    from ccwb_doctor.analyzers.fleet.digest import BadReport, parse_all

    out: list[tuple[str, Any, str | None]] = []
    for key, path, problem in batch:
        if problem is not None:
            out.append((key, None, problem))
            continue
        try:
            out.extend((key + suffix, dg, None) for suffix, dg in parse_all(_read(path)))
        except BadReport as exc:
            out.append((key, None, str(exc)))
    return out


def _batches(paths: list[str]) -> Iterator[list[tuple[str, str, str | None]]]:
    batch: list[tuple[str, str, str | None]] = []
    for item in walk(paths):
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def stream(paths: list[str], workers: int | None = None) -> Iterator[tuple[str, Any, str | None]]:
    """Digests in input order; a bounded window of batches in flight (never the whole corpus)."""
    batches = _batches(paths)
    first = next(batches, None)
    if first is None:
        return
    second = next(batches, None)
    n = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if second is None or n <= 1:
        yield from digest_batch(first)
        if second is not None:
            yield from digest_batch(second)
            for b in batches:
                yield from digest_batch(b)
        return
    import itertools
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=n) as pool:
        window: deque[Any] = deque()
        for b in itertools.chain((first, second), batches):
            window.append(pool.submit(digest_batch, b))
            if len(window) >= 2 * n:
                yield from window.popleft().result()
        while window:
            yield from window.popleft().result()


def _now(value: str | None) -> float:
    if value is None:
        return time.time()
    from ccwb_doctor.analyzers.fleet.digest import BadReport, parse_time

    try:
        return parse_time(value)
    except BadReport:
        raise UsageError(f"--now: not an RFC 3339 time: {value!r}") from None


def build(args: argparse.Namespace) -> dict[str, Any]:
    """The redacted fleet document; UsageError when nothing is readable."""
    from ccwb_doctor import __version__
    from ccwb_doctor.analyzers.fleet.aggregate import Baseline, FleetAggregator
    from ccwb_doctor.analyzers.redact.secrets import scrub

    workers = getattr(args, "workers", None)
    baseline = None
    if args.since:
        baseline = Baseline()
        for key, dg, _reason in stream([args.since], workers):
            if dg is None:
                baseline.add_bad()
            else:
                baseline.add(key, dg)
        if not baseline.reports:
            raise UsageError(f"--since {args.since}: no readable report there")
    agg = FleetAggregator(now=_now(args.now), stale_hours=args.stale_hours, baseline=baseline)
    for key, dg, reason in stream(list(args.paths), workers):
        if dg is None:
            agg.add_bad(key, reason or "unreadable")
        else:
            agg.add(key, dg)
    if not agg.reports:
        first = f": {agg.bad_examples[0][0]}: {agg.bad_examples[0][1]}" if agg.bad_examples else ""
        raise UsageError(
            f"fleet: no readable report in {', '.join(args.paths)} ({agg.unreadable.count} unreadable{first})"
        )
    return scrub(agg.document(__version__))


def render(doc: dict[str, Any], fmt: str) -> str:
    from ccwb_doctor.render import fleet

    if fmt == "html":
        from ccwb_doctor.render import fleet_html

        return fleet_html.render(doc)
    return {"text": fleet.text, "json": fleet.json_render, "markdown": fleet.markdown}[fmt](doc)


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.app import write_output, write_stdout

    if args.stale_hours < 0:
        raise UsageError("--stale-hours must be 0 or more")
    doc = build(args)
    text = render(doc, args.format)
    if args.output and args.output != "-":
        write_output(Path(args.output), text)
        t = doc["totals"]
        print(
            f"ccwb-doctor: wrote {args.output} ({t['reports']} reports, {t['failing']} failing, "
            f"{t['unreadable']} unreadable)",
            file=sys.stderr,
        )
    else:
        write_stdout(text)
    return 1 if doc["totals"]["failing"] or doc["totals"]["unreadable"] else 0
