"""One conform run as data: the same checks as ``ccwb-doctor conform``, as JSON-report dicts (redacted like
every renderer's output). The pytest plugin's ``ccwb_conform`` fixture and its collector use it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class ConformRun:
    """The results of one conform run, as JSON-report dicts (redacted like every renderer's output)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.results: list[dict[str, Any]] = list(doc.get("results", []))

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] in ("fail", "error")]

    def by_id(self, check_id: str) -> list[dict[str, Any]]:
        return [r for r in self.results if r["id"] == check_id]

    def statuses(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for r in self.results:
            out.setdefault(r["id"], set()).add(r["status"])
        return out


def run_conform(
    paths: Sequence[str | Path],
    params: Mapping[str, str] | None = None,
    param_files: Sequence[str | Path] = (),
) -> ConformRun:
    from ccwb_doctor.app import render_report, run_report
    from ccwb_doctor.options import OFFLINE, RunOptions

    missing = [str(p) for p in [*paths, *param_files] if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"ccwb-doctor conform: no such file or folder: {', '.join(missing)}")
    options = RunOptions(
        mode=OFFLINE,
        params=dict(params or {}),
        extra={
            "conform_paths": [str(p) for p in paths],
            "conform_param_files": [str(p) for p in param_files],
        },
    )
    report = run_report(options, only=["conform"], env={})
    return ConformRun(json.loads(render_report(report, "json")))
