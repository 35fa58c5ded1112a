"""``--export otlp``: what reaches the collector, decoded by opentelemetry-proto (a decoder nobody here
wrote), attribute by attribute; the opt-in settings; and a default run that never imports the SDK."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ccwb_doctor import __version__
from ccwb_doctor.analyzers.telemetry import records as T
from ccwb_doctor.app import export_if_asked, redacted_document, run_report
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.collector import FixtureCollector


def attrs(kvs: Any) -> dict[str, Any]:
    """KeyValue list → dict, through the protobuf oneof (whatever kind of value was sent)."""
    out: dict[str, Any] = {}
    for kv in kvs:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind)
    return out


def export_run(s: sc.Scenario, col: FixtureCollector, capsys: Any, **opts: Any) -> tuple[Any, str]:
    report = run_report(s.options(mode="offline", timeout=10, **opts), env=s.env)
    assert export_if_asked(report, "otlp") is True
    assert col.wait_for(2, timeout=5)
    return report, capsys.readouterr().err


def test_every_attribute_of_every_record_and_the_counter(tmp_path: Path, capsys: Any) -> None:
    with FixtureCollector() as col:
        s = sc.guidance_install(tmp_path / "home", collector=col.endpoint)
        sc.apply(s, "no-region")  # one FAIL among the passes and skips
        report, err = export_run(s, col, capsys)
        (logs,) = col.log_requests()
        (metrics,) = col.metric_requests()
        endpoint = col.endpoint
    assert err.count("\n") == 1 and f"sent {len(report.results)} results to {endpoint}/v1/logs" in err
    doc = redacted_document(report)
    key = (s.home / ".cache" / "ccwb-doctor" / "export-key").read_bytes().strip()
    (rl,) = logs.resource_logs
    res = attrs(rl.resource.attributes)
    assert set(res) == set(T.RESOURCE_KEYS)
    config = json.loads((s.home / "claude-code-with-bedrock" / "config.json").read_text())
    settings = json.loads((s.home / ".claude" / "settings.json").read_text())
    helper_out = subprocess.run([str(s.helper_path), "--version"], capture_output=True, text=True, timeout=10)
    jp = report.facts.judged_platform
    expect_host = hmac.new(
        key, f"host:{socket.gethostname()}|{s.home.resolve()}".lower().encode(), hashlib.sha256
    )
    assert (
        res
        == {
            "service.name": "ccwb-doctor",
            "service.version": __version__,
            "service.instance.id": res["service.instance.id"],  # random per run: checked below
            "os.type": {"linux": "linux", "darwin": "darwin", "win32": "windows"}[sys.platform],
            "host.arch": T.host_arch(report.host["arch"]),
            "ccwb.platform": jp.label,
            "ccwb.platform.source": jp.source,
            "ccwb.doctor.mode": "offline",
            "ccwb.host.pseudo_id": expect_host.hexdigest()[:16],
            "enduser.pseudo.id": hmac.new(key, b"user:home:home", hashlib.sha256).hexdigest()[:16],
            "ccwb.claude_code.install": "unknown",
            "ccwb.claude_code.version": "unknown",
            "ccwb.helper.kind": "guidance",
            "ccwb.helper.version": helper_out.stdout.strip(),
            "ccwb.idp.type": next(iter(config.values()))["provider_type"],
            "ccwb.federation.type": "direct",
            "cloud.region": settings["env"]["AWS_REGION"],
        }
    )
    assert len(res["service.instance.id"]) == 32
    (sl,) = rl.scope_logs
    assert (sl.scope.name, sl.scope.version) == ("ccwb-doctor", __version__)
    assert len(sl.log_records) == len(doc["results"]) > 10
    home = str(s.home)
    for rec, r in zip(sl.log_records, doc["results"], strict=True):
        a = attrs(rec.attributes)
        assert set(a) == set(T.RECORD_KEYS)
        assert (a["ccwb.check.id"], a["ccwb.check.status"]) == (r["id"], r["status"])
        assert (a["ccwb.check.severity"], a["ccwb.check.area"]) == (r["severity"], r["area"])
        assert a["ccwb.check.title"] == r["title"]
        assert a["ccwb.check.remediation"] == r["remediation"].replace(home, "~")
        assert rec.body.string_value == r["message"].replace(home, "~")
        assert home not in rec.body.string_value
        canon = json.dumps(r["evidence"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert a["ccwb.check.evidence_digest"] == hmac.new(key, canon.encode(), hashlib.sha256).hexdigest()
        assert a["ccwb.check.duration_ms"] == pytest.approx(r["duration_ms"])
        assert rec.severity_text == r["status"].upper()
        assert rec.severity_number == {"pass": 9, "skip": 9, "warn": 13, "fail": 17, "error": 18}[r["status"]]
        assert rec.event_name == "ccwb.doctor.result"
        assert rec.time_unix_nano == T.time_ns(doc["generated_at"]) > 0
    assert any(attrs(r.attributes)["ccwb.check.status"] == "fail" for r in sl.log_records)
    (rm,) = metrics.resource_metrics
    assert attrs(rm.resource.attributes) == res  # the same resource on both signals
    (sm,) = rm.scope_metrics
    (metric,) = sm.metrics
    assert (metric.name, metric.unit) == ("ccwb.doctor.checks", "{result}")
    assert metric.sum.is_monotonic and metric.sum.aggregation_temporality == 1  # DELTA
    got = {
        (attrs(p.attributes)["ccwb.check.id"], attrs(p.attributes)["ccwb.check.status"]): p.as_int
        for p in metric.sum.data_points
    }
    want: dict[tuple[str, str], int] = {}
    for r in doc["results"]:
        want[(r["id"], r["status"])] = want.get((r["id"], r["status"]), 0) + 1
    assert got == want


def test_pseudonymous_ids_are_stable_from_run_to_run_and_unlinkable_across_keys(
    tmp_path: Path, capsys: Any
) -> None:
    with FixtureCollector() as col:
        s = sc.guidance_install(tmp_path / "home", collector=col.endpoint)
        for _ in range(2):
            export_run(s, col, capsys)
            col.wait_for(4, timeout=5)
        (s.home / ".cache" / "ccwb-doctor" / "export-key").unlink()  # a new key: new ids
        export_run(s, col, capsys)
        col.wait_for(6, timeout=5)
        runs = [attrs(req.resource_logs[0].resource.attributes) for req in col.log_requests()]
    assert len(runs) == 3
    ids = [(r["ccwb.host.pseudo_id"], r["enduser.pseudo.id"]) for r in runs]
    assert ids[0] == ids[1] and ids[2][0] != ids[0][0] and ids[2][1] != ids[0][1]
    assert len({r["service.instance.id"] for r in runs}) == 3


def test_an_organisation_key_in_managed_settings_gives_the_same_user_id_on_every_machine(
    tmp_path: Path, capsys: Any
) -> None:
    with FixtureCollector() as col:
        homes = [
            sc.guidance_install(tmp_path / n / "ana", collector=col.endpoint) for n in ("laptop", "desktop")
        ]
        for s in homes:
            managed = s.home / "etc" / "claude-code" / "managed-settings.json"
            sc.write(managed, json.dumps({"env": {"CCWB_DOCTOR_PSEUDONYM_SECRET": "org-wide-7f3a9c21d4"}}))
            report, _ = export_run(s, col, capsys)
            assert "org-wide-7f3a9c21d4" not in json.dumps(redacted_document(report))
        col.wait_for(4, timeout=5)
        runs = [attrs(req.resource_logs[0].resource.attributes) for req in col.log_requests()]
        bodies = b"".join(r.body for r in col.received)
    assert runs[0]["enduser.pseudo.id"] == runs[1]["enduser.pseudo.id"]
    assert runs[0]["ccwb.host.pseudo_id"] != runs[1]["ccwb.host.pseudo_id"]
    assert b"org-wide-7f3a9c21d4" not in bodies
    assert not (homes[0].home / ".cache" / "ccwb-doctor" / "export-key").exists()


@pytest.mark.parametrize("where", ["settings-env", "managed-env", "helper-config"])
def test_a_setting_opts_in_and_export_off_overrides_it(tmp_path: Path, capsys: Any, where: str) -> None:
    with FixtureCollector() as col, FixtureCollector() as other:
        s = sc.guidance_install(tmp_path / "home", collector="https://collector.example.com")
        if where == "settings-env":
            doc = s.read_settings()
            doc["env"]["CCWB_DOCTOR_EXPORT"] = f"otlp={col.endpoint}"
            s.write_settings(doc)
        elif where == "managed-env":
            managed = s.home / "etc" / "claude-code" / "managed-settings.json"
            sc.write(managed, json.dumps({"env": {"CCWB_DOCTOR_EXPORT": f"otlp={col.endpoint}"}}))
        else:
            cfg_path = s.home / "claude-code-with-bedrock" / "config.json"
            cfg = json.loads(cfg_path.read_text())
            next(iter(cfg.values()))["doctor_export"] = f"otlp={col.endpoint}"
            cfg_path.write_text(json.dumps(cfg))
        report = run_report(s.options(mode="offline", timeout=10), env=s.env)
        assert export_if_asked(report, None) is True
        assert export_if_asked(report, "off") is None
        assert export_if_asked(report, f"otlp={other.endpoint}") is True  # --export URL wins
        assert col.wait_for(2, timeout=5) and other.wait_for(2, timeout=5)
        assert len(col.received) == 2 and len(other.received) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("ccwb-doctor: export: sent ") for line in err)


def test_a_bad_setting_is_one_warning_and_no_export(tmp_path: Path, capsys: Any) -> None:
    s = sc.guidance_install(tmp_path / "home")
    doc = s.read_settings()
    doc["env"]["CCWB_DOCTOR_EXPORT"] = "yes please"
    s.write_settings(doc)
    report = run_report(s.options(mode="offline", timeout=10), env=s.env)
    assert export_if_asked(report, None) is None
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("ccwb-doctor: warning: ignoring CCWB_DOCTOR_EXPORT") and "otlp=URL" in line


def test_the_headers_helper_token_authorizes_the_export_and_stays_off_the_payload(
    tmp_path: Path, capsys: Any
) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbmEiLCJleHAiOjR9.c2lnbmF0dXJlLW9mLWEtdGVzdC10b2tlbi1mb3ItdGhlLWV4cG9ydA"
    with FixtureCollector() as col:
        s = sc.guidance_install(tmp_path / "home", collector=col.endpoint)
        helper = sc.write(
            s.home / "bin" / "otel-headers",
            f'#!/bin/sh\necho \'{{"Authorization": "Bearer {token}", "x-user-email": "ana@corp.com"}}\'\n',
            0o755,
        )
        doc = s.read_settings()
        doc["otelHeadersHelper"] = str(helper)
        doc["env"]["OTEL_EXPORTER_OTLP_HEADERS"] = "x-team=platform"
        s.write_settings(doc)
        col.require_headers = {"authorization": f"Bearer {token}", "x-team": "platform", "x-user-email": None}
        export_run(s, col, capsys)
        assert [r.status for r in col.received] == [200, 200]
        bodies = b"".join(r.body for r in col.received)
    assert token.encode() not in bodies and token[:24].encode() not in bodies
    assert b"ana@corp.com" not in bodies


def test_a_default_run_never_imports_the_sdk(tmp_path: Path, spawn: Any) -> None:
    s = sc.guidance_install(tmp_path / "home")
    code = (
        "import sys\n"
        "from ccwb_doctor.cli import main\n"
        f"rc = main(['run', '--offline', '--home', {str(s.home)!r}, '--format', 'json', '--output', {str(tmp_path / 'r.json')!r}])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('opentelemetry', 'requests', 'google'))\n"
        "print(rc, bad)\n"
    )
    proc = spawn([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=s.env)
    out, err = proc.communicate(timeout=60)
    assert out.decode().strip() == "0 []", err.decode()[-2000:]
