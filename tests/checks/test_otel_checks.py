"""OTEL-CONFIG over real HOMEs; with --live a real OTLP metric goes to the fixture collector on loopback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.clientconfig.otel_env import parse_headers, read_otel_env
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.collector import FixtureCollector
from ccwb_doctor.options import DEFAULT, LIVE


def otel(s: sc.Scenario, mode: str = DEFAULT) -> Any:
    from ccwb_doctor.app import run_report

    report = run_report(s.options(mode=mode, timeout=15), only=["OTEL-CONFIG"], env=s.env)
    (r,) = report.results
    return r


def set_env(s: sc.Scenario, drop: tuple[str, ...] = (), **kv: str) -> None:
    doc = s.read_settings()
    for k in drop:
        doc["env"].pop(k, None)
    doc["env"].update(kv)
    s.write_settings(doc)


def headers_helper(s: sc.Scenario, script: str) -> Path:
    path = sc.write(s.home / "bin" / "otel-headers", f"#!{sys.executable}\n" + script, 0o755)
    doc = s.read_settings()
    doc["otelHeadersHelper"] = f"{path} --profile {s.profile}"
    s.write_settings(doc)
    return path


PRINT_HEADERS = (
    "import json; print(json.dumps({'x-user-email': 'alice@example.com', 'x-team-id': 'platform'}))\n"
)


def test_healthy_install_passes_offline(reference: sc.Scenario) -> None:
    r = otel(reference)
    assert (
        r.status == "pass"
        and "https://collector.example.com/v1/metrics" in r.message
        and "--live" in r.message
    )


def test_telemetry_off(reference: sc.Scenario) -> None:
    set_env(reference, drop=("CLAUDE_CODE_ENABLE_TELEMETRY",))
    r = otel(reference)
    assert r.status == "warn" and "CLAUDE_CODE_ENABLE_TELEMETRY" in r.message
    set_env(
        reference,
        drop=("OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_ENDPOINT"),
    )
    assert otel(reference).status == "skip"


@pytest.mark.parametrize(
    ("change", "drop", "needle"),
    [
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.example.com"}, (), "plain http"),
        ({}, ("OTEL_METRICS_EXPORTER",), "OTEL_METRICS_EXPORTER is not set"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/xml"}, (), "not an OTLP protocol"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://collector.example.com"}, (), "not an http(s) URL"),
        ({"OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, (), "not key=value"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example.com/v1/metrics"}, (), "repeats /v1/metrics"),
    ],
)
def test_incoherent_env_fails(
    reference: sc.Scenario, change: dict[str, str], drop: tuple[str, ...], needle: str
) -> None:
    set_env(reference, drop=drop, **change)
    r = otel(reference)
    assert r.status == "fail" and needle in r.message, r.message


def test_loopback_http_allowed_and_missing_protocol_warns(reference: sc.Scenario) -> None:
    set_env(reference, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318")
    assert otel(reference).status == "pass"
    set_env(reference, drop=("OTEL_EXPORTER_OTLP_PROTOCOL",))
    r = otel(reference)
    assert r.status == "warn" and "OTEL_EXPORTER_OTLP_PROTOCOL" in r.message


def test_headers_helper_unresolvable(reference: sc.Scenario) -> None:
    doc = reference.read_settings()
    doc["otelHeadersHelper"] = "__OTEL_HELPER_PATH__ --profile ccwb"
    reference.write_settings(doc)
    r = otel(reference)
    assert r.status == "fail" and "placeholder" in r.message
    doc["otelHeadersHelper"] = f"{reference.home}/nowhere/otel-helper"
    reference.write_settings(doc)
    r = otel(reference)
    assert r.status == "fail" and "does not exist" in r.message


def test_live_metric_reaches_collector_with_helper_headers(reference: sc.Scenario) -> None:
    with FixtureCollector() as col:
        col.require_headers = {"x-user-email": "alice@example.com", "x-static": "yes"}
        set_env(
            reference, OTEL_EXPORTER_OTLP_ENDPOINT=col.endpoint, OTEL_EXPORTER_OTLP_HEADERS="x-static=yes"
        )
        headers_helper(reference, PRINT_HEADERS)
        r = otel(reference, LIVE)
        assert r.status == "pass", r.message
        assert col.metric_names() == ["ccwb_doctor.probe"]
        assert col.received[0].headers["x-team-id"] == "platform"
        assert col.received[0].content_type == "application/x-protobuf"
        assert r.evidence["delivery"]["status"] == 200


def test_live_json_protocol(reference: sc.Scenario) -> None:
    with FixtureCollector() as col:
        set_env(reference, OTEL_EXPORTER_OTLP_ENDPOINT=col.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL="http/json")
        assert otel(reference, LIVE).status == "pass"
        assert col.received[0].content_type == "application/json" and col.metric_names() == [
            "ccwb_doctor.probe"
        ]


@pytest.mark.parametrize(
    ("setup", "status", "fix"),
    [
        (lambda c: c.require_headers.update({"x-user-email": None}), 401, "headers helper"),
        (lambda c: setattr(c, "fault", "503"), 503, "NET-COLLECTOR"),
    ],
)
def test_live_collector_refuses(reference: sc.Scenario, setup: Any, status: int, fix: str) -> None:
    with FixtureCollector() as col:
        setup(col)
        set_env(reference, OTEL_EXPORTER_OTLP_ENDPOINT=col.endpoint)
        r = otel(reference, LIVE)
        assert r.status == "fail" and f"HTTP {status}" in r.message and fix in r.remediation


def test_live_wrong_path_404(reference: sc.Scenario) -> None:
    with FixtureCollector(base_path="/otlp") as col:
        set_env(reference, OTEL_EXPORTER_OTLP_ENDPOINT=col.endpoint.removesuffix("/otlp"))
        r = otel(reference, LIVE)
        assert r.status == "fail" and "HTTP 404" in r.message and "base URL" in r.remediation


def test_live_headers_helper_fails_and_secret_is_masked(reference: sc.Scenario) -> None:
    from ccwb_doctor.app import render_report, run_report

    with FixtureCollector() as col:
        set_env(reference, OTEL_EXPORTER_OTLP_ENDPOINT=col.endpoint)
        headers_helper(reference, "import sys; sys.stderr.write('error: no cached token\\n'); sys.exit(2)\n")
        r = otel(reference, LIVE)
        assert r.status == "fail" and "exited 2" in r.message and "no cached token" in r.message
        secret = "Bearer sk-live-8f3kQ9zLm2Pw7Xv4Rt6Yb1Nc"
        headers_helper(reference, f"import json; print(json.dumps({{'Authorization': {secret!r}}}))\n")
        report = run_report(reference.options(mode=LIVE, timeout=15), only=["OTEL-CONFIG"], env=reference.env)
        assert report.results[0].status == "pass"
        assert col.received[-1].headers["authorization"] == secret
        out = render_report(report, "json", verbose=True)
        assert "sk-live-8f3kQ9zLm2Pw7Xv4Rt6Yb1Nc" not in out and json.loads(out)


def test_live_collector_down(reference: sc.Scenario) -> None:
    with FixtureCollector() as col:
        url = col.endpoint
    set_env(reference, OTEL_EXPORTER_OTLP_ENDPOINT=url)
    r = otel(reference, LIVE)
    assert r.status == "fail" and "no answer" in r.message


env_keys = st.sampled_from(
    [
        "CLAUDE_CODE_ENABLE_TELEMETRY",
        "OTEL_METRICS_EXPORTER",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTHER",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(env_keys, st.text(max_size=40), max_size=7))
def test_read_otel_env_never_raises(env: dict[str, str]) -> None:
    cfg = read_otel_env(env)
    assert isinstance(cfg.to_dict(), dict)
    assert all(p.severity in ("fail", "warn") for p in cfg.problems)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), st.text(max_size=20), max_size=4)
)
def test_parse_headers_roundtrip(headers: dict[str, str]) -> None:
    from urllib.parse import quote

    text = ",".join(f"{k}={quote(v, safe='')}" for k, v in headers.items())
    got, errors = parse_headers(text)
    assert errors == [] and got == headers
