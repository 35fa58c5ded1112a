"""`ccwb-doctor fleet`: goldens for the generated 1,000-report corpus (text, json, markdown), the JSON
schema, --since, stale reports, bad inputs, redaction and exit codes.

Regenerate the goldens with ``CCWB_UPDATE_GOLDEN=1 pytest tests/commands/test_fleet_command.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from ccwb_doctor import __version__
from ccwb_doctor.cli import main
from ccwb_doctor.fixtures.fleet_corpus import NOW, make_report, write_corpus

GOLDEN = Path(__file__).parent / "golden" / "fleet"
SCHEMA = Path(__file__).resolve().parents[2] / "ccwb_doctor" / "schema" / "fleet-v1.json"
STAMP = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
LINUX = ("linux", "x86_64")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet") / "corpus"
    write_corpus(root, 1000, seed=18)
    return root


def fleet(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["fleet", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _write(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_golden(corpus: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, err = fleet(capsys, str(corpus), "--now", STAMP, "--format", fmt, "--workers", "1")
    assert code == 1 and err == ""
    out = out.replace(__version__, "VERSION")
    golden = GOLDEN / f"corpus-1000.{ {'text': 'txt', 'json': 'json', 'markdown': 'md'}[fmt] }"
    if os.environ.get("CCWB_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


def test_json_follows_the_schema_and_the_corpus(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = fleet(capsys, str(corpus), "--now", STAMP, "--format", "json", "--workers", "1")
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
    t = doc["totals"]
    assert (t["reports"], t["unreadable"]) == (1000, 0) and t["healthy"] + t["failing"] == 1000
    assert {p["platform"] for p in doc["platforms"]} == {
        "linux/x86_64",
        "macos/arm64",
        "windows/x86_64",
        "macos/x86_64",
        "linux/arm64",  # reports say what os.uname says (aarch64, AMD64): the judged platform names
    }
    from ccwb_doctor.fixtures.fleet_corpus import PITFALL_CHECKS

    failing = {c["id"]: c for c in doc["root_causes"]}
    for cid in PITFALL_CHECKS:  # every pitfall shows, with a few reports and its fix
        assert failing[cid]["failing"] >= 5 and failing[cid]["remediation"]
    assert (
        sum(failing["BINARY-EXEC"]["failing"] for _ in [0])
        == doc["matrix"]["rows"][[r["id"] for r in doc["matrix"]["rows"]].index("BINARY-EXEC")]["fail"][
            doc["matrix"]["platforms"].index("windows/x86_64")
        ]
    )
    assert t["stale"] == doc["stale"]["count"] > 0


def test_worker_processes_give_the_same_document(corpus: Path, tmp_path: Path) -> None:
    """The default path (worker processes, a window of batches) agrees with the in-process one."""
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}.json"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "ccwb_doctor",
                "fleet",
                str(corpus),
                "--now",
                STAMP,
                "--format",
                "json",
                "--output",
                str(out),
                "--workers",
                workers,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        assert "wrote" in proc.stderr and "1000 reports" in proc.stderr
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1]


def test_since_names_regressions_and_fixes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    for i in range(20):
        _write(
            old / f"dev-{i:02d}.json",
            make_report(i, platform=LINUX, failing=frozenset({"NET-IDP"}) if i < 5 else frozenset()),
        )
    for i in range(2, 22):  # 0, 1 gone; 20, 21 new
        failing = {"BINARY-ARCH"} if i in (7, 8, 21) else set()
        if i in (2, 3):
            failing.add("NET-IDP")  # still failing: neither fixed nor regressed
        _write(new / f"dev-{i:02d}.json", make_report(i, platform=LINUX, failing=frozenset(failing)))
    code, out, _ = fleet(capsys, str(new), "--since", str(old), "--now", STAMP, "--format", "json")
    s = json.loads(out)["since"]
    assert (s["baseline_reports"], s["matched"], s["new_reports"], s["missing_reports"]) == (20, 18, 2, 2)
    assert s["regressions"] == [
        {"id": "BINARY-ARCH", "reports": 2, "examples": ["dev-07.json", "dev-08.json"]}
    ]
    assert s["fixes"] == [{"id": "NET-IDP", "reports": 1, "examples": ["dev-04.json"]}]
    assert {c["id"]: (c["before"], c["after"]) for c in s["checks"]} == {
        "BINARY-ARCH": (0, 3),
        "NET-IDP": (5, 2),
    }
    code, text, _ = fleet(capsys, str(new), "--since", str(old), "--now", STAMP)
    assert (
        "Regressions (failing now, not then): 2" in text
        and "BINARY-ARCH: 2 report(s), e.g. dev-07.json, dev-08.json" in text
    )
    assert "NET-IDP: 5 → 2" in text
    # an unreadable baseline cannot run
    (tmp_path / "empty").mkdir()
    code, _, err = fleet(capsys, str(new), "--since", str(tmp_path / "empty"))
    assert code == 2 and err.count("\n") == 1 and "no readable report" in err


def test_stale_hours(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import timedelta

    for i, age in enumerate((1, 5, 30, 200)):
        _write(
            tmp_path / f"r{i}.json", make_report(i, platform=LINUX, generated_at=NOW - timedelta(hours=age))
        )
    for hours, stale in (
        ("24", ["r3.json", "r2.json"]),
        ("4", ["r3.json", "r2.json", "r1.json"]),
        ("500", []),
    ):
        code, out, _ = fleet(
            capsys, str(tmp_path), "--now", STAMP, "--stale-hours", hours, "--format", "json"
        )
        doc = json.loads(out)
        assert code == 0  # stale is reported, not a failure
        assert [e["report"] for e in doc["stale"]["oldest"]] == stale and doc["totals"]["stale"] == len(stale)
    code, _, err = fleet(capsys, str(tmp_path), "--stale-hours", "-1")
    assert code == 2 and "--stale-hours" in err


def test_bad_inputs_are_counted_and_named_never_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "reports"
    _write(d / "good.json", make_report(0, platform=LINUX))
    (d / "broken.json").write_text('{"schema": "ccwb-doctor/report/v1", "results": [', encoding="utf-8")
    (d / "other.json").write_text('{"schema": "something/else"}', encoding="utf-8")
    (d / "binary.json").write_bytes(b"\x00\xff\xfe garbage")
    (d / "notes.md").write_text("# just notes\n", encoding="utf-8")
    (d / "ignored.txt").write_text("not a report name", encoding="utf-8")
    os.mkfifo(d / "pipe.json")  # never hangs the reader
    code, out, err = fleet(capsys, str(d), str(tmp_path / "missing.json"), "--now", STAMP, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and err == ""
    assert doc["totals"]["reports"] == 1 and doc["unreadable"]["count"] == 6
    reasons = {e["report"]: e["reason"] for e in doc["unreadable"]["examples"]}
    assert len(reasons) == 5  # the first few are named
    assert reasons["broken.json"].startswith("not valid JSON")
    assert "not UTF-8" in reasons["binary.json"]
    assert "notes.md" in reasons and "other.json" in reasons and "pipe.json" in reasons
    code, text, _ = fleet(capsys, str(d), str(tmp_path / "missing.json"), "--now", STAMP)
    assert "Unreadable inputs: 6" in text and "… and 1 more" in text


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    healthy = _write(tmp_path / "ok" / "a.json", make_report(0, platform=LINUX))
    assert fleet(capsys, str(healthy.parent))[0] == 0
    _write(tmp_path / "ok" / "b.json", make_report(1, platform=LINUX, failing=frozenset({"NET-IDP"})))
    assert fleet(capsys, str(healthy.parent))[0] == 1
    code, out, err = fleet(capsys)  # no path
    assert code == 2 and out == "" and err.count("\n") == 1
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.json").write_text("nope", encoding="utf-8")
    for args in ([str(tmp_path / "empty")], [str(tmp_path / "bad.json")], [str(tmp_path / "nowhere")]):
        code, out, err = fleet(capsys, *args)
        assert code == 2 and out == "" and err.count("\n") == 1 and "no readable report" in err, args
    code, _, err = fleet(capsys, str(healthy), "--now", "tomorrow")
    assert code == 2 and "--now" in err
    code, _, err = fleet(capsys, str(healthy), "--format", "junit")
    assert code == 2


def test_real_reports_json_and_helpdesk_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A real `run --format json` report and a real `ccwb-doctor report` file (its embedded JSON) read alike."""
    from ccwb_doctor.fixtures import scenarios as sc

    s = sc.reference_install(tmp_path / "home")
    out = tmp_path / "reports"
    out.mkdir()
    base = ["--home", str(s.home), "--offline", "--only", "config,binary"]
    env = {**os.environ, **s.env}
    for cmd, name in ((["run", "--format", "json"], "run.json"), (["report"], "ticket.md")):
        proc = subprocess.run(
            [sys.executable, "-m", "ccwb_doctor", *cmd, *base, "--output", str(out / name)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        assert (out / name).exists(), proc.stderr
    code, text, err = fleet(capsys, str(out), "--format", "json")
    doc = json.loads(text)
    assert doc["totals"]["reports"] == 2 and doc["totals"]["unreadable"] == 0, doc["unreadable"]
    run_summary = json.loads((out / "run.json").read_text(encoding="utf-8"))["summary"]
    assert doc["totals"]["results"] == {k: 2 * v for k, v in run_summary.items()}


SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzFLEETSECRET1"
PASSWORD = "tulip-orchard-lantern"


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_every_format_is_redacted(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    """A hand-edited report with secrets in the fields the fleet shows: none reaches any format."""
    doc = make_report(0, platform=LINUX, failing=frozenset({"NET-IDP"}))
    r = next(r for r in doc["results"] if r["id"] == "NET-IDP")
    r["remediation"] = f"export AWS_SECRET_ACCESS_KEY={SECRET_KEY} and --client-secret {PASSWORD}"
    r["title"] = f"IdP reachable with password={PASSWORD}"
    _write(tmp_path / f"dev {SECRET_KEY}.json", doc)
    code, out, _ = fleet(capsys, str(tmp_path), "--format", fmt)
    assert code == 1
    assert SECRET_KEY not in out and PASSWORD not in out
    assert (
        "«redacted»" in out or "&laquo;redacted&raquo;" in out or "«redacted»" in out.replace("&#x27;", "'")
    )
