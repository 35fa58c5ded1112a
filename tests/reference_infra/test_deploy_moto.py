"""Deploy auth.yaml to a real moto server on 127.0.0.1 (reuse-by-ARN provider path) and read it back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("moto.server")

ISSUER = "https://idp.example.com/realms/dev"
CREDS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from ccwb_doctor.fixtures.aws_emulator import moto_server

    with moto_server() as url:
        yield url


def _iam(url: str) -> Any:
    import boto3

    return boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _deploy(url: str, stack: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **CREDS}
    env.pop("AWS_PROFILE", None)
    argv = [
        sys.executable,
        "-m",
        "ccwb_doctor.reference_infra",
        "deploy",
        "--stack",
        stack,
        "--template",
        "auth",
        "--param",
        f"OidcIssuerUrl={ISSUER}",
        "--param",
        "OidcClientId=ccwb-client",
        "--endpoint-url",
        url,
        "--region",
        "us-east-1",
        "--reuse-provider",
        *extra,
    ]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def test_deploy_auth_and_read_back(moto_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = _deploy(
        moto_url,
        "ccwb-auth",
        "--param",
        "EnableSessionTags=true",
        "--param",
        "MaxSessionDuration=14400",
        "--models",
        "sonnet-4-6",
        "--source-regions",
        "eu-west-1",
        "--geographies",
        "eu",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["OidcIssuerUrl"] == ISSUER and out["ClientId"] == "ccwb-client"
    assert out["ProviderDomain"] == "idp.example.com/realms/dev"
    assert out["MaxSessionDuration"] == "14400"
    cfg = json.loads(out["ConfigurationJson"])
    assert cfg["federated_role_arn"] == out["FederatedRoleArn"]

    iam = _iam(moto_url)
    role_name = out["FederatedRoleArn"].rsplit("/", 1)[1]
    role = iam.get_role(RoleName=role_name)["Role"]
    assert role["MaxSessionDuration"] == 14400
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    (st,) = trust["Statement"]
    assert st["Principal"]["Federated"] == out["OidcProviderArn"]
    assert st["Action"] == ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]
    assert st["Condition"]["StringEquals"] == {"idp.example.com/realms/dev:aud": "ccwb-client"}
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=out["OidcProviderArn"])
    assert "ccwb-client" in provider["ClientIDList"]

    _deployed_outputs_drive_the_helper_and_conform(tmp_path, out, role)

    (att,) = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    assert att["PolicyArn"] == out["BedrockPolicyArn"]
    pol = iam.get_policy(PolicyArn=att["PolicyArn"])["Policy"]
    doc = iam.get_policy_version(PolicyArn=att["PolicyArn"], VersionId=pol["DefaultVersionId"])[
        "PolicyVersion"
    ]
    doc = doc["Document"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    regional = next(s for s in doc["Statement"] if s["Sid"] == "InvokeFoundationModelsInDestinationRegions")
    regions = regional["Condition"]["StringEquals"]["aws:RequestedRegion"]
    assert "eu-west-1" in regions and "eu-south-2" in regions and "us-east-1" not in regions
    assert regional["Resource"] == ["arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-6"]


def test_deploy_reports_a_bad_parameter_in_one_line(moto_url: str) -> None:
    r = _deploy(moto_url, "ccwb-bad", "--param", "Nope")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "KEY=VALUE" in r.stderr


def test_deploy_networking_and_read_back(moto_url: str) -> None:
    env = {**os.environ, **CREDS}
    env.pop("AWS_PROFILE", None)
    argv = [sys.executable, "-m", "ccwb_doctor.reference_infra", "deploy", "--stack", "ccwb-net"]
    argv += ["--template", "networking", "--endpoint-url", moto_url, "--region", "us-east-1"]
    argv += ["--param", "PublicSubnet2Cidr=10.0.8.0/24"]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["SubnetIds"] == f"{out['PublicSubnet1']},{out['PublicSubnet2']}"
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=moto_url, region_name="us-east-1", **_keys())
    (vpc,) = ec2.describe_vpcs(VpcIds=[out["VpcId"]])["Vpcs"]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    subnets = ec2.describe_subnets(SubnetIds=out["SubnetIds"].split(","))["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == ["10.0.1.0/24", "10.0.8.0/24"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2 and {s["VpcId"] for s in subnets} == {
        vpc["VpcId"]
    }


def test_a_failing_stack_is_one_line_and_exit_1(moto_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties: {TopicName: !Ref Nope}\n"
    )
    env = {**os.environ, **CREDS}
    env.pop("AWS_PROFILE", None)
    argv = [sys.executable, "-m", "ccwb_doctor.reference_infra", "deploy", "--stack", "ccwb-broken"]
    argv += ["--template", str(bad), "--endpoint-url", moto_url, "--region", "us-east-1"]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("error: stack ccwb-broken") and r.stderr.strip().count("\n") == 0, r.stderr


def _keys() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _deployed_outputs_drive_the_helper_and_conform(tmp_path, out: dict, role: dict) -> None:  # type: ignore[no-untyped-def]
    """ConfigurationJson is a helper profile as-is; conform over the deployed role (get-role output), that
    config.json and a claims file passes, and flags a config asking for more than MaxSessionDuration."""
    import contextlib
    import io

    from ccwb_doctor.cli import main
    from ccwb_doctor.reference_helper import config as helper_config

    cfg = json.loads(out["ConfigurationJson"])
    path = tmp_path / "client" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"profiles": {"ClaudeCode": cfg}}))
    _, shape, name, prof = helper_config.load(None, env={"CCWB_CONFIG": str(path), "HOME": str(tmp_path)})
    assert (shape, name) == ("profiles", "ClaudeCode")
    assert prof["federation_type"] == "direct" and prof["federated_role_arn"] == out["FederatedRoleArn"]
    assert prof["provider_domain"] == out["ProviderDomain"] and prof["client_id"] == out["ClientId"]
    assert prof["max_session_duration"] == 14400 and prof["aws_region"] == "us-east-1"
    (tmp_path / "role.json").write_text(json.dumps({"Role": role}, default=str))
    (tmp_path / "who.claims.json").write_text(
        json.dumps(
            {
                "allow": [{"name": "dev", "claims": {"iss": ISSUER, "aud": "ccwb-client", "sub": "u1"}}],
                "deny": [{"name": "other", "claims": {"iss": ISSUER, "aud": "other", "sub": "u2"}}],
            }
        )
    )

    def run() -> tuple[int, dict]:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = main(
                [
                    "conform",
                    str(tmp_path / "role.json"),
                    str(tmp_path / "who.claims.json"),
                    str(path.parent),
                    "--format",
                    "json",
                ]
            )
        return rc, json.loads(buf.getvalue())

    rc, rep = run()
    got = {
        (r["id"], r["status"])
        for r in rep["results"]
        if r["id"] in ("CONFORM-TRUST", "CONFORM-SESSION-DURATION")
    }
    assert got == {("CONFORM-TRUST", "pass"), ("CONFORM-SESSION-DURATION", "pass")}, rep["results"]
    assert rc == 0, [r["message"] for r in rep["results"] if r["status"] in ("fail", "error")]
    cfg["max_session_duration"] = 43200
    path.write_text(json.dumps({"profiles": {"ClaudeCode": cfg}}))
    rc, rep = run()
    assert rc == 1
    (f,) = [r for r in rep["results"] if r["id"] == "CONFORM-SESSION-DURATION"]
    assert f["status"] == "fail" and "14400" in f["message"]
