"""`ccwb-doctor conform PATH... [--param K=V]... [--param-file FILE]... [--format F] [--output FILE]`.

Runs the conform checks (area ``conform``) over the given files and folders, offline. Exit 0 = no
fail and no error, 1 = at least one, 2 = bad usage (a path that does not exist, a bad --param).
"""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.app import emit, run_report
    from ccwb_doctor.cli import input_path_problem
    from ccwb_doctor.model import Status
    from ccwb_doctor.options import OFFLINE, RunOptions, parse_params

    paths = list(getattr(args, "paths", None) or [])
    param_files = list(getattr(args, "param_file", None) or [])
    for p, allow_dir in [*((p, True) for p in paths), *((p, False) for p in param_files)]:
        problem = input_path_problem(p, allow_dir=allow_dir)
        if problem == "no such file":
            problem = "no such file or folder"
        if problem is not None:  # never opened: a FIFO would block the gate forever
            print(f"ccwb-doctor: conform: {p}: {problem}", file=sys.stderr)
            return 2
    try:
        params = parse_params(getattr(args, "param", None))
    except ValueError as exc:
        print(f"ccwb-doctor: conform: {exc}", file=sys.stderr)
        return 2
    options = RunOptions(
        mode=OFFLINE,
        params=params,
        extra={"conform_paths": paths, "conform_param_files": param_files},
    )
    report = run_report(options, only=["conform"], env={})
    inputs = report.facts.peek("conform_inputs") if report.facts is not None else None
    if inputs is not None and nothing_read(inputs):
        # a gate must not pass on what it did not read
        ignored = f" ({len(inputs.ignored)} other file(s) ignored)" if inputs.ignored else ""
        print(
            f"ccwb-doctor: conform: no templates/configs/policies found in {', '.join(paths)}{ignored}",
            file=sys.stderr,
        )
        return 2
    emit(report, getattr(args, "format", None) or "text", getattr(args, "output", None))
    bad = any(r.status in (Status.FAIL, Status.ERROR) for r in report.results)
    return 1 if bad else 0


def nothing_read(inputs) -> bool:  # type: ignore[no-untyped-def]
    """No input was loaded and none failed to load: the gate would check nothing."""
    loaded = (inputs.templates, inputs.policies, inputs.helper_configs, inputs.settings, inputs.claims)
    return not any(loaded) and inputs.scope is None and not inputs.problems
