"""`ccwb-doctor fix [run options] [--only ID,...] [--apply | --undo]`: local repairs, diff first.

Without ``--apply``: a unified diff of every file the fixes would change, grouped by finding; exit 1 when
there is something to fix, 0 when nothing. ``--apply`` writes the changes (backups, journal), re-runs the
affected checks and prints before -> after; exit 0 when they no longer fail. ``--undo`` restores the last
apply. The engine is ``ccwb_doctor.repair``; the fixes are declared beside their checks.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ccwb_doctor.cli import UsageError


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.app import options_from_args, split_ids, write_stdout

    try:
        options = options_from_args(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.undo:
        home = Path(options.home) if options.home else _home()
        text, code = undo_text(home)
        write_stdout(text)
        return code
    only, skip = split_ids(args.only), split_ids(args.skip)
    try:
        text, code = fix_text(options, only, skip, apply=bool(args.apply))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    write_stdout(text)
    return code


def _home() -> Path:
    import os

    return Path(os.environ.get("HOME") or Path.home())


def fix_text(
    options: Any,
    only: list[str] | tuple[str, ...] = (),
    skip: list[str] | tuple[str, ...] = (),
    *,
    apply: bool,
    env: Mapping[str, str] | None = None,
) -> tuple[str, int]:
    """(what to print, exit code) for a plan, and with ``apply`` for writing it and re-running."""
    from ccwb_doctor.repair import apply_plan, make_plan

    plan = make_plan(options, only, skip, env=env)
    text = plan.render(applying=apply)
    if not apply or not plan.pending:
        return text, 1 if plan.pending else 0
    done = apply_plan(plan)
    more, code = after_text(plan, done, options, env)
    return text + more, code


def after_text(plan: Any, done: Any, options: Any, env: Mapping[str, str] | None) -> tuple[str, int]:
    from ccwb_doctor.app import run_report

    lines = [""]
    for c in done.written:
        lines.append(
            f"wrote {c.target}" + (f" (backup {c.target}.ccwb-doctor-{done.stamp}.bak)" if c.before else "")
        )
    for c, why in done.left_alone:
        lines.append(f"left alone {c.target}: {why}")
    affected = sorted({fid for c in done.written for fid in c.findings})
    code = 1 if done.left_alone else 0
    if affected:
        rank = ("pass", "skip", "warn", "fail", "error")
        before: dict[str, str] = {}
        for r in plan.report.results:  # a check with several results: its worst status
            st = str(r.status)
            if rank.index(st) >= rank.index(before.get(r.id, "pass")):
                before[r.id] = st
        again = run_report(options, only=affected, env=env)
        lines.append("")
        lines.append("re-run of the affected checks:")
        for r in again.results:
            lines.append(f"  {r.id}: {before.get(r.id, '?')} -> {r.status}  {r.message}")
            if str(r.status) in ("fail", "error"):
                code = 1
    lines.append("undo with: ccwb-doctor fix --undo" + (f" --home {options.home}" if options.home else ""))
    return "\n".join(lines) + "\n", code


def undo_text(home: Path) -> tuple[str, int]:
    from ccwb_doctor.repair import undo_last

    res = undo_last(home)
    if res.stamp is None:
        return "nothing to undo: no apply is recorded in the journal\n", 0
    lines = [f"undoing the apply of {res.stamp}:"]
    lines += [f"  restored {p}" for p in res.restored]
    lines += [f"  left alone {p}: {why}" for p, why in res.left_alone]
    return "\n".join(lines) + "\n", 1 if res.left_alone else 0
