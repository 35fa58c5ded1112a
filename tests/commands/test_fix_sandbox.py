"""`ccwb-doctor sandbox --break PITFALL --fix`: for each pitfall whose fix is local, the root cause FAILs,
the fix is applied, and the doctor is green again (a real subprocess, as a user runs it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "ccwb_doctor"]
LOCAL = {
    "credential-process-path": "CONFIG-CREDENTIAL-PROCESS",
    "shadowed-credentials": "CONFIG-SHADOWED-CREDS",
    "region-mismatch": "REGION-ALIGNMENT",
    "wrong-arch": "BINARY-ARCH",
}


@pytest.mark.parametrize("pitfall", sorted(LOCAL))
def test_sandbox_fix_turns_the_doctor_green(tmp_path: Path, pitfall: str, spawn) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report.json"
    argv = [*CLI, "sandbox", "--break", pitfall, "--fix", "--format", "json", "--output", str(out)]
    proc = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    root = LOCAL[pitfall]
    assert f"root cause {root}: found" in err
    assert f"before fix {root} FAIL" in err
    assert "sandbox: fix        wrote " in err
    assert "after fix  green" in err
    doc = json.loads(out.read_text())
    assert doc["summary"]["fail"] == 0 and doc["summary"]["error"] == 0


def test_sandbox_fix_leaves_advice_for_a_pitfall_that_is_not_local(tmp_path: Path, spawn) -> None:  # type: ignore[no-untyped-def]
    argv = [*CLI, "sandbox", "--break", "aud-mismatch", "--fix", "--only", "TRUST,CONFIG", "--format", "json"]
    proc = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    so, err = proc.communicate(timeout=240)
    assert proc.returncode == 1, err
    assert "nothing to fix" in err
    assert "still failing: " in err and "TRUST-AUDIENCE" in err
    assert json.loads(so)["summary"]["fail"] >= 1
