"""analyzers.fleet: one report's bytes → a digest (JSON or report Markdown), the evidence cut agrees with
the whole parse, bad inputs are named; the aggregator's rules (once per report, stale, --since)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ccwb_doctor.analyzers.fleet.aggregate import Baseline, FleetAggregator
from ccwb_doctor.analyzers.fleet.digest import BadReport, cut_evidence, parse, parse_time
from ccwb_doctor.fixtures.fleet_corpus import NOW, as_markdown, make_report

LINUX = ("linux", "x86_64")


def _bytes(doc: dict, indent: int | None = 2) -> bytes:
    return json.dumps(doc, indent=indent).encode()


def test_json_and_markdown_give_the_same_digest() -> None:
    doc = make_report(
        1, platform=LINUX, failing=frozenset({"TRUST-AUDIENCE"}), warning=frozenset({"OTEL-CONFIG"})
    )
    a = parse(_bytes(doc))
    b = parse(as_markdown(doc).encode())
    assert a == b
    assert a.platform == "linux/x86_64"
    assert [f.id for f in a.failing] == ["TRUST-AUDIENCE"]
    assert a.failing[0].remediation.startswith("Add the IdP application's client id")
    assert a.warning == ("OTEL-CONFIG",)
    assert sum(a.counts) == len(doc["results"])


def test_the_evidence_cut_agrees_with_the_whole_parse_in_every_layout() -> None:
    doc = make_report(2, platform=LINUX, failing=frozenset({"MODEL-PERMISSION", "NET-IDP"}))
    pretty = _bytes(doc)
    cut = cut_evidence(pretty.decode())
    assert cut is not None and len(cut) < len(pretty) / 2 and '"evidence": {}' in cut
    assert parse(pretty) == parse(_bytes(doc, None)) == parse(_bytes(doc, 4))
    assert parse(pretty.replace(b"\n", b"\r\n")) == parse(pretty)


def test_a_result_repeated_counts_once_per_report() -> None:
    doc = make_report(3, platform=LINUX, failing=frozenset({"MODEL-PERMISSION"}))
    doc["results"].append(dict(next(r for r in doc["results"] if r["id"] == "MODEL-PERMISSION")))
    d = parse(_bytes(doc))
    assert [f.id for f in d.failing] == ["MODEL-PERMISSION"] and d.counts[2] == 2


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "neither a JSON report nor a Markdown report"),
        (b"\xff\xfe{", "not UTF-8"),
        (b'{"schema": "ccwb-doctor/report/v1", "results": [', "not valid JSON (line 1"),
        (b'{"schema": "other/v9"}', "schema is 'other/v9'"),
        (b"[1, 2]", "neither a JSON report"),
        (b'{"results": []}', "no schema"),
        (b"# report\n\n```json\n{\n", "not closed"),
    ],
)
def test_bad_inputs_are_named(data: bytes, reason: str) -> None:
    with pytest.raises(BadReport, match=None) as exc:
        parse(data)
    assert reason in str(exc.value)


def test_bad_fields_are_named() -> None:
    doc = make_report(4, platform=LINUX)
    doc["results"][3]["status"] = "broken"
    with pytest.raises(BadReport, match=r"results\[3\] \(CONFIG-SETTINGS\) has status 'broken'"):
        parse(_bytes(doc))
    doc = make_report(4, platform=LINUX)
    doc["generated_at"] = "yesterday"
    with pytest.raises(BadReport, match="not an RFC 3339 time"):
        parse(_bytes(doc))
    del doc["host"]
    with pytest.raises(BadReport, match="host.os"):
        parse(_bytes(doc))
    # the inside of an evidence object is not read (the documented speed trade-off: the fleet never uses
    # it), but anything that breaks the layout around it is caught by the whole parse
    good = _bytes(make_report(5, platform=LINUX))
    assert parse(good.replace(b'"config_file"', b'"config_file', 1)).counts == parse(good).counts
    with pytest.raises(BadReport, match="not valid JSON"):
        parse(good[: len(good) // 2])
    with pytest.raises(BadReport, match="not valid JSON"):
        parse(good.replace(b'"status": "pass"', b'"status": pass', 1))


def test_parse_time_accepts_z_offsets_and_naive() -> None:
    assert parse_time("2026-06-01T12:00:00Z") == NOW.timestamp()
    assert parse_time("2026-06-01T14:00:00+02:00") == NOW.timestamp()
    assert parse_time("2026-06-01T12:00:00") == NOW.timestamp()


def _digest(failing: set[str] = frozenset(), platform=LINUX, age_h: float = 0):  # type: ignore[no-untyped-def]
    return parse(
        _bytes(
            make_report(
                0, platform=platform, failing=frozenset(failing), generated_at=NOW - timedelta(hours=age_h)
            )
        )
    )


def test_aggregate_rules() -> None:
    agg = FleetAggregator(now=NOW.timestamp(), stale_hours=24)
    agg.add("a.json", _digest({"NET-IDP"}))
    agg.add("b.json", _digest({"NET-IDP", "BINARY-ARCH"}, ("macos", "arm64"), age_h=30))
    agg.add("c.json", _digest(age_h=100))
    agg.add_bad("d.json", "not valid JSON")
    doc = agg.document("1.0")
    assert doc["totals"] | {"results": None} == {
        "reports": 3,
        "failing": 2,
        "healthy": 1,
        "unreadable": 1,
        "stale": 2,
        "results": None,
    }
    assert [(c["id"], c["failing"]) for c in doc["root_causes"]] == [("NET-IDP", 2), ("BINARY-ARCH", 1)]
    assert doc["matrix"]["platforms"] == ["linux/x86_64", "macos/arm64"]
    assert doc["matrix"]["rows"][0] == {"id": "NET-IDP", "fail": [1, 1], "warn": [0, 0]}
    assert [(e["report"], e["age_hours"]) for e in doc["stale"]["oldest"]] == [
        ("c.json", 100.0),
        ("b.json", 30.0),
    ]
    assert doc["unreadable"]["examples"] == [{"report": "d.json", "reason": "not valid JSON"}]
    assert doc["since"] is None


def test_stale_list_keeps_the_ten_oldest_of_many() -> None:
    agg = FleetAggregator(now=NOW.timestamp(), stale_hours=1)
    for i in range(200):
        agg.add(f"r{i:03d}", _digest(age_h=2 + (i * 37) % 200))
    oldest = agg.document("1")["stale"]["oldest"]
    assert agg.stale == 200 and len(oldest) == 10
    assert [e["age_hours"] for e in oldest] == [float(h) for h in range(201, 191, -1)]


def test_since_regressions_and_fixes_by_key() -> None:
    base = Baseline()
    base.add("a", _digest({"NET-IDP"}))
    base.add("b", _digest())
    base.add("gone", _digest({"TOKEN-EXPIRY"}))
    agg = FleetAggregator(now=NOW.timestamp(), stale_hours=24, baseline=base)
    agg.add("a", _digest())  # fixed
    agg.add("b", _digest({"BINARY-ARCH"}))  # regressed
    agg.add("new", _digest({"BINARY-ARCH"}))  # new, not a regression
    s = agg.document("1")["since"]
    assert (s["baseline_reports"], s["matched"], s["new_reports"], s["missing_reports"]) == (3, 2, 1, 1)
    assert s["regressions"] == [{"id": "BINARY-ARCH", "reports": 1, "examples": ["b"]}]
    assert s["fixes"] == [{"id": "NET-IDP", "reports": 1, "examples": ["a"]}]
    assert {c["id"]: (c["before"], c["after"]) for c in s["checks"]} == {
        "BINARY-ARCH": (0, 2),
        "NET-IDP": (1, 0),
        "TOKEN-EXPIRY": (1, 0),
    }
