"""`ccwb-doctor sandbox [--break PITFALL] [--keep] [--format F] [--output FILE] [--only/--skip IDS]`.

Starts the whole system on loopback (fixtures.sandbox), optionally breaks it one known way, runs the
full doctor in ``--live`` mode over the sandbox's developer HOME and prints the report. Progress goes to
stderr, the report to stdout (or ``--output``); the exit code is the doctor's. ``--keep`` leaves
everything running and prints the environment to reuse it from another shell until Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
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
        emit(report, args.format, args.output, verbose=verbose)
        if pitfall:
            root = sandbox_breaks.PITFALLS[pitfall].root
            found = any(r.id == root and str(r.status) == "fail" for r in report.results)
            _say(f"root cause {root}: {'found (FAIL above)' if found else 'not selected or not found'}")
        _say(f"done in {time.monotonic() - t0:.1f} s")
        if args.keep:
            _keep(sb)
        return report.exit_code
    finally:
        sb.stop()


def _keep(sb: Any) -> None:
    print("\n# the sandbox stays up until Ctrl-C; in another shell:", file=sys.stderr)
    print(sb.shell_exports(), file=sys.stderr, flush=True)
    stop = threading.Event()
    while not stop.wait(3600):  # bounded waits; Ctrl-C (or SIGTERM) ends it
        pass
