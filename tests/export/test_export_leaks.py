"""The leak property extended to the export: secrets planted anywhere in a result (message, fix,
evidence values, keys, nested, by shape and by key name) never cross the wire, neither whole nor their
first 24 characters, in the raw request bodies or in what opentelemetry-proto decodes from them; while
the message and fix themselves do arrive (so the property is not vacuous)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwb_doctor.app import redacted_document
from ccwb_doctor.export import Request, export_report
from ccwb_doctor.facts import Facts
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.collector import FixtureCollector
from ccwb_doctor.model import CheckMeta, Result, Severity, fail
from ccwb_doctor.report import Report

sys.path.insert(0, str(Path(__file__).parents[1] / "render"))
from test_redaction_props import planted, planted_by_name  # noqa: E402


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FixtureCollector, Facts]]:
    s = sc.guidance_install(tmp_path_factory.mktemp("leaks") / "home")
    with FixtureCollector() as col:
        yield col, Facts(s.options(timeout=5.0), env=s.env)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(planted(), planted_by_name()))
def test_no_planted_secret_crosses_the_wire(
    wire: tuple[FixtureCollector, Facts], case: tuple[dict[str, Any], str, str, list[tuple[str, str]]]
) -> None:
    col, facts = wire
    evidence, message, fix, placed = case
    meta = CheckMeta("TEST-SECRET", "t", "token", Severity.HIGH, "fix")
    result = Result.from_outcome(meta, fail(message, fix=fix, evidence=evidence), 1.0)
    report = Report([result], catalog=[meta], facts=facts)
    col.clear()
    out = export_report(report, redacted_document(report), Request(col.endpoint, "--export"), 5.0)
    assert out.ok, out.line
    assert col.wait_for(2, timeout=5)
    raw = b"".join(r.body for r in col.received)
    decoded = "".join(json_format.MessageToJson(m) for m in [*col.log_requests(), *col.metric_requests()])
    (rec,) = col.log_requests()[0].resource_logs[0].scope_logs[0].log_records
    assert rec.body.string_value.startswith("check failed")  # the message is exported ...
    fixes = [kv.value.string_value for kv in rec.attributes if kv.key == "ccwb.check.remediation"]
    assert fixes and fixes[0].startswith("fix it")  # ... and the fix
    for secret, where in placed:
        for text in (secret, secret[:24]):
            assert text.encode() not in raw, (where, text)
            assert text not in decoded, (where, text)
