"""`ccwb-doctor report`: secrets planted everywhere never reach the file; --anonymize is consistent."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.redact.anonymize import Anonymizer
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.collector import FixtureCollector
from ccwb_doctor.fixtures.idp import FixtureIdP

SETTINGS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSETTINGSKEY1"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEPLANTEDSESSIONTOKENVALUE0123456789abcdef"
API_KEY = "sk-ant-api03-PlantedApiKeyValue-9f8e7d6c5b4a"
STDERR_SECRET = "gho_StderrPlantedSecret0123456789ABCDEF"
REFRESH = "rt-PlantedRefreshToken-0123456789-abcdefXYZ"
CLIENT_SECRET = "GOCSPX-PlantedClientSecret-0123456789"
HELPER_OUT_SECRET = "hs-HelperStdoutSecretValue-ZYX987654321"
# secrets that do not look random: only their key name (option, assignment, header, URL password) tells
KN_ARG_SECRET = "tulip-orchard-lantern"
KN_ARG_PASSWORD = "Summer2024pass"
KN_STDERR_SECRET = "marmalade-sky-over"
KN_STDERR_PASSWORD = "hunter2hunter2"
KN_ENV_SECRET = "blue-whale-song"
KN_URL_PASSWORD = "river-otel-pass"
KN_HEADER_SECRET = "walnut-header-key"
KEY_NAMED = [
    KN_ARG_SECRET,
    KN_ARG_PASSWORD,
    KN_STDERR_SECRET,
    KN_STDERR_PASSWORD,
    KN_ENV_SECRET,
    KN_URL_PASSWORD,
    KN_HEADER_SECRET,
]


def plant(tmp_path: Path, idp: FixtureIdP, col: FixtureCollector) -> tuple[sc.Scenario, list[str]]:
    s = sc.reference_install(
        tmp_path / "home", issuer=idp.issuer, client_id=idp.client_id, collector=col.endpoint
    )
    doc = s.read_settings()
    doc["env"].update(
        AWS_SECRET_ACCESS_KEY=SETTINGS_SECRET,
        AWS_SESSION_TOKEN=SESSION_TOKEN,
        ANTHROPIC_API_KEY=API_KEY,
        OTEL_EXPORTER_OTLP_HEADERS=f"authorization=Bearer%20{API_KEY},x-api-key={KN_HEADER_SECRET}",
        OTEL_EXPORTER_OTLP_ENDPOINT=col.endpoint.replace("://", f"://otel:{KN_URL_PASSWORD}@", 1),
        MY_SERVICE_PASSWORD=KN_ENV_SECRET,
    )
    s.write_settings(doc)
    sc.apply(s, "static-keys")  # ~/.aws/credentials with aws_secret_access_key = FAKE_SECRET
    cfg = json.loads(s.helper_config.read_text())
    cfg["profiles"][s.profile]["client_secret"] = CLIENT_SECRET
    sc.write(s.helper_config, json.dumps(cfg))
    id_token = idp.mint({"email": "carol@corp-internal.net"})
    cache = s.home / ".cache" / "ccwb-credential-process"
    sc.write(
        cache / f"{s.profile}.json",
        json.dumps(
            {
                "id_token": id_token,
                "id_token_exp": 4102444800,
                "issuer": idp.issuer,
                "credentials": {
                    "Version": 1,
                    "AccessKeyId": "ASIAPLANTEDPLANTED01",
                    "SecretAccessKey": SETTINGS_SECRET[::-1],
                    "SessionToken": SESSION_TOKEN[::-1],
                    "Expiration": "2099-01-01T00:00:00Z",
                },
            }
        ),
    )
    sc.write(cache / f"{s.profile}.refresh.json", json.dumps({"refresh_token": REFRESH}))
    sc.write(
        s.home / ".claude-code-session" / f"{s.profile}-monitoring.json",
        json.dumps({"token": id_token, "expires": 4102444800, "email": "carol@corp-internal.net"}),
    )
    helper = sc.write(
        s.home / "bin" / "fake-helper",
        "#!/bin/sh\n"
        f"echo 'auth error: refresh failed with token {STDERR_SECRET}' >&2\n"
        f"echo 'invalid_client: client_secret={KN_STDERR_SECRET} password={KN_STDERR_PASSWORD}' >&2\n"
        f'echo \'{{"leak": "{HELPER_OUT_SECRET}"}}\'\nexit 1\n',
        0o755,
    )
    sc.write(
        s.aws_config,
        f"[profile {s.profile}]\ncredential_process = {helper} --profile {s.profile} "
        f"--client-secret {KN_ARG_SECRET} --password={KN_ARG_PASSWORD}\nregion = us-east-1\n",
    )
    secrets = [
        SETTINGS_SECRET,
        SESSION_TOKEN,
        API_KEY,
        STDERR_SECRET,
        REFRESH,
        CLIENT_SECRET,
        HELPER_OUT_SECRET,
        sc.FAKE_SECRET,
        id_token,
        SETTINGS_SECRET[::-1],
        SESSION_TOKEN[::-1],
        *KEY_NAMED,
    ]
    return s, secrets


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "ccwb_doctor", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=90,
        check=False,
    )


@pytest.fixture
def planted(tmp_path: Path) -> Any:
    with FixtureIdP() as idp, FixtureCollector() as col:
        yield (*plant(tmp_path, idp, col), tmp_path)


def test_no_planted_secret_survives(planted: Any) -> None:
    s, secrets, tmp_path = planted
    out = tmp_path / "ticket.md"
    proc = cli(
        [
            "report",
            "--home",
            str(s.home),
            "--live",
            "--skip",
            "network",
            "--output",
            str(out),
            "--timeout",
            "20",
        ],
        s.env,
    )
    assert proc.returncode == 1, proc.stderr  # LIVE-CREDENTIALS fails: the helper exits 1
    assert f"wrote {out}" in proc.stderr
    text = out.read_text()
    for secret in secrets:
        for piece in (secret, secret[:16], secret[-16:]):
            assert piece not in text, f"secret fragment {piece[:6]}… leaked"
            assert piece not in proc.stderr and piece not in proc.stdout
    assert (
        "LIVE-CREDENTIALS" in text and "auth error: refresh failed" in text
    )  # the stderr line is quoted, masked
    # layout: summary + problems with fixes on top, then environment, then the embedded JSON
    assert (
        text.index("**Summary:**")
        < text.index("## Problems")
        < text.index("## Environment")
        < text.index("```json")
    )
    doc = json.loads(re.search(r"```json\n(.*?)\n```", text, re.S).group(1))
    assert doc["schema"] == "ccwb-doctor/report/v1"
    assert {r["id"] for r in doc["results"]} >= {"LIVE-CREDENTIALS", "TOKEN-PRESENT", "OTEL-CONFIG"}
    assert "| botocore |" in text and "| Credential helper |" in text


def test_stdout_default_and_anonymize(planted: Any) -> None:
    s, _, _ = planted
    proc = cli(["report", "--home", str(s.home), "--offline", "--anonymize"], s.env)
    text = proc.stdout
    assert text.startswith("# ccwb-doctor helpdesk report")
    assert "carol@corp-internal.net" not in text and sc.ACCOUNT not in text
    tokens = set(re.findall(r"user-[0-9a-f]{8}@example\.invalid", text))
    assert len(tokens) == 1  # the same address always maps to the same token
    accounts = set(re.findall(r"acct-[0-9a-f]{8}", text))
    assert len(accounts) == 1
    json.loads(re.search(r"```json\n(.*?)\n```", text, re.S).group(1))  # still valid JSON
    for secret in KEY_NAMED:
        assert secret not in text and secret not in proc.stderr, secret


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "junit", "sarif"])
def test_key_named_secrets_masked_in_every_format(planted: Any, fmt: str) -> None:
    """Secrets that only their key name gives away (--client-secret S, password=P, x-api-key=K,
    https://otel:PASS@host, MY_SERVICE_PASSWORD) are masked in `run -v` output of every format."""
    s, _, _ = planted
    args = ["--home", str(s.home), "--live", "--skip", "network", "-v", "--format", fmt, "--timeout", "20"]
    proc = cli(args, s.env)
    assert proc.returncode == 1, proc.stderr
    assert "LIVE-CREDENTIALS" in proc.stdout
    for secret in KEY_NAMED:
        assert secret not in proc.stdout and secret not in proc.stderr, (fmt, secret)
    if fmt == "json":
        doc = json.loads(proc.stdout)
        texts = json.dumps(doc, ensure_ascii=False)
        assert "--client-secret «redacted»" in texts and "otel:«redacted»@" in texts


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    proc = cli(["report", "--home", str(tmp_path / "missing")], {"HOME": str(tmp_path), "PATH": os.defpath})
    assert proc.returncode == 2 and "no such directory" in proc.stderr


def test_output_written_atomically_in_place(planted: Any) -> None:
    s, _, tmp_path = planted
    out = tmp_path / "ticket.md"
    out.write_text("old")
    proc = cli(["report", "--home", str(s.home), "--offline", "--output", str(out)], s.env)
    assert proc.returncode in (0, 1) and out.read_text().startswith("# ccwb-doctor helpdesk report")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".ticket.md.")] == []


# ---- the anonymiser --------------------------------------------------------------------------------


def test_anonymizer_examples() -> None:
    a = Anonymizer(key=b"k")
    text = (
        "alice@corp.com assumed arn:aws:iam::123456789012:role/x via https://login.corp.com:8443/o "
        "and idp.corp.com; bedrock-runtime.us-east-1.amazonaws.com stays; http://127.0.0.1:9/x stays; "
        "config.json and us.anthropic.claude-sonnet-4-5-20250929-v1:0 stay; ALICE@corp.com again"
    )
    out = a.text(text)
    assert "corp.com" not in out and "123456789012" not in out
    assert "bedrock-runtime.us-east-1.amazonaws.com" in out and "127.0.0.1:9" in out
    assert "config.json" in out and "us.anthropic.claude-sonnet-4-5-20250929-v1:0" in out
    assert len(set(re.findall(r"user-[0-9a-f]{8}", out))) == 1
    assert out.count("host-") == 2 and len(set(re.findall(r"host-[0-9a-f]{8}", out))) == 2
    assert a.text(out) == out  # idempotent
    assert Anonymizer(key=b"other").text("alice@corp.com") != a.text("alice@corp.com")


emails = st.from_regex(r"[a-z]{1,8}@[a-z]{2,8}\.(com|net|io)", fullmatch=True)
accounts = st.from_regex(r"[1-9][0-9]{11}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(emails, accounts, st.text(max_size=15)), max_size=8))
def test_anonymizer_consistent_and_total(parts: list[str]) -> None:
    a = Anonymizer(key=b"fixed")
    text = " ".join(parts)
    out = a.text(text)
    assert a.text(text) == out  # same input -> same output
    for p in parts:
        # (an account id of one repeated digit is a placeholder the anonymizer keeps on purpose)
        account = re.fullmatch(r"[1-9][0-9]{11}", p) and len(set(p)) > 1
        if re.fullmatch(r"[a-z]{1,8}@[a-z]{2,8}\.(com|net|io)", p) or account:
            assert p not in out.split(" ")
    doc = a.apply({"k": [text, {"n": text}]})
    assert doc == {"k": [out, {"n": out}]}
