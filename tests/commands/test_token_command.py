"""`ccwb-doctor token FILE|-`: decoded token + verdict in text, a schema-v1 TOKEN/TRUST report in json."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccwb_doctor.cli import main
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.idp import FixtureIdP


@pytest.fixture(scope="module")
def idp() -> Iterator[FixtureIdP]:
    with FixtureIdP(tls=True) as server:
        yield server


@pytest.fixture
def setup(tmp_path: Path, idp: FixtureIdP, monkeypatch: pytest.MonkeyPatch) -> tuple[sc.Scenario, Path]:
    s = sc.reference_install(tmp_path / "home", issuer=idp.issuer, client_id=idp.client_id)
    ca = sc.write(tmp_path / "ca.pem", idp.ca.cert_pem.bytes())
    for k in list(s.env):
        monkeypatch.setenv(k, s.env[k])
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    host = idp.issuer.removeprefix("https://")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{sc.ACCOUNT}:oidc-provider/{host}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{host}:aud": idp.client_id},
                    "StringLike": {f"{host}:sub": "00u*"},
                },
            }
        ],
    }
    return s, sc.write(tmp_path / "trust.json", json.dumps(trust))


def test_text_shows_claims_verdict_and_masks_signature(setup, idp, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    s, trust = setup
    tok = idp.mint()
    f = sc.write(tmp_path / "t.jwt", tok)
    code = main(["token", str(f), "--home", str(s.home), "--trust-policy", str(trust)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert '"alg": "RS256"' in out and '"sub": "00u' in out and "signature: <masked" in out
    assert "Trust verdict for sts:AssumeRoleWithWebIdentity: ALLOWED" in out and "decided by" in out
    assert "TOKEN-SIGNATURE" in out and "TRUST-CONDITIONS" in out and "CONFIG-PROFILE" not in out
    assert tok not in out and tok.split(".")[2] not in out


def test_json_is_a_v1_report_of_token_and_trust_checks(setup, idp, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    s, trust = setup
    tok = idp.mint(sub="someone-else")
    monkeypatch.setattr(sys, "stdin", io.StringIO(tok + "\n"))
    code = main(["token", "-", "--home", str(s.home), "--trust-policy", str(trust), "--format", "json"])
    raw = capsys.readouterr().out
    doc = json.loads(raw)
    assert code == 1 and doc["schema"] == "ccwb-doctor/report/v1"
    ids = {r["id"] for r in doc["results"]}
    assert ids == {
        "TOKEN-PRESENT",
        "TOKEN-SIGNATURE",
        "TOKEN-EXPIRY",
        "TRUST-ISSUER",
        "TRUST-AUDIENCE",
        "TRUST-CONDITIONS",
        "TRUST-TAGSESSION",
        "TRUST-SESSION-DURATION",
    }
    cond = next(r for r in doc["results"] if r["id"] == "TRUST-CONDITIONS")
    assert (
        cond["status"] == "fail" and "AccessDenied" in cond["message"] and "someone-else" in cond["message"]
    )
    assert tok not in raw and tok.split(".")[2] not in raw


def test_missing_file_is_usage_error(setup, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    s, _ = setup
    assert main(["token", str(tmp_path / "nope.jwt"), "--home", str(s.home)]) == 2
    assert "nope.jwt" in capsys.readouterr().err


def test_offline_hs256_subprocess(setup, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import jwt

    s, _ = setup
    tok = jwt.encode(
        {"iss": "https://idp.example.com", "sub": "s", "aud": "a", "iat": 1, "exp": 2},
        "k" * 32,
        algorithm="HS256",
    )
    f = sc.write(tmp_path / "hs.jwt", tok)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ccwb_doctor",
            "token",
            str(f),
            "--offline",
            "--home",
            str(s.home),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=s.env,
    )
    doc = json.loads(proc.stdout)
    sig = next(r for r in doc["results"] if r["id"] == "TOKEN-SIGNATURE")
    assert proc.returncode == 1 and sig["status"] == "fail" and "HMAC" in sig["message"]
    assert tok not in proc.stdout + proc.stderr


def test_text_to_output_file(setup, idp, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    s, trust = setup
    tok = idp.mint()
    f = sc.write(tmp_path / "t.jwt", tok)
    out = tmp_path / "out.txt"
    assert (
        main(["token", str(f), "--home", str(s.home), "--trust-policy", str(trust), "--output", str(out)])
        == 0
    )
    text = out.read_text()
    assert "Trust verdict" in text and "TOKEN-PRESENT" in text and tok not in text
