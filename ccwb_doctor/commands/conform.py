"""`ccwb-doctor conform PATH... [--param K=V]... [--param-file FILE]... [--format F] [--output FILE]`.

Runs the conform checks (area ``conform``) over the given files and folders, offline. Exit 0 = no
fail and no error, 1 = at least one, 2 = bad usage (a path that does not exist, a bad --param).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.app import emit, run_report
    from ccwb_doctor.model import Status
    from ccwb_doctor.options import OFFLINE, RunOptions, parse_params

    paths = list(getattr(args, "paths", None) or [])
    for p in [*paths, *(getattr(args, "param_file", None) or [])]:
        if not Path(p).exists():
            print(f"ccwb-doctor: conform: {p}: no such file or folder", file=sys.stderr)
            return 2
    try:
        params = parse_params(getattr(args, "param", None))
    except ValueError as exc:
        print(f"ccwb-doctor: conform: {exc}", file=sys.stderr)
        return 2
    options = RunOptions(
        mode=OFFLINE,
        params=params,
        extra={"conform_paths": paths, "conform_param_files": list(getattr(args, "param_file", None) or [])},
    )
    report = run_report(options, only=["conform"], env={})
    emit(report, getattr(args, "format", None) or "text", getattr(args, "output", None))
    bad = any(r.status in (Status.FAIL, Status.ERROR) for r in report.results)
    return 1 if bad else 0
