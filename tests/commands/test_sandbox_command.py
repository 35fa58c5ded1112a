"""`ccwb-doctor sandbox` as a user runs it: a real subprocess, its exit codes, formats, --keep and Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "ccwb_doctor"]


def doctor(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False)


def test_break_writes_a_schema_valid_report_and_exits_1(tmp_path: Path) -> None:
    import jsonschema

    out = tmp_path / "report.json"
    r = doctor("sandbox", "--break", "aud-mismatch", "--format", "json", "--output", str(out))
    assert r.returncode == 1, r.stderr
    assert r.stdout == ""  # the report went to the file, progress to stderr
    assert "root cause TRUST-AUDIENCE: found" in r.stderr
    doc = json.loads(out.read_text())
    schema = json.loads((REPO / "ccwb_doctor" / "schema" / "report-v1.json").read_text())
    jsonschema.validate(doc, schema)
    statuses = {x["id"]: x["status"] for x in doc["results"] if x["status"] == "fail"}
    assert statuses.get("TRUST-AUDIENCE") == "fail"


def test_only_selects_checks_and_unknown_names_are_usage_errors() -> None:
    r = doctor("sandbox", "--only", "CONFIG,LIVE-CREDENTIALS", "--format", "json")
    assert r.returncode == 0, r.stderr
    ids = [x["id"] for x in json.loads(r.stdout)["results"]]
    assert set(ids) == {
        "CONFIG-PROFILE",
        "CONFIG-CREDENTIAL-PROCESS",
        "CONFIG-SHADOWED-CREDS",
        "CONFIG-SETTINGS",
        "CONFIG-HELPER-CACHE",
        "LIVE-CREDENTIALS",
    }
    bad = doctor("sandbox", "--only", "NOPE-1")
    assert bad.returncode == 2 and "NOPE-1" in bad.stderr


def test_break_list_and_unknown_break() -> None:
    from ccwb_doctor.fixtures.sandbox_breaks import PITFALLS

    listed = doctor("sandbox", "--break", "list", "--format", "json")
    assert listed.returncode == 0
    assert set(json.loads(listed.stdout)) == set(PITFALLS)
    for name in (
        "aud-mismatch",
        "trust-condition",
        "token-expiry",
        "wrong-arch",
        "credential-process-path",
        "idp-unreachable",
        "bedrock-unreachable",
        "region-mismatch",
        "cris-destination-missing",
        "tagsession-missing",
    ):
        assert name in PITFALLS  # the minimum set
    unknown = doctor("sandbox", "--break", "nope")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "unknown pitfall" in unknown.stderr


@pytest.mark.timeout(90)
def test_keep_prints_a_reusable_environment_and_ctrl_c_cleans_up(spawn) -> None:  # type: ignore[no-untyped-def]
    proc = spawn(
        [*CLI, "sandbox", "--keep", "--only", "CONFIG"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    env: dict[str, str] = {}
    log = ""
    deadline = time.monotonic() + 60
    try:
        assert proc.stderr is not None
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            if line.startswith("# the AWS emulator's own log: "):
                log = line.split(": ", 1)[1].strip()
            m = re.match(r"export (\w+)=(.*)$", line.strip())
            if m:
                env[m.group(1)] = m.group(2).strip("'")
            if line.startswith("# then:"):
                break
        assert {"HOME", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"} <= set(env), env
        assert Path(log).is_file()  # the emulator's own log, named by --keep
        home = Path(env["HOME"])
        assert (home / ".aws" / "config").is_file()
        settings = json.loads((home / ".claude" / "settings.json").read_text())
        # still up: the STS endpoint of the settings answers, the IdP's discovery verifies with the CA
        with urllib.request.urlopen(
            settings["env"]["AWS_ENDPOINT_URL_STS"] + "/?Action=GetCallerIdentity", timeout=5
        ) as _:
            pass
    except urllib.error.HTTPError as exc:  # an AWS-shaped error answer proves it is up
        assert exc.code in (400, 403)
    finally:  # Ctrl-C; the spawn fixture kills the group if it does not end in time
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=20)
    assert proc.returncode in (1, 130, 0)
    assert not Path(env["HOME"]).parent.exists(), "the sandbox directory was left behind"


def test_report_from_the_sandbox_is_the_doctors_exit_code() -> None:
    r = doctor("sandbox", "--break", "bedrock-unreachable", "--only", "NET-BEDROCK,LIVE-BEDROCK")
    assert r.returncode == 1
    assert "NET-BEDROCK" in r.stdout and "refused" in r.stdout
    assert "fix:" in r.stdout


def test_healthy_sandbox_is_green_and_prints_only_its_own_progress() -> None:
    """moto's and werkzeug's words (request lines, tracebacks) stay in the emulator log, never on stderr."""
    import shutil

    r = doctor("sandbox", "--format", "json", "-v")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)["summary"]
    assert summary["fail"] == summary["warn"] == summary["error"] == 0, summary
    lines = r.stderr.splitlines()
    assert lines and all(line.startswith("sandbox: ") for line in lines), r.stderr
    logs = [line for line in lines if line.startswith("sandbox: logs ")]
    assert len(logs) == 1
    m = re.match(r"sandbox: logs\s+(\S+) \(.*kept with (\S+)\)$", logs[0])
    assert m, logs[0]
    try:
        text = Path(m.group(1)).read_text()
        assert '"POST / HTTP/1.1" 200' in text  # the backend's request lines went to the log
        assert "Traceback" not in text
    finally:
        shutil.rmtree(m.group(2), ignore_errors=True)
