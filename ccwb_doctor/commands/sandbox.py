"""`ccwb-doctor sandbox [--break PITFALL] [--fix] [--keep] [--claude [PATH|auto]] [--format F] [--output FILE] [--only/--skip IDS]`
and `ccwb-doctor sandbox --fleet N` (N simulated developers exporting to the sandbox collector, then the fleet view).

Starts the whole system on loopback (fixtures.sandbox), optionally breaks it one known way, runs the
full doctor in ``--live`` mode over the sandbox's developer HOME and prints the report. Progress goes to
stderr, the report to stdout (or ``--output``); the exit code is the doctor's. ``--keep`` leaves
everything running and prints the environment to reuse it from another shell until Ctrl-C. ``--fix``
applies the local fixes (``ccwb-doctor fix --apply``) after the first run and reports the doctor again. ``--claude``
then runs the real ``claude -p`` against the sandbox (fixtures.claude_code: clean environment,
nonessential traffic off, bounded time) and shows what Claude Code did beside the doctor's verdict.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ccwb_doctor.cli import UsageError

MISSING_EXTRA = (
    "the sandbox needs the AWS emulator: install the extra with  pip install 'ccwb-doctor[sandbox]'  ({})"
)


def _say(line: str) -> None:
    print(f"sandbox: {line}", file=sys.stderr, flush=True)


def _term_as_interrupt() -> None:
    """SIGTERM cleans up like Ctrl-C (stop the servers, remove the temporary HOME)."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.app import emit, split_ids

    if getattr(args, "fleet", None):
        return _fleet(args)
    pitfall = args.break_
    try:
        from ccwb_doctor.fixtures import sandbox_breaks
        from ccwb_doctor.fixtures.sandbox import Sandbox, SandboxError
    except ModuleNotFoundError as exc:  # moto / trustme not installed
        raise UsageError(MISSING_EXTRA.format(exc.name)) from None
    if pitfall in ("list", "help"):
        print(sandbox_breaks.as_json() if args.format == "json" else sandbox_breaks.describe())
        return 0
    if pitfall is not None and pitfall not in sandbox_breaks.PITFALLS:
        raise UsageError(f"--break {pitfall}: unknown pitfall (one of: {', '.join(sandbox_breaks.PITFALLS)})")
    only, skip = split_ids(args.only), split_ids(args.skip)
    claude = _claude_binary(getattr(args, "claude", None))
    verbose = bool(getattr(args, "verbose", False))
    _term_as_interrupt()
    t0 = time.monotonic()
    _say("starting the IdP, the AWS emulator and the collector on 127.0.0.1 ...")
    try:
        sb = Sandbox(pitfall=pitfall, keep_files=verbose).start()
    except ModuleNotFoundError as exc:
        raise UsageError(MISSING_EXTRA.format(exc.name)) from None
    except SandboxError as exc:
        print(f"ccwb-doctor: sandbox: {exc}", file=sys.stderr)
        return 2
    try:
        for note in sb.notes:
            _say(note)
        if verbose:
            _say(f"logs       {sb.emulator_log} (the AWS emulator's own log; kept with {sb.root})")
        if pitfall:
            p = sandbox_breaks.PITFALLS[pitfall]
            _say(f"break      {pitfall}: {p.change}")
            _say(f"symptom    {p.story}")
        assert sb.login is not None
        _say(f"sign-in    {'ok: ' if sb.login.ok else 'FAILED: '}{sb.login.message}")
        _say(f"running    ccwb-doctor --live over the sandbox HOME (set up in {time.monotonic() - t0:.1f} s)")
        try:
            report = sb.doctor(only=only, skip=skip, timeout=args.timeout)
        except ValueError as exc:  # an unknown check id or area in --only/--skip
            raise UsageError(str(exc)) from None
        fix = bool(getattr(args, "fix", False))
        if not fix:
            emit(report, args.format, args.output, verbose=verbose)
        if pitfall:
            root = sandbox_breaks.PITFALLS[pitfall].root
            found = any(r.id == root and str(r.status) == "fail" for r in report.results)
            where = "FAIL: see 'before fix'" if fix else "FAIL above"
            _say(f"root cause {root}: {f'found ({where})' if found else 'not selected or not found'}")
        if fix:
            report = _fix(sb, report, only, skip, args.timeout)
            emit(report, args.format, args.output, verbose=verbose)
        if claude is not None:
            _witness(sb, claude, report, pitfall)
        _say(f"done in {time.monotonic() - t0:.1f} s")
        if args.keep:
            _keep(sb)
        return report.exit_code
    finally:
        sb.stop()


def _fleet(args: argparse.Namespace) -> int:
    """``--fleet N``: N simulated developers export to the sandbox collector; the fleet view of what it
    received (summary on stdout or --output, the HTML page beside the collector's file). Exit 0 when every
    run reached the collector and the fleet counts every developer, else 1."""
    from ccwb_doctor.app import write_output, write_stdout
    from ccwb_doctor.commands import fleet as fleet_cmd

    if args.break_ or args.fix or args.keep or getattr(args, "claude", None):
        raise UsageError("--fleet runs on its own: no --break, --fix, --keep or --claude with it")
    if args.format not in ("text", "json", "markdown"):
        raise UsageError(f"--fleet prints the fleet summary as text, json or markdown, not {args.format}")
    try:
        from ccwb_doctor.fixtures.sandbox_fleet import FleetSandbox
    except ModuleNotFoundError as exc:
        raise UsageError(MISSING_EXTRA.format(exc.name)) from None
    _term_as_interrupt()
    t0 = time.monotonic()
    with FleetSandbox(args.fleet, timeout=min(float(args.timeout), 20.0)) as fs:
        _say(f"collector  {fs.collector.endpoint} (TLS, sandbox CA) -> {fs.otlp_file}")
        _say(
            f"fleet      {args.fleet} developers: guidance installs on mixed platforms, every 4th with a pitfall"
        )
        team = fs.run()
    sent = sum(d.exported for d in team)
    _say(f"exported   {sent}/{len(team)} runs in {time.monotonic() - t0:.1f} s")
    for d in [d for d in team if not d.exported][:3]:
        _say(f"export     developer {d.index} ({d.install}) failed: {d.line}")
    ns = argparse.Namespace(paths=[str(fs.otlp_file)], since=None, stale_hours=24.0, now=None, workers=1)
    doc = fleet_cmd.build(ns)
    page = fs.root / "fleet.html" if fs.root is not None else None
    if page is not None:
        write_output(page, fleet_cmd.render(doc, "html"))
        _say(f"fleet page {page}")
    text = fleet_cmd.render(doc, args.format)
    if args.output and args.output != "-":
        write_output(Path(args.output), text)
    else:
        write_stdout(text)
    _say(f"done in {time.monotonic() - t0:.1f} s")
    return 0 if sent == len(team) and doc["totals"]["reports"] == len(team) else 1


def _fix(sb: Any, before: Any, only: list[str], skip: list[str], timeout: float) -> Any:
    """``--fix``: what failed, the local fixes applied (``ccwb-doctor fix --apply``), the doctor again."""
    from ccwb_doctor.commands.fix import fix_text

    for r in before.results:
        if str(r.status) in ("fail", "error"):
            _say(f"before fix {r.id} {str(r.status).upper()}: {r.message[:200]}")
    text, _ = fix_text(sb.options(timeout=timeout), apply=True, env=sb.env)
    for line in text.rstrip("\n").splitlines():
        _say(f"fix        {line}")
    _say("running    ccwb-doctor --live again after the fix")
    after = sb.doctor(only=only, skip=skip, timeout=timeout)
    bad = [r.id for r in after.results if str(r.status) in ("fail", "error")]
    _say(f"after fix  {'green: no FAIL, no ERROR' if not bad else 'still failing: ' + ', '.join(bad)}")
    return after


def _keep(sb: Any) -> None:
    print("\n# the sandbox stays up until Ctrl-C; in another shell:", file=sys.stderr)
    print(sb.shell_exports(), file=sys.stderr, flush=True)
    stop = threading.Event()
    while not stop.wait(3600):  # bounded waits; Ctrl-C (or SIGTERM) ends it
        pass


def _claude_binary(spec: str | None) -> Any:
    """The Claude Code binary ``--claude`` names (None without the option); exit 2 when there is none."""
    if spec is None:
        return None
    from ccwb_doctor.fixtures.claude_code import ClaudeNotFound, find_claude

    try:
        return find_claude(spec)
    except ClaudeNotFound as exc:
        raise UsageError(str(exc)) from None


def _witness(sb: Any, binary: Any, report: Any, pitfall: str | None) -> None:
    """Run the real ``claude -p`` and put what it did next to the doctor's verdict."""
    from ccwb_doctor.fixtures import claude_code, sandbox_breaks

    ver = claude_code.version(binary) or "version unknown"
    _say(
        f"claude     {binary} ({ver}): claude -p {claude_code.PROMPT!r} with the sandbox's environment only, "
        f"nonessential traffic off, at most {claude_code.TIMEOUT:.0f} s"
    )
    run = claude_code.run_prompt(sb, binary)
    if run.calls:
        _say(f"calls      {claude_code.summarize(run.calls)}")
    if run.ok:
        _say(f"claude     answered in {run.seconds:.1f} s: {run.answer[:200]!r}")
    else:
        _say(f"claude     FAILED in {run.seconds:.1f} s: {run.error_line}")
        _say(f"class      {claude_code.error_class(run.error_line) or 'unclassified'}")
    failed = [r for r in report.results if str(r.status) == "fail"]
    if pitfall:
        root = sandbox_breaks.PITFALLS[pitfall].root
        named = next((r for r in failed if r.id == root), None)
        verdict = f"{root}: {named.message[:300]}" if named else f"{root} did not fail"
        _say(f"doctor     root cause {verdict}")
        if run.ok:
            _say("verdict    Claude Code survived this break: the doctor's FAIL is not a breakage here")
        else:
            _say(
                "verdict    Claude Code fails, and the doctor named the cause"
                if named
                else "verdict    MISMATCH"
            )
    elif failed:
        _say(f"doctor     {len(failed)} FAIL(s); Claude Code {'answered anyway' if run.ok else 'failed too'}")
    else:
        _say(
            "verdict    healthy: Claude Code answered, as the doctor predicts"
            if run.ok
            else "verdict    MISMATCH: the doctor found no problem but Claude Code failed"
        )
