"""REGION-ALIGNMENT, MODEL-ID and MODEL-PERMISSION over real HOME directories (fixtures.scenarios)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ccwb_doctor.app import run_report
from ccwb_doctor.fixtures.scenarios import ACCOUNT, Scenario, guidance_install, write
from ccwb_doctor.model import Status

INVOKE = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
US_DEST = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1"]


def run(s: Scenario, ids: str, **opts: Any) -> list[Any]:
    report = run_report(s.options(**opts), only=[ids], env=s.env)
    return [r for r in report.results if r.id == ids]


def statuses(results: list[Any]) -> list[str]:
    return [str(r.status) for r in results]


def policy_file(tmp_path: Path, name: str, *statements: dict[str, Any]) -> Path:
    return write(tmp_path / name, json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def regional(regions: list[str], sid: str = "AllowBedrockInvokeRegional") -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": INVOKE,
        "Resource": [
            "arn:aws:bedrock:*::foundation-model/*",
            "arn:aws:bedrock:*:*:inference-profile/*",
            "arn:aws:bedrock:*:*:application-inference-profile/*",
        ],
        "Condition": {"StringEquals": {"aws:RequestedRegion": regions}},
    }


GLOBAL = {
    "Sid": "AllowBedrockInvokeGlobal",
    "Effect": "Allow",
    "Action": INVOKE,
    "Resource": "arn:aws:bedrock:::foundation-model/*",
}


def set_env(s: Scenario, drop: tuple[str, ...] = (), **kv: str) -> None:
    doc = s.read_settings()
    env = doc.setdefault("env", {})
    for k in drop:
        env.pop(k, None)
    env.update(kv)
    s.write_settings(doc)


@pytest.fixture
def home(tmp_path: Path) -> Scenario:
    return guidance_install(tmp_path / "home")


# ---- MODEL-PERMISSION -----------------------------------------------------------------------------


def test_seed_example_fails_naming_the_us_west_2_leg(tmp_path: Path) -> None:
    s = guidance_install(tmp_path / "home", bedrock_region="us-west-2")
    pol = policy_file(tmp_path, "us-east-1-only.json", regional(["us-east-1"]))
    res = run(s, "MODEL-PERMISSION", permissions_policies=[pol])
    assert statuses(res) == ["fail", "fail"]
    main = res[0]
    assert "us-west-2" in main.message and "us.anthropic.claude-sonnet-4-5" in main.message
    assert main.evidence["denied"][0]["region"] == "us-west-2"
    assert main.evidence["denied"][0]["resource"].startswith(
        f"arn:aws:bedrock:us-west-2:{ACCOUNT}:inference-profile/"
    )
    assert "aws:RequestedRegion" in main.evidence["denied"][0]["detail"][0]


def test_guidance_shape_passes(home: Scenario, tmp_path: Path) -> None:
    pol = policy_file(tmp_path, "bedrock.json", regional(US_DEST), GLOBAL)
    res = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert statuses(res) == ["pass", "pass"]
    assert "all 10 requests allowed" in res[0].message


def test_scp_denying_a_destination_fails(home: Scenario, tmp_path: Path) -> None:
    pol = policy_file(tmp_path, "bedrock.json", regional(US_DEST), GLOBAL)
    scp = policy_file(
        tmp_path,
        "scp.json",
        {
            "Sid": "OnlyEast",
            "Effect": "Deny",
            "Action": "bedrock:*",
            "Resource": "*",
            "Condition": {"StringNotLike": {"aws:RequestedRegion": ["us-east-*"]}},
        },
    )
    res = run(home, "MODEL-PERMISSION", permissions_policies=[pol], scps=[scp])
    assert statuses(res) == ["fail", "fail"]
    assert "OnlyEast" in res[0].message and "us-west-2" in res[0].message
    assert res[0].evidence["scps"] == ["scp.json"]


def test_global_profile_with_region_restricted_policy(home: Scenario, tmp_path: Path) -> None:
    set_env(
        home, ANTHROPIC_MODEL="global.anthropic.claude-sonnet-4-6", drop=("ANTHROPIC_DEFAULT_HAIKU_MODEL",)
    )
    pol = policy_file(tmp_path, "bedrock.json", regional(US_DEST))
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert res.status is Status.FAIL and "unspecified" in res.message
    pol2 = policy_file(tmp_path, "bedrock2.json", regional(US_DEST), GLOBAL)
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[pol2])
    assert res.status is Status.PASS


def test_application_inference_profile(home: Scenario, tmp_path: Path) -> None:
    app = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/teamA1"
    set_env(home, ANTHROPIC_MODEL=app, drop=("ANTHROPIC_DEFAULT_HAIKU_MODEL",))
    pol = policy_file(tmp_path, "bedrock.json", regional(US_DEST))
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert res.status is Status.PASS and "unknown offline" in res.message
    narrow = policy_file(
        tmp_path,
        "narrow.json",
        {"Effect": "Allow", "Action": INVOKE, "Resource": "arn:aws:bedrock:*:*:inference-profile/*"},
    )
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[narrow])
    assert res.status is Status.FAIL and "application inference profile" in res.message


def test_govcloud_install(tmp_path: Path) -> None:
    s = guidance_install(tmp_path / "home", region="us-gov-west-1", bedrock_region="us-gov-west-1")
    set_env(
        s,
        ANTHROPIC_MODEL="us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
        drop=("ANTHROPIC_DEFAULT_HAIKU_MODEL",),
    )
    gov = {
        "Effect": "Allow",
        "Action": INVOKE,
        "Resource": [
            "arn:aws-us-gov:bedrock:*::foundation-model/*",
            "arn:aws-us-gov:bedrock:*:*:inference-profile/*",
        ],
    }
    (res,) = run(s, "MODEL-PERMISSION", permissions_policies=[policy_file(tmp_path, "gov.json", gov)])
    assert res.status is Status.PASS
    commercial = policy_file(tmp_path, "com.json", regional(["us-gov-west-1", "us-gov-east-1"]))
    (res,) = run(s, "MODEL-PERMISSION", permissions_policies=[commercial])
    assert res.status is Status.FAIL and "us-gov-east-1" in res.message
    assert statuses(run(s, "REGION-ALIGNMENT")) == ["pass", "pass"]


def test_template_policies(home: Scenario, tmp_path: Path) -> None:
    tpl = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"AllowedBedrockRegions": {"Type": "CommaDelimitedList", "Default": "us-east-1"}},
        "Resources": {
            "Provider": {
                "Type": "AWS::IAM::OIDCProvider",
                "Properties": {
                    "Url": "https://dev-12345678.okta.com",
                    "ClientIdList": ["0oabc123def456ghi789"],
                },
            },
            "DirectIAMRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "BedrockOktaFederatedRole",
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Federated": {"Fn::GetAtt": ["Provider", "Arn"]}},
                                "Action": "sts:AssumeRoleWithWebIdentity",
                            }
                        ],
                    },
                    "ManagedPolicyArns": [{"Ref": "BedrockAccessPolicy"}],
                },
            },
            "BedrockAccessPolicy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": INVOKE,
                                "Resource": [
                                    {"Fn::Sub": "arn:${AWS::Partition}:bedrock:*::foundation-model/*"},
                                    {"Fn::Sub": "arn:${AWS::Partition}:bedrock:*:*:inference-profile/*"},
                                ],
                                "Condition": {
                                    "StringEquals": {"aws:RequestedRegion": {"Ref": "AllowedBedrockRegions"}}
                                },
                            }
                        ],
                    }
                },
            },
        },
    }
    path = write(tmp_path / "auth.json", json.dumps(tpl))
    res = run(home, "MODEL-PERMISSION", template=path)
    assert statuses(res) == ["fail", "fail"] and "us-east-2" in res[0].message
    assert res[0].evidence["policies"]["source"] == "--template"
    del tpl["Parameters"]["AllowedBedrockRegions"]["Default"]
    nodefault = write(tmp_path / "auth-nodefault.json", json.dumps(tpl))
    res = run(home, "MODEL-PERMISSION", template=nodefault)
    assert (
        res[0].status is Status.FAIL
        and "template parameters without a value (AllowedBedrockRegions)" in res[0].message
    )
    res = run(home, "MODEL-PERMISSION", template=path, params={"AllowedBedrockRegions": ",".join(US_DEST)})
    assert statuses(res) == ["pass", "pass"]


def test_skips_without_policy_and_in_gateway_mode(home: Scenario, tmp_path: Path) -> None:
    (res,) = run(home, "MODEL-PERMISSION")
    assert res.status is Status.SKIP and "--permissions-policy" in res.message
    pol = policy_file(tmp_path, "p.json", regional(["us-east-1"]))
    # a VPC endpoint as base URL still carries the role's signature: the permissions are evaluated
    set_env(home, ANTHROPIC_BEDROCK_BASE_URL="https://vpce-1a2b.bedrock-runtime.us-east-1.vpce.amazonaws.com")
    assert Status.SKIP not in {r.status for r in run(home, "MODEL-PERMISSION", permissions_policies=[pol])}
    set_env(home, ANTHROPIC_BEDROCK_BASE_URL="https://llm-gateway.corp.example/bedrock")
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert res.status is Status.SKIP and "gateway mode" in res.message and "llm-gateway" in res.message
    set_env(home, CLAUDE_CODE_SKIP_BEDROCK_AUTH="1", drop=("ANTHROPIC_BEDROCK_BASE_URL",))
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert res.status is Status.SKIP and "gateway mode" in res.message


def test_bad_policy_file_is_an_error(home: Scenario, tmp_path: Path) -> None:
    bad = write(tmp_path / "broken.json", '{"Statement": [{"Effect": "Maybe", "Action": "*"}]}')
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[bad])
    assert res.status is Status.ERROR and "broken.json" in res.message and "Effect" in res.message
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[tmp_path / "missing.json"])
    assert res.status is Status.ERROR and "not found" in res.message


# ---- MODEL-ID -------------------------------------------------------------------------------------


def test_model_id_pass_and_failures(home: Scenario) -> None:
    assert statuses(run(home, "MODEL-ID")) == ["pass", "pass"]
    set_env(
        home,
        ANTHROPIC_MODEL="arn:aws:bedrock:us-east-1:42:inference-profile/us.anthropic.claude-sonnet-4-6",
        ANTHROPIC_DEFAULT_OPUS_MODEL="jp.anthropic.claude-opus-4-8",
        ANTHROPIC_DEFAULT_SONNET_MODEL="us.anthropic.claude-sonet-4-6",
        ANTHROPIC_DEFAULT_HAIKU_MODEL="anthropic.claude-haiku-4-5-20251001-v1:0",
        ANTHROPIC_SMALL_FAST_MODEL="us.anthropic.claude-haiku-4-5-20251001-v1:0",
    )
    res = {r.message.split("=")[0]: r for r in run(home, "MODEL-ID")}
    assert res["ANTHROPIC_MODEL"].status is Status.FAIL and "malformed ARN" in res["ANTHROPIC_MODEL"].message
    assert (
        res["ANTHROPIC_DEFAULT_OPUS_MODEL"].status is Status.FAIL
        and "no jp." in res["ANTHROPIC_DEFAULT_OPUS_MODEL"].message
    )
    assert (
        res["ANTHROPIC_DEFAULT_SONNET_MODEL"].status is Status.WARN
    )  # unknown id: maybe newer than the table
    assert "not a Claude model in the profile table" in res["ANTHROPIC_DEFAULT_SONNET_MODEL"].message
    assert (
        res["ANTHROPIC_DEFAULT_HAIKU_MODEL"].status is Status.WARN
        and "bare foundation-model id" in res["ANTHROPIC_DEFAULT_HAIKU_MODEL"].message
    )
    assert (
        res["ANTHROPIC_SMALL_FAST_MODEL"].status is Status.WARN
        and "deprecated" in res["ANTHROPIC_SMALL_FAST_MODEL"].message
    )


def test_model_id_alias_and_nothing_pinned(home: Scenario) -> None:
    set_env(home, ANTHROPIC_MODEL="opus", drop=("ANTHROPIC_DEFAULT_HAIKU_MODEL",))
    res = run(home, "MODEL-ID")
    assert statuses(res) == ["warn", "pass"] and "not resolvable offline" in res[1].message
    set_env(home, drop=("ANTHROPIC_MODEL",))
    (res,) = run(home, "MODEL-ID")
    assert res.status is Status.SKIP and "ANTHROPIC_MODEL is unset" in res.message


@pytest.mark.parametrize("via", ["env", "extra"])
def test_profiles_file_with_wrong_types_is_an_error(home: Scenario, tmp_path: Path, via: str) -> None:
    bad = write(
        tmp_path / "profiles.json",
        json.dumps({"data_as_of": "2026-01-01", "regions": {"aws": 5}, "models": {}}),
    )
    opts: dict[str, Any] = {}
    if via == "env":
        home.env["CCWB_DOCTOR_PROFILES_FILE"] = str(bad)
    else:
        opts["extra"] = {"profiles_file": str(bad)}
    (res,) = run(home, "MODEL-ID", **opts)
    assert (
        res.status is Status.ERROR
        and "regions.aws: expected a list" in res.message
        and str(bad) in res.message
    )
    region = run(home, "REGION-ALIGNMENT", **opts)
    assert statuses(region) == ["pass", "error"]


def test_user_profiles_file_is_used(home: Scenario, tmp_path: Path) -> None:
    doc = {
        "data_as_of": "2027-01-01",
        "regions": {"aws": ["us-east-1"]},
        "models": {
            "x": {
                "base_id": "anthropic.claude-sonnet-4-5-20250929-v1:0",
                "profiles": {"us": {"destinations": ["us-east-1"]}},
            }
        },
    }
    path = write(tmp_path / "mine.json", json.dumps(doc))
    res = run(home, "MODEL-ID", extra={"profiles_file": str(path)})
    assert res[0].status is Status.PASS and res[0].evidence["table"]["data_as_of"] == "2027-01-01"
    # a user table can name what an application inference profile routes to
    app = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/teamA1"
    target = (
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    write(path, json.dumps(dict(doc, application_profiles={app: [target]})))
    set_env(home, ANTHROPIC_MODEL=app, drop=("ANTHROPIC_DEFAULT_HAIKU_MODEL",))
    (res,) = run(home, "MODEL-ID", extra={"profiles_file": str(path)})
    assert (
        res.status is Status.PASS
        and "routes to inference-profile/us.anthropic.claude-sonnet-4-5" in res.message
    )


# ---- REGION-ALIGNMENT ----------------------------------------------------------------------------


def test_region_alignment_pass_and_unset_region(home: Scenario) -> None:
    assert statuses(run(home, "REGION-ALIGNMENT")) == ["pass", "pass", "pass"]
    set_env(home, drop=("AWS_REGION",))
    res = run(home, "REGION-ALIGNMENT")
    assert res[0].status is Status.WARN and "AWS_REGION is not set" in res[0].message


def test_region_alignment_geography_and_partition_breaks(tmp_path: Path) -> None:
    s = guidance_install(tmp_path / "home", bedrock_region="eu-west-1")
    res = run(s, "REGION-ALIGNMENT")
    assert res[0].status is Status.PASS  # a different STS region in the same partition is fine
    assert statuses(res[1:]) == ["fail", "fail"] and "not offered from eu-west-1" in res[1].message
    set_env(s, AWS_REGION="us-east-1", ANTHROPIC_MODEL="us-gov.anthropic.claude-opus-4-8")
    res = run(s, "REGION-ALIGNMENT")
    assert res[1].status is Status.FAIL and "aws-us-gov profile" in res[1].message
    gov = guidance_install(tmp_path / "gov", region="us-gov-west-1", bedrock_region="us-east-1")
    res = run(gov, "REGION-ALIGNMENT")
    assert res[0].status is Status.FAIL and "do not cross partitions" in res[0].message
    set_env(gov, AWS_REGION="nowhere")
    assert run(gov, "REGION-ALIGNMENT")[0].status is Status.FAIL


# ---- --live: IAM policies from a local moto server, the profile table from a local Bedrock stand-in ----


class _BedrockStandIn:
    """A real HTTP server on 127.0.0.1 answering bedrock:ListInferenceProfiles (REST-JSON)."""

    def __init__(self, summaries: dict[str, list[dict[str, Any]]]) -> None:
        import http.server
        import threading
        import urllib.parse

        seen: list[str] = []
        self.seen = seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                url = urllib.parse.urlparse(self.path)
                seen.append(url.path)
                kind = urllib.parse.parse_qs(url.query).get("type", ["SYSTEM_DEFINED"])[0]
                body = json.dumps({"inferenceProfileSummaries": summaries.get(kind, [])}).encode()
                self.send_response(200 if url.path == "/inference-profiles" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _summary(pid: str, kind: str, arn: str, regions: list[str], base: str) -> dict[str, Any]:
    return {
        "inferenceProfileName": pid,
        "inferenceProfileId": pid,
        "inferenceProfileArn": arn,
        "status": "ACTIVE",
        "type": kind,
        "models": [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{base}"} for r in regions],
    }


@pytest.mark.timeout(60)
def test_live_iam_policies_and_profile_refresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib

    import boto3

    from ccwb_doctor.fixtures.aws_emulator import moto_server

    servers = contextlib.ExitStack()
    moto_url = servers.enter_context(moto_server())
    base = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    app_arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/teamB2"
    stand_in = _BedrockStandIn(
        {
            "SYSTEM_DEFINED": [
                _summary(
                    f"us.{base}",
                    "SYSTEM_DEFINED",
                    f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.{base}",
                    ["us-east-1", "us-east-2"],
                    base,
                )
            ],
            "APPLICATION": [_summary("teamB2", "APPLICATION", app_arn, ["us-east-1"], base)],
        }
    )
    try:
        empty = write(tmp_path / "aws-config-empty", "")
        operator = {  # an operator's keys in the doctor's environment: used for IAM reads only
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing-secret",
            "AWS_ENDPOINT_URL_IAM": moto_url,
            "AWS_ENDPOINT_URL_BEDROCK": stand_in.url,
        }
        for k, v in {
            **operator,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        }.items():
            monkeypatch.setenv(k, v)  # for this test's own boto3 set-up calls
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(k, raising=False)
        iam_client = boto3.client("iam")
        iam_client.create_role(
            RoleName="BedrockOktaFederatedRole",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Federated": "x"},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                        }
                    ],
                }
            ),
        )
        iam_client.put_role_policy(
            RoleName="BedrockOktaFederatedRole",
            PolicyName="inline-profiles",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": INVOKE,
                            "Resource": [
                                "arn:aws:bedrock:*:*:inference-profile/*",
                                "arn:aws:bedrock:*:*:application-inference-profile/*",
                            ],
                        }
                    ],
                }
            ),
        )
        managed = iam_client.create_policy(
            PolicyName="east-models",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [regional(["us-east-1", "us-east-2"])]}
            ),
        )
        iam_client.attach_role_policy(RoleName="BedrockOktaFederatedRole", PolicyArn=managed["Policy"]["Arn"])

        s = guidance_install(tmp_path / "home")
        s.env.update(operator)  # the doctor reads the run's environment, never the process's
        set_env(s, ANTHROPIC_DEFAULT_HAIKU_MODEL=app_arn)
        offline = run(s, "MODEL-PERMISSION", mode="default")
        assert statuses(offline) == ["skip"]  # no policy source without --live
        live = run(s, "MODEL-PERMISSION", mode="live")
        assert statuses(live) == ["pass", "pass"], [r.message for r in live]
        assert live[0].evidence["policies"]["source"] == "live"
        assert live[0].evidence["policies"]["policies"] == ["inline-profiles", "east-models"]
        # the application profile was resolved live: its leg plus the foundation model it routes to
        assert live[1].evidence["legs"] == 2 and "unknown offline" not in live[1].message
        assert "/inference-profiles" in stand_in.seen
        assert (
            "all 6 requests allowed" in live[0].message
        )  # profile + us-east-1 + us-east-2, two actions each
        # the same policies against the packaged (offline) table: its us. destinations include us-west-2
        pol = policy_file(tmp_path, "east.json", regional(["us-east-1", "us-east-2"]))
        packaged = run(s, "MODEL-PERMISSION", mode="offline", permissions_policies=[pol])
        assert packaged[0].status is Status.FAIL and "us-west-2" in packaged[0].message
    finally:
        stand_in.close()
        servers.close()


def test_bad_scp_file_is_an_error(home: Scenario, tmp_path: Path) -> None:
    pol = policy_file(tmp_path, "bedrock.json", regional(US_DEST), GLOBAL)
    scp = write(tmp_path / "scp.json", "[1, 2, 3]")
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[pol], scps=[scp])
    assert res.status is Status.ERROR and "scp.json" in res.message


@pytest.mark.timeout(60)
def test_live_unreachable_aws_degrades_to_skip(
    home: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as sock:  # a port on 127.0.0.1 that nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    home.env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing-secret",
            "AWS_ENDPOINT_URL": closed,
        }
    )
    (res,) = run(home, "MODEL-PERMISSION", mode="live", timeout=5)
    assert res.status is Status.SKIP and "IAM: EndpointConnectionError" in res.message
    ids = run(home, "MODEL-ID", mode="live", timeout=5)
    assert statuses(ids) == ["pass", "pass"]  # the packaged table is kept when the refresh fails


def test_region_alignment_notes_cross_region_profile_mismatch(home: Scenario) -> None:
    doc = json.loads(home.helper_config.read_text())
    doc[home.helper_profile]["cross_region_profile"] = "europe"  # legacy spelling of eu
    write(home.helper_config, json.dumps(doc))
    res = run(home, "REGION-ALIGNMENT")
    assert res[0].status is Status.PASS
    assert "cross_region_profile=eu but the configured models use us" in res[0].message
    assert res[0].evidence["regions"]["cross_region_profile"] == "europe"
