"""LIVE-CREDENTIALS / LIVE-IDENTITY / LIVE-BEDROCK over real HOMEs, the real reference helper as a
subprocess, the fixture IdP and the AWS emulator on loopback."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.clientconfig.credproc import check_output, parse_rfc3339
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.aws_emulator import AwsEmulator
from ccwb_doctor.fixtures.idp import FixtureIdP
from ccwb_doctor.options import LIVE, OFFLINE

ACCOUNT = sc.ACCOUNT
ROLE = "ccwb-federated"


class World:
    def __init__(self, idp: FixtureIdP, aws: AwsEmulator) -> None:
        self.idp, self.aws = idp, aws
        self.provider_arn = aws.register_provider(idp.issuer, [idp.client_id])
        self.iam = aws.client("iam")

    def trust(self, tag_session: bool = True) -> dict[str, Any]:
        prefix = self.provider_arn.split("oidc-provider/", 1)[1]
        actions = ["sts:AssumeRoleWithWebIdentity"] + (["sts:TagSession"] if tag_session else [])
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": self.provider_arn},
                    "Action": actions,
                    "Condition": {"StringEquals": {f"{prefix}:aud": self.idp.client_id}},
                }
            ],
        }

    def put_role(self, name: str, *, tag_session: bool = True, model_regions: str = "*") -> str:
        try:
            self.iam.delete_role_policy(RoleName=name, PolicyName="bedrock")
            self.iam.delete_role(RoleName=name)
        except Exception:  # noqa: BLE001 - first creation
            pass
        arn = self.iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(self.trust(tag_session)),
            MaxSessionDuration=3600,
        )["Role"]["Arn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                    "Resource": [
                        f"arn:aws:bedrock:*:{ACCOUNT}:inference-profile/*",
                        f"arn:aws:bedrock:{model_regions}::foundation-model/*",
                    ],
                }
            ],
        }
        self.iam.put_role_policy(RoleName=name, PolicyName="bedrock", PolicyDocument=json.dumps(policy))
        return str(arn)

    def install(self, home: Path, **kw: Any) -> sc.Scenario:
        s = sc.reference_install(home, issuer=self.idp.issuer, client_id=self.idp.client_id, **kw)
        s.env.update(
            self.aws.env(),
            BROWSER=f"{sys.executable} -m ccwb_doctor.fixtures.idp_browser %s",
            CCWB_LOGIN_TIMEOUT="20",
        )
        return s

    def session_creds(self, role: str, session: str) -> dict[str, Any]:
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        sts = boto3.client(
            "sts",
            endpoint_url=self.aws.sts_url,
            region_name="us-east-1",
            config=Config(signature_version=UNSIGNED),
        )
        arn = self.put_role(role)
        c = sts.assume_role_with_web_identity(
            RoleArn=arn, RoleSessionName=session, WebIdentityToken=self.idp.mint()
        )["Credentials"]
        return {
            "Version": 1,
            "AccessKeyId": c["AccessKeyId"],
            "SecretAccessKey": c["SecretAccessKey"],
            "SessionToken": c["SessionToken"],
            "Expiration": c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with FixtureIdP() as idp, AwsEmulator() as aws:
        w = World(idp, aws)
        w.put_role(ROLE)
        yield w


def run(s: sc.Scenario, mode: str = LIVE, timeout: float = 30.0) -> dict[str, Any]:
    from ccwb_doctor.app import run_report

    report = run_report(s.options(mode=mode, timeout=timeout), only=["live"], env=s.env)
    return {r.id: r for r in report.results}, report


def script_helper(s: sc.Scenario, body: str) -> Path:
    """A real executable helper whose behaviour the test writes (shell script)."""
    path = sc.write(s.home / "bin" / "fake-helper", "#!/bin/sh\n" + body, 0o755)
    sc.write(
        s.aws_config,
        f"[profile {s.profile}]\ncredential_process = {path} --profile {s.profile}\nregion = us-east-1\n",
    )
    return path


def test_all_pass_with_reference_helper(world: World, tmp_path: Path) -> None:
    world.put_role(ROLE)
    res, _ = run(world.install(tmp_path / "home"))
    assert res["LIVE-CREDENTIALS"].status == "pass", res["LIVE-CREDENTIALS"].message
    assert res["LIVE-IDENTITY"].status == "pass", res["LIVE-IDENTITY"].message
    assert "alice@example.com" in res["LIVE-IDENTITY"].message
    assert res["LIVE-BEDROCK"].status == "pass", res["LIVE-BEDROCK"].message
    assert (
        res["LIVE-BEDROCK"].evidence["endpoint_from"] == "ANTHROPIC_BEDROCK_BASE_URL"
    )  # what Claude Code uses


def test_skip_unless_live(world: World, tmp_path: Path) -> None:
    res, _ = run(world.install(tmp_path / "home"), mode=OFFLINE)
    assert {r.status for r in res.values()} == {"skip"}
    assert all("--live" in r.message for r in res.values())


def test_skip_without_credential_process(world: World, tmp_path: Path) -> None:
    s = sc.apply(world.install(tmp_path / "home"), "no-credential-process")
    res, _ = run(s)
    assert res["LIVE-CREDENTIALS"].status == "skip" and "CONFIG-PROFILE" in res["LIVE-CREDENTIALS"].message
    s = sc.apply(world.install(tmp_path / "home2"), "missing-program")
    res, _ = run(s)
    assert (
        res["LIVE-CREDENTIALS"].status == "skip"
        and "CONFIG-CREDENTIAL-PROCESS" in res["LIVE-CREDENTIALS"].message
    )


def test_sts_access_denied_tagsession_quotes_helper_stderr(world: World, tmp_path: Path) -> None:
    world.put_role(ROLE, tag_session=False)  # alice's token carries session tags
    try:
        res, _ = run(world.install(tmp_path / "home"))
    finally:
        world.put_role(ROLE)
    r = res["LIVE-CREDENTIALS"]
    assert r.status == "fail" and "exited 1" in r.message and "AccessDenied" in r.message
    assert r.evidence["sts_error"] == "AccessDenied" and "TRUST-TAGSESSION" in r.remediation
    assert res["LIVE-IDENTITY"].status == "skip" and res["LIVE-BEDROCK"].status == "skip"


def test_nonzero_exit_redacts_secret_on_stderr(world: World, tmp_path: Path) -> None:
    from ccwb_doctor.app import render_report

    s = world.install(tmp_path / "home")
    secret = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"
    script_helper(s, f"echo 'login failed for token {secret}' >&2\nexit 3\n")
    res, report = run(s)
    r = res["LIVE-CREDENTIALS"]
    assert r.status == "fail" and "exited 3" in r.message and "login failed" in r.message
    assert secret not in render_report(report, "json")


def test_contract_violations_fail(world: World, tmp_path: Path) -> None:
    s = world.install(tmp_path / "home")
    script_helper(s, 'echo "Logging in..."\necho \'{"Version": 1}\'\n')
    res, _ = run(s)
    assert (
        res["LIVE-CREDENTIALS"].status == "fail"
        and "not one JSON document" in res["LIVE-CREDENTIALS"].message
    )
    script_helper(s, 'echo \'{"Version": 2, "AccessKeyId": "ASIAX", "SecretAccessKey": "s3cretvalue"}\'\n')
    msg = run(s)[0]["LIVE-CREDENTIALS"].message
    assert "Version is 2" in msg and "SessionToken is missing" in msg and "Expiration is missing" in msg


def test_short_expiry_warns_and_expired_fails(world: World, tmp_path: Path) -> None:
    s = world.install(tmp_path / "home")
    creds = world.session_creds(ROLE, "alice@example.com")
    for minutes, want in ((5, "warn"), (-5, "fail")):
        exp = (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
        f = sc.write(s.home / "creds.json", json.dumps(dict(creds, Expiration=exp)))
        script_helper(s, f"cat {f}\n")
        r = run(s)[0]["LIVE-CREDENTIALS"]
        assert r.status == want, r.message
    assert "expired" in r.message


def test_timeout_fails(world: World, tmp_path: Path) -> None:
    s = world.install(tmp_path / "home")
    script_helper(s, "exec sleep 30\n")
    r = run(s, timeout=3)[0]["LIVE-CREDENTIALS"]
    assert r.status == "fail" and "did not finish" in r.message


def test_identity_wrong_role_and_anonymous_session(world: World, tmp_path: Path) -> None:
    s = world.install(tmp_path / "home")
    f = sc.write(s.home / "creds.json", json.dumps(world.session_creds("other-role", "alice@example.com")))
    script_helper(s, f"cat {f}\n")
    r = run(s)[0]["LIVE-IDENTITY"]
    assert r.status == "fail" and "other-role" in r.message and ROLE in r.message
    f.write_text(json.dumps(world.session_creds(ROLE, "botocore-session-1")))
    r = run(s)[0]["LIVE-IDENTITY"]
    assert r.status == "warn" and "does not identify the user" in r.message


def test_bedrock_denied_destination_region(world: World, tmp_path: Path) -> None:
    world.put_role(ROLE, model_regions="us-east-1")
    try:
        r = run(world.install(tmp_path / "home"))[0]["LIVE-BEDROCK"]
    finally:
        world.put_role(ROLE)
    assert r.status == "fail" and r.evidence["result"] == "AccessDeniedException"
    assert (
        "denied InvokeModel" in r.message and "arn:aws:bedrock:us-east-2::foundation-model/" in r.remediation
    )


def test_bedrock_region_mismatch(world: World, tmp_path: Path) -> None:
    r = run(world.install(tmp_path / "home", bedrock_region="eu-west-1"))[0]["LIVE-BEDROCK"]
    assert r.status == "fail" and "rejects the model id" in r.message and "eu-west-1" in r.message


def test_bedrock_unreachable(world: World, tmp_path: Path) -> None:
    s = world.install(tmp_path / "home")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s.env["ANTHROPIC_BEDROCK_BASE_URL"] = f"http://127.0.0.1:{port}"
    r = run(s)[0]["LIVE-BEDROCK"]
    assert r.status == "fail" and "cannot reach Bedrock" in r.message


# ---- the contract analyzer -------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_check_output_never_raises(text: str) -> None:
    c = check_output(text, 0.0)
    assert c.problems or c.usable


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_rfc3339_roundtrip(dt: datetime) -> None:
    text = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert parse_rfc3339(text) == dt.replace(microsecond=0)
    assert parse_rfc3339(text.replace("T", " ")) is None
