"""`ccwb-doctor fleet` over an OTLP JSON file of exported runs (the fixture collector writes it the way
the collector's file exporter does, from what opentelemetry-proto decoded): the same fleet as the
schema-v1 reports of the same runs, one report per machine (its newest run), --since by machine, mixed
inputs, and bad files named, never fatal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ccwb_doctor.app import export_if_asked, render_report, run_report
from ccwb_doctor.cli import main
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.collector import FixtureCollector

SCHEMA = Path(__file__).resolve().parents[2] / "ccwb_doctor" / "schema" / "fleet-v1.json"


def fleet(capsys: Any, *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["fleet", *args, "--format", "json", "--workers", "1"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def doctor(s: sc.Scenario, col: FixtureCollector, reports: Path | None) -> None:
    report = run_report(s.options(mode="offline", timeout=10), env=s.env)
    assert export_if_asked(report, f"otlp={col.endpoint}") is True
    if reports is not None:
        (reports / f"{s.home.parent.name}.json").write_text(render_report(report, "json"), encoding="utf-8")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Three machines; the first one runs twice (healthy, then broken): its newest run is the one that
    counts. Returns (schema-v1 reports of the newest runs, the OTLP JSON file, the first OTLP file)."""
    root = tmp_path_factory.mktemp("fleet-otlp")
    reports = root / "reports"
    reports.mkdir()
    first, second = root / "before" / "otlp.json", root / "after" / "otlp.json"
    first.parent.mkdir()
    second.parent.mkdir()
    homes = [
        sc.guidance_install(root / f"dev{i}" / "home", collector="http://unused.invalid") for i in range(3)
    ]
    sc.apply(homes[2], "profile-missing")
    with FixtureCollector(otlp_json=first) as col:
        for s in homes:
            doctor(s, col, None)
        assert col.wait_for(6, timeout=5)
    with FixtureCollector(otlp_json=second) as col:
        for s in homes:
            doctor(s, col, None)
        sc.apply(homes[0], "no-region")
        sc.apply(homes[1], "no-region")
        doctor(homes[0], col, reports)  # newer runs of the same machines
        doctor(homes[1], col, reports)
        doctor(homes[2], col, reports)
        assert col.wait_for(12, timeout=5)
    return reports, second, first


def test_the_otlp_file_gives_the_fleet_the_reports_give(
    exported: tuple[Path, Path, Path], capsys: Any
) -> None:
    reports, otlp, _ = exported
    assert len(otlp.read_text().splitlines()) == 6  # six runs, one logs request each
    code_r, from_reports, _ = fleet(capsys, str(reports))
    code_o, from_otlp, err = fleet(capsys, str(otlp))
    jsonschema.validate(from_otlp, json.loads(SCHEMA.read_text()))
    assert code_o == code_r == 1 and err == ""
    assert from_otlp["totals"] == from_reports["totals"]
    assert from_otlp["totals"]["reports"] == 3 and from_otlp["totals"]["failing"] == 3
    # The fix shown is the first failing report's, and the two inputs list the machines in different orders
    # (files by name, the export by pseudonymous host id): it must be one of the fixes those reports carry,
    # with the developer's home written "~" as the export writes it (a report keeps the path).
    homes = sorted({str(p) for p in reports.parent.glob("dev*/home")}, key=len, reverse=True)

    def tilde(text: str) -> str:
        for h in homes:
            text = text.replace(h, "~")
        return text

    fixes: dict[str, set[str]] = {}
    for f in reports.glob("*.json"):
        for r in json.loads(f.read_text())["results"]:
            if r["status"] in ("fail", "error"):
                fixes.setdefault(r["id"], set()).add(tilde(r["remediation"]))

    def without_fix(causes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in rc.items() if k != "remediation"} for rc in causes]

    assert without_fix(from_otlp["root_causes"]) == without_fix(from_reports["root_causes"])
    for rc in from_otlp["root_causes"]:
        assert rc["remediation"] in fixes[rc["id"]], (rc["id"], rc["remediation"])
    assert [r["id"] for r in from_otlp["matrix"]["rows"]] == [r["id"] for r in from_reports["matrix"]["rows"]]
    assert sum(p["reports"] for p in from_otlp["platforms"]) == 3


def test_since_matches_machines_across_snapshots(
    exported: tuple[Path, Path, Path], capsys: Any, tmp_path: Path
) -> None:
    _, after, before = exported
    snap_old, snap_new = tmp_path / "old", tmp_path / "new"
    for d, f in ((snap_old, before), (snap_new, after)):
        d.mkdir()
        (d / "collector.json").write_text(f.read_text())
    _, doc, _ = fleet(capsys, str(snap_new), "--since", str(snap_old))
    since = doc["since"]
    assert since["matched"] == 3 and since["new_reports"] == 0 and since["missing_reports"] == 0
    reg = {r["id"]: r for r in since["regressions"]}
    assert reg["CONFIG-PROFILE"]["reports"] == 2  # no-region broke two machines that passed before
    assert all(e.startswith("collector.json#host-") for e in reg["CONFIG-PROFILE"]["examples"])


def test_reports_and_otlp_files_mix(exported: tuple[Path, Path, Path], capsys: Any, tmp_path: Path) -> None:
    reports, otlp, _ = exported
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for p in reports.iterdir():
        (mixed / p.name).write_text(p.read_text())
    (mixed / "collector" / "logs.jsonl").parent.mkdir()
    (mixed / "collector" / "logs.jsonl").write_text(otlp.read_text())
    _, doc, _ = fleet(capsys, str(mixed))
    assert doc["totals"]["reports"] == 6 and doc["totals"]["unreadable"] == 0


def test_bad_otlp_files_are_named_not_fatal(
    exported: tuple[Path, Path, Path], capsys: Any, tmp_path: Path
) -> None:
    _, otlp, _ = exported
    lines = otlp.read_text().splitlines(keepends=True)
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.json").write_text("".join(lines))
    (d / "torn.json").write_text("".join(lines[:2]) + lines[2][:100])  # a last line still being written
    (d / "bad.json").write_text(lines[0] + "{not json\n" + lines[1])
    other = {
        "resourceLogs": [{"resource": {}, "scopeLogs": [{"scope": {"name": "com.anthropic.claude_code"}}]}]
    }
    metrics = {"resourceMetrics": []}
    (d / "other.json").write_text(json.dumps(other) + "\n" + json.dumps(metrics) + "\n")
    code, doc, _ = fleet(capsys, str(d))
    assert code == 1
    bad = {e["report"]: e["reason"] for e in doc["unreadable"]["examples"]}
    assert bad == {
        "bad.json": "line 2 is not valid OTLP JSON (Expecting property name enclosed in double quotes)",
        "other.json": "an OTLP JSON file with no ccwb-doctor results",
    }
    assert (
        doc["totals"]["reports"] == 3 + 2
    )  # good.json: 3 machines; torn.json: the 2 complete runs' machines


def test_every_exported_line_follows_the_export_schema(exported: tuple[Path, Path, Path]) -> None:
    schema = json.loads((SCHEMA.parent / "otlp-export-v1.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    _, otlp, _ = exported
    lines = [json.loads(line) for line in otlp.read_text().splitlines()]
    for doc in lines:
        jsonschema.validate(doc, schema)
    attrs = lines[0]["resourceLogs"][0]["resource"]["attributes"]
    lines[0]["resourceLogs"][0]["resource"]["attributes"] = [
        a for a in attrs if a["key"] != "enduser.pseudo.id"
    ]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(lines[0], schema)
    record = lines[1]["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    record["attributes"] = [a for a in record["attributes"] if a["key"] != "ccwb.check.evidence_digest"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(lines[1], schema)
