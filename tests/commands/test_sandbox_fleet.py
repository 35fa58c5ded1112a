"""`ccwb-doctor sandbox --fleet N`: simulated developers on mixed platforms export to the sandbox collector
over TLS; the fleet view counts every one of them, names each planted pitfall's root check, and the HTML
page is written beside the collector's OTLP JSON file."""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ccwb_doctor.cli import main
from ccwb_doctor.fixtures.guidance_corpus import BROKEN, HEALTHY
from ccwb_doctor.fixtures.sandbox_fleet import plan


def test_a_fleet_of_twelve(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["sandbox", "--fleet", "12", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    names = plan(12)
    pitfalls = Counter(BROKEN[n][0] for n in names if n in BROKEN)
    assert len(pitfalls) >= 3
    assert doc["totals"]["reports"] == 12 and doc["totals"]["unreadable"] == 0
    causes = {c["id"]: c["failing"] for c in doc["root_causes"]}
    for root, n in pitfalls.items():
        assert causes.get(root, 0) >= n, (root, causes)
    platforms = {p["platform"] for p in doc["platforms"]}
    want = {HEALTHY[n].platform.replace("-", "/") for n in names if n in HEALTHY}
    assert want <= platforms and {"macos/arm64", "windows/x86_64", "linux/arm64"} <= platforms
    assert "exported   12/12 runs" in err
    page = Path(re.search(r"fleet page (\S+)", err).group(1))  # type: ignore[union-attr]
    assert page.parent.parent == tmp_path
    html = page.read_text()
    assert "default-src 'none'" in html and "<svg" in html and all(root in html for root in pitfalls)
    lines = (page.parent / "collector-logs.json").read_text().splitlines()
    assert len(lines) == 12  # one OTLP JSON logs request per developer
    assert not (page.parent / "developers").exists()  # the simulated HOMEs are gone


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["--fleet", "0"], "must be 1..500 developers"),
        (["--fleet", "501"], "must be 1..500 developers"),
        (["--fleet", "many"], "not a number of developers"),
        (["--fleet", "3", "--break", "aud-mismatch"], "--fleet runs on its own"),
        (["--fleet", "3", "--format", "sarif"], "not sarif"),
    ],
)
def test_bad_fleet_usage_is_exit_2(capsys: Any, argv: list[str], why: str) -> None:
    assert main(["sandbox", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and why in err
