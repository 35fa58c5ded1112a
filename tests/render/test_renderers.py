from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.app import render_report, run_report
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.model import CheckMeta, Result, Severity, fail
from ccwb_doctor.report import Report


def schema() -> dict:
    return json.loads(resources.files("ccwb_doctor").joinpath("schema/report-v1.json").read_text())


def sample_report() -> Report:
    meta = CheckMeta(
        "TEST-ONE", "A test check", "config", Severity.HIGH, "do the fix", "https://docs.example"
    )
    rs = [Result.from_outcome(meta, o, 1.5) for o in []]
    from ccwb_doctor.model import error, fail, ok, skip, warn

    for o in (
        ok("fine"),
        warn("hmm", fix="w fix"),
        fail(
            "bad <thing> & 'quotes'",
            evidence={"location": {"path": "templates/auth.yaml", "line": 12}, "subject": "us-west-2"},
        ),
        skip("offline"),
        error("broken | pipe"),
    ):
        rs.append(Result.from_outcome(meta, o, 1.5))
    return Report(rs, catalog=[meta])


def test_json_validates_against_schema_for_a_real_run(guidance: sc.Scenario) -> None:
    sc.apply(guidance, "missing-program")  # a FAIL: `~` is only a WARN (the shell expands it)
    report = run_report(guidance.options(), only=["config"], env=guidance.env)
    doc = json.loads(render_report(report, "json"))
    jsonschema.validate(doc, schema())
    assert doc["schema"] == "ccwb-doctor/report/v1"
    assert doc["summary"]["fail"] >= 1 and sum(doc["summary"].values()) == len(doc["results"])
    assert [r["id"] for r in doc["results"]] == [
        "CONFIG-PROFILE",
        "CONFIG-CREDENTIAL-PROCESS",
        "CONFIG-SHADOWED-CREDS",
        "CONFIG-SETTINGS",
        "CONFIG-HELPER-CACHE",
    ]


def test_schema_rejects_a_wrong_status() -> None:
    doc = json.loads(render_report(sample_report(), "json"))
    doc["results"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema())


def test_text_plain_groups_marks_fix_lines_and_summary() -> None:
    out = render_report(sample_report(), "text", color=False)
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[0] == "CONFIG"
    assert any(line.startswith("  ✓ TEST-ONE: fine") for line in lines)
    assert any(line.startswith("  ✗ TEST-ONE [us-west-2]: bad <thing>") for line in lines)
    assert "      fix: w fix" in lines and "      fix: do the fix" in lines
    assert lines[-1].startswith(
        "✗ Doctor found 2 problems — 1 passed, 1 warnings, 1 failed, 1 errors, 1 skipped"
    )


def test_text_color_when_forced() -> None:
    assert "\x1b[" in render_report(sample_report(), "text", color=True)


def test_no_color_env_and_non_tty_mean_plain() -> None:
    import io

    from ccwb_doctor.render.text import use_color

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_color(Tty(), {}) is True
    assert use_color(Tty(), {"NO_COLOR": "1"}) is False
    assert use_color(Tty(), {"NO_COLOR": ""}) is True  # no-color.org: present *and non-empty*
    assert use_color(Tty(), {"TERM": "dumb"}) is False
    assert use_color(io.StringIO(), {}) is False


def test_junit_is_valid_xml_with_failures_errors_skips() -> None:
    root = ET.fromstring(render_report(sample_report(), "junit"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "5"
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "1", "1")
    cases = suite.findall("testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    assert (
        len(failed) == 1 and failed[0].get("file") == "templates/auth.yaml" and failed[0].get("line") == "12"
    )
    assert "Fix: do the fix" in failed[0].find("failure").text


def test_sarif_has_one_rule_per_check_and_locations() -> None:
    doc = json.loads(render_report(sample_report(), "sarif"))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["TEST-ONE"]
    assert run["tool"]["driver"]["rules"][0]["helpUri"] == "https://docs.example"
    levels = [r["level"] for r in run["results"]]
    assert levels == ["none", "warning", "error", "none", "error"]
    loc = run["results"][2]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "templates/auth.yaml"}, "region": {"startLine": 12}}


def test_markdown_lists_problems_first_with_fixes_and_escapes_pipes() -> None:
    md = render_report(sample_report(), "markdown")
    problems = md.split("## Problems")[1].split("## All checks")[0]
    assert problems.index("bad <thing>") < problems.index("broken") < problems.index("hmm")
    assert "Fix: do the fix" in problems
    assert "broken \\| pipe" in md


@pytest.mark.parametrize(
    "kind,brk",
    [
        ("guidance", None),
        ("reference", None),
        ("guidance", "settings-malformed"),
        ("guidance", "config-not-utf8"),
        ("guidance", "helper-config-wrong-types"),
        ("guidance", "nested-credential-process"),
        ("guidance", "env-keys"),
    ],
)
def test_full_catalog_json_validates_against_schema(tmp_path, kind: str, brk: str | None) -> None:
    """Every check of the catalog, on healthy and broken installs, emits schema-valid results in order."""
    from ccwb_doctor.registry import REGISTRY

    s = (sc.guidance_install if kind == "guidance" else sc.reference_install)(tmp_path / "home")
    if brk:
        sc.apply(s, brk)
    report = run_report(s.options(), env=s.env)
    doc = json.loads(render_report(report, "json"))
    jsonschema.validate(doc, schema())
    catalog = [c.id for c in REGISTRY.select()]  # the default run: every area but the opt-in conform
    assert catalog and not any(i.startswith("CONFORM-") for i in catalog)
    ids = [r["id"] for r in doc["results"]]
    assert sorted(set(ids), key=catalog.index) == catalog  # every check reported ...
    assert ids == sorted(ids, key=catalog.index)  # ... in catalog order
    assert sum(doc["summary"].values()) == len(ids)
    for r in doc["results"]:
        assert "\n" not in r["message"], r
        if r["status"] == "error":  # bad input names its file; a crashing check would show a type name
            assert str(s.home) in r["message"], r


_any_text = st.text(st.characters(codec=None, blacklist_categories=()), max_size=40)


@settings(max_examples=150, deadline=None)
@given(message=_any_text, fix=_any_text, subject=_any_text, key=_any_text, value=_any_text)
def test_any_text_renders_to_valid_utf8_in_every_format(
    message: str, fix: str, subject: str, key: str, value: str
) -> None:
    """Helper stderr with ANSI escapes or NUL, non-UTF-8 file names (lone surrogates): every format still
    encodes, parses, and carries no raw control character that could drive a terminal."""
    meta = CheckMeta("TEST-TEXT", "t", "config", Severity.HIGH, "fix")
    evidence = {"subject": subject, key: value, "location": {"path": value, "line": 3}}
    report = Report(
        [Result.from_outcome(meta, fail(message or "m", fix=fix, evidence=evidence), 1.0)], catalog=[meta]
    )
    for fmt in ("text", "json", "markdown", "junit", "sarif"):
        out = render_report(report, fmt, color=False, verbose=True)
        out.encode("utf-8")  # no lone surrogate survives
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out.replace("\r\n", "\n")), fmt
        if fmt == "junit":
            ET.fromstring(out)
        elif fmt in ("json", "sarif"):
            json.loads(out)
