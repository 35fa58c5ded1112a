"""The report: results plus run metadata, as the schema-v1 dictionary every renderer starts from."""

from __future__ import annotations

import os
import sys
from dataclasses import field
from datetime import UTC, datetime
from typing import Any

from ccwb_doctor import __version__
from ccwb_doctor.model import CheckMeta, Result, Status
from ccwb_doctor.records import record

SCHEMA = "ccwb-doctor/report/v1"


def host_machine() -> str:
    """``platform.machine()`` without importing ``platform`` (~3 ms) where ``os.uname`` exists."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform

    return platform.machine()


def host_info() -> dict[str, str]:
    return {
        "os": {"darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform),
        "arch": host_machine() or "unknown",
        "python": "{}.{}.{}".format(*sys.version_info[:3]),
    }


@record
class Report:
    """The results of a run with its metadata: what every output format is rendered from."""

    results: list[Result]
    catalog: list[CheckMeta] = field(
        default_factory=list
    )  # metadata of the checks that ran (for SARIF rules)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    host: dict[str, str] = field(default_factory=host_info)
    facts: Any = field(default=None, repr=False)  # the Facts the run used (secrets to mask); not serialised

    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for r in self.results:
            counts[r.status.value] += 1
        return counts

    @property
    def exit_code(self) -> int:
        return 1 if any(r.status in (Status.FAIL, Status.ERROR) for r in self.results) else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "tool": {"name": "ccwb-doctor", "version": __version__},
            "generated_at": self.generated_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "host": dict(self.host),
            "summary": self.summary(),
            "results": [r.to_dict() for r in self.results],
        }
