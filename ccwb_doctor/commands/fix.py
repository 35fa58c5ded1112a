"""`ccwb-doctor fix [run options] [--only ID,...] [--apply | --undo] [--format text|json]`: local repairs, diff first.

Without ``--apply``: a unified diff of every file the fixes would change and the commands they would run,
grouped by finding; exit 1 when there is something to fix, 0 when nothing. ``--apply`` writes the changes
(backups, journal), runs the commands, re-runs the affected checks and prints before -> after; exit 0 when
they no longer fail. ``--undo`` restores the last apply. ``--format json`` prints the same as one
``ccwb-doctor/fix/v1`` document. The engine is ``ccwb_doctor.repair``; the fixes are declared beside their
checks; the output (redacted) is ``ccwb_doctor.repair_doc``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ccwb_doctor.cli import UsageError


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.app import options_from_args, split_ids, write_output, write_stdout

    fmt = getattr(args, "format", "text") or "text"
    try:
        options = options_from_args(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.undo:
        home = Path(options.home) if options.home else _home()
        text, code = undo_text(home, fmt=fmt)
    else:
        only, skip = split_ids(args.only), split_ids(args.skip)
        try:
            text, code = fix_text(options, only, skip, apply=bool(args.apply), fmt=fmt)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    output = getattr(args, "output", None)
    if output and output != "-":
        write_output(Path(output), text)
    else:
        write_stdout(text)
    return code


def _home() -> Path:
    import os

    return Path(os.environ.get("HOME") or Path.home())


def fix_doc(
    options: Any,
    only: list[str] | tuple[str, ...] = (),
    skip: list[str] | tuple[str, ...] = (),
    *,
    apply: bool,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The redacted ``ccwb-doctor/fix/v1`` document of a plan, and with ``apply`` of writing it and
    re-running the affected checks (``overrides``: fact values to use instead of gathering them)."""
    from ccwb_doctor.repair import apply_plan, make_plan
    from ccwb_doctor.repair_doc import applied_section, plan_doc, redact

    plan = make_plan(options, only, skip, env=env, facts=_facts(options, env, overrides))
    doc = plan_doc(plan)
    sources: list[Any] = [plan]
    if apply and plan.todo:
        doc["action"] = "apply"
        done = apply_plan(plan)
        recheck, code, again = _recheck(plan, done, options, env, overrides)
        undo = "ccwb-doctor fix --undo" + (f" --home {options.home}" if options.home else "")
        doc["applied"] = applied_section(done, recheck, undo)
        doc["exit_code"] = code
        if again is not None:
            sources.append(again)
    out = doc
    for src in sources:  # every secret either run of the facts saw
        out = redact(out, src)
    return out


def _facts(options: Any, env: Mapping[str, str] | None, overrides: Mapping[str, Any] | None) -> Any:
    if not overrides:
        return None
    from ccwb_doctor.facts import Facts

    return Facts(options, env=env, overrides=overrides)


def _recheck(
    plan: Any, done: Any, options: Any, env: Mapping[str, str] | None, overrides: Mapping[str, Any] | None
) -> tuple[list[dict[str, Any]], int, Any]:
    from ccwb_doctor.app import run_report

    affected = sorted({fid for x in [*done.written, *done.ran] for fid in x.findings})
    code = 1 if done.left_alone else 0
    if not affected:
        return [], code, None
    rank = ("pass", "skip", "warn", "fail", "error")
    before: dict[str, str] = {}
    for r in plan.report.results:  # a check with several results: its worst status
        st = str(r.status)
        if rank.index(st) >= rank.index(before.get(r.id, "pass")):
            before[r.id] = st
    again = run_report(options, only=affected, env=env, facts=_facts(options, env, overrides))
    out = []
    for r in again.results:
        out.append(
            {"id": r.id, "before": before.get(r.id, "?"), "after": str(r.status), "message": r.message}
        )
        if str(r.status) in ("fail", "error"):
            code = 1
    return out, code, again


def fix_text(
    options: Any,
    only: list[str] | tuple[str, ...] = (),
    skip: list[str] | tuple[str, ...] = (),
    *,
    apply: bool,
    env: Mapping[str, str] | None = None,
    fmt: str = "text",
    overrides: Mapping[str, Any] | None = None,
) -> tuple[str, int]:
    """(what to print, exit code) for a plan, and with ``apply`` for writing it and re-running."""
    from ccwb_doctor.repair_doc import render_json, render_text

    doc = fix_doc(options, only, skip, apply=apply, env=env, overrides=overrides)
    return (render_json(doc) if fmt == "json" else render_text(doc)), int(doc["exit_code"])


def undo_text(home: Path, *, fmt: str = "text", env: Mapping[str, str] | None = None) -> tuple[str, int]:
    from ccwb_doctor.repair import undo_last
    from ccwb_doctor.repair_doc import redact, render_json, render_text, undo_doc

    doc = redact(undo_doc(home, undo_last(home, env=env)))
    return (render_json(doc) if fmt == "json" else render_text(doc)), int(doc["exit_code"])
