"""A report's host arch is named as the judged platform (and so the OTLP export) names it, so one machine
lands in one platform column whichever way its result reached the fleet."""

from __future__ import annotations

import pytest

from ccwb_doctor.analyzers.fleet.digest import from_doc
from ccwb_doctor.analyzers.telemetry.records import platform_of


@pytest.mark.parametrize(
    ("os_name", "machine", "label"),
    [
        ("linux", "aarch64", "linux-arm64"),
        ("windows", "AMD64", "windows-x86_64"),
        ("macos", "arm64", "macos-arm64"),
    ],
)
def test_report_and_export_name_the_platform_alike(os_name: str, machine: str, label: str) -> None:
    doc = {
        "schema": "ccwb-doctor/report/v1",
        "generated_at": "2026-12-05T10:00:00Z",
        "host": {"os": os_name, "arch": machine, "python": "3.11.7"},
        "results": [{"id": "CONFIG-PROFILE", "status": "pass"}],
    }
    assert from_doc(doc).platform == platform_of({"ccwb.platform": label}) == label.replace("-", "/")
