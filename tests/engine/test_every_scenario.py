"""Every registered check on every scenario the fixture builders make (healthy guidance variants, the
reference install, each broken variant of both), --offline: every result validates against the report
schema, every report renders in all five formats, and a fix is always text (issue 14, item 1)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from ccwb_doctor.app import render_report, run_report
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.model import Status
from ccwb_doctor.registry import REGISTRY

FORMATS = ("text", "json", "markdown", "junit", "sarif")
SCHEMA = json.loads(resources.files("ccwb_doctor").joinpath("schema/report-v1.json").read_text())

CASES: list[tuple[str, str, str | None]] = [
    *[("guidance", variant, None) for variant in sc.GUIDANCE_VARIANTS],
    ("reference", "", None),
    *[
        ("guidance", variant, brk)
        for variant in ("okta-session-fresh", "guidance-model-tiers")
        for brk in sc.BREAKS
    ],
    *[("guidance", "idc-zero-binary", brk) for brk in ("profile-missing", "no-region", "expired-stanza")],
    *[("reference", "", brk) for brk in sc.BREAKS],
]


def build(tmp_path: Path, kind: str, variant: str, brk: str | None) -> sc.Scenario:
    home = tmp_path / "home"
    if kind == "guidance":
        s = sc.guidance_install(home, **sc.GUIDANCE_VARIANTS[variant])
    else:
        s = sc.reference_install(home)
    if brk:
        sc.apply(s, brk)
    return s


def all_ids() -> list[str]:
    return [c.id for c in REGISTRY.discover().all()]


@pytest.mark.parametrize(
    ("kind", "variant", "brk"), CASES, ids=[f"{k}-{v or 'default'}-{b or 'healthy'}" for k, v, b in CASES]
)
def test_every_check_validates_and_renders(tmp_path: Path, kind: str, variant: str, brk: str | None) -> None:
    s = build(tmp_path, kind, variant, brk)
    ids = all_ids()
    report = run_report(s.options(), only=ids, env=s.env)
    assert {r.id for r in report.results} == set(ids)  # every registered check ran, conform included
    for r in report.results:
        assert isinstance(r.remediation, str), (r.id, r.remediation)
        assert isinstance(r.message, str) and isinstance(r.evidence, dict), r.id
        assert not (r.status is Status.ERROR and "positional argument" in r.message), (r.id, r.message)
    doc = json.loads(render_report(report, "json"))
    jsonschema.validate(doc, SCHEMA)
    for res in doc["results"]:
        assert res["remediation"] is None or isinstance(res["remediation"], str), res["id"]
    for fmt in FORMATS:
        for verbose in (False, True):
            out = render_report(report, fmt, color=False, verbose=verbose)
            assert out.strip(), fmt
            fix_lines = [line for line in out.splitlines() if "fix:" in line.lower()]
            assert not [line for line in fix_lines if "{'" in line], fmt  # a Python dict repr
    if brk is None:
        # a healthy install crashes no check
        errors = [(r.id, r.message) for r in report.results if r.status is Status.ERROR]
        assert errors == []
        # and, offline, raises no alarm at all (issue 14: zero false alarms on healthy installs)
        alarms = [(r.id, r.message) for r in report.results if r.status in (Status.WARN, Status.FAIL)]
        assert alarms == []
