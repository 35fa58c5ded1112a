"""The reference templates: cfn-lint clean, and shaped as the issue asks (structure asserts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccwb_doctor.analyzers.cfn.template import load_template
from ccwb_doctor.reference_infra.deploy import (
    TEMPLATE_NAMES,
    TEMPLATES_DIR,
    bedrock_regions,
    model_ids,
    template_path,
)

AUTH = TEMPLATES_DIR / "auth.yaml"
MON = TEMPLATES_DIR / "monitoring.yaml"
ISSUER = "https://idp.example.com/realms/dev"
BASE = {"OidcIssuerUrl": ISSUER, "OidcClientId": "ccwb-client"}


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_cfn_lint_clean(name: str) -> None:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(Path(TEMPLATES_DIR / f"{name}.yaml"), ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_parameter_is_constrained_or_typed(name: str) -> None:
    tpl = load_template(template_path(name), {})
    for pname, spec in tpl.parameters.items():
        typed = spec.get("Type") not in ("String",)
        assert typed or "AllowedPattern" in spec or "AllowedValues" in spec, pname


def _trust(params: dict[str, str]) -> dict:
    tpl = load_template(AUTH, {**BASE, **params})
    (role,) = tpl.roles()
    trust = role.trust
    return json.loads(trust) if isinstance(trust, str) else trust


def test_trust_pins_aud_and_principal() -> None:
    doc = _trust({})
    (st,) = doc["Statement"]
    assert st["Principal"]["Federated"].endswith(":oidc-provider/idp.example.com/realms/dev")
    assert st["Condition"]["StringEquals"] == {"idp.example.com/realms/dev:aud": "ccwb-client"}
    assert st["Action"] == ["sts:AssumeRoleWithWebIdentity"]


def test_tag_session_and_source_identity_only_when_enabled() -> None:
    doc = _trust({"EnableSessionTags": "true", "EnableSourceIdentity": "true", "SubjectPattern": "00u*"})
    (st,) = doc["Statement"]
    assert st["Action"] == ["sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity"]
    assert st["Condition"]["StringLike"] == {"idp.example.com/realms/dev:sub": "00u*"}


def test_group_tag_condition_needs_session_tags() -> None:
    on = _trust({"EnableSessionTags": "true", "GroupTagKey": "team", "GroupTagValue": "ai"})
    assert on["Statement"][0]["Condition"]["StringEquals"]["aws:RequestTag/team"] == "ai"
    off = _trust({"GroupTagKey": "team", "GroupTagValue": "ai"})
    assert "aws:RequestTag/team" not in off["Statement"][0]["Condition"]["StringEquals"]


def test_reused_provider_is_not_created() -> None:
    arn = "arn:aws:iam::111122223333:oidc-provider/idp.example.com/realms/dev"
    tpl = load_template(AUTH, {**BASE, "ExistingOidcProviderArn": arn})
    assert tpl.oidc_providers() == []
    assert _trust({"ExistingOidcProviderArn": arn})["Statement"][0]["Principal"]["Federated"] == arn
    assert load_template(AUTH, BASE).oidc_providers()[0].client_ids == ["ccwb-client"]


def test_max_session_duration_parameter() -> None:
    tpl = load_template(AUTH, {**BASE, "MaxSessionDuration": "7200"})
    assert tpl.roles()[0].max_session_duration == 7200
    assert tpl.parameters["MaxSessionDuration"]["MaxValue"] == 43200
    bad = load_template(AUTH, {**BASE, "OidcIssuerUrl": "http://idp.example.com"})
    assert any("AllowedPattern" in e for e in bad.param_errors)


def _policy(params: dict[str, str], region: str = "us-east-1") -> dict[str, dict]:
    tpl = load_template(AUTH, {**BASE, **params}, region=region)
    (pol,) = tpl.policies_for_role("FederatedRole")
    return {s["Sid"]: s for s in pol.document["Statement"]}


@pytest.mark.parametrize(
    ("region", "partition"), [("us-east-1", "aws"), ("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")]
)
def test_bedrock_policy_is_partition_aware_and_has_the_global_leg(region: str, partition: str) -> None:
    two = "anthropic.claude-sonnet-4-6,anthropic.claude-haiku-4-5-20251001-v1:0"
    sids = _policy({"ModelIds": two}, region)
    arns = [
        a
        for st in sids.values()
        for a in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
    ]
    assert arns and all(a == "*" or a.startswith(f"arn:{partition}:bedrock:") for a in arns), arns
    glob = sids["InvokeFoundationModelsGlobalLeg"]
    assert glob["Resource"] == [f"arn:{partition}:bedrock:::foundation-model/{m}" for m in two.split(",")]
    assert glob["Condition"] == {"StringEquals": {"aws:RequestedRegion": "unspecified"}}
    regional = sids["InvokeFoundationModelsInDestinationRegions"]
    assert regional["Resource"] == [
        f"arn:{partition}:bedrock:*::foundation-model/{m}" for m in two.split(",")
    ]
    assert len(regional["Condition"]["StringEquals"]["aws:RequestedRegion"]) == 29
    off = _policy({"AllowGlobalInference": "false"}, region)
    assert "InvokeFoundationModelsGlobalLeg" not in off


def test_model_ids_limit_the_models_the_role_reaches() -> None:
    from ccwb_doctor.analyzers.bedrock.matrix import MatrixEvaluator
    from ccwb_doctor.analyzers.bedrock.plan import plan_requests
    from ccwb_doctor.analyzers.bedrock.profiles import load_profiles_table
    from ccwb_doctor.analyzers.iam.parse import parse_policy

    tpl = load_template(AUTH, {**BASE, "ModelIds": ",".join(model_ids(["sonnet-4-6"]))})
    (pol,) = tpl.policies_for_role("FederatedRole")
    ev = MatrixEvaluator([parse_policy(pol.document)], [])
    table = load_profiles_table()
    for model, allowed in (
        ("eu.anthropic.claude-sonnet-4-6", True),
        ("global.anthropic.claude-sonnet-4-6", True),
        ("eu.anthropic.claude-opus-4-6-v1", False),  # its profile is in the account, its model is not granted
    ):
        verdict = ev.evaluate(plan_requests(model, "eu-west-1", table, "111122223333"))
        assert verdict.allowed is allowed, verdict.summary()


def test_region_list_generated_for_models_and_sources() -> None:
    regions = bedrock_regions(["sonnet-4-6"], ["eu-west-1"], ["eu"])
    assert regions[0] == "eu-west-1"
    assert {"eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-3"} <= set(regions)
    assert "us-east-1" not in regions
    assert bedrock_regions(["sonnet-4-6"], ["us-east-1"], ["global"]) == ["us-east-1"]
    assert model_ids(["sonnet-4-6", "sonnet-4-5"]) == [
        "anthropic.claude-sonnet-4-6",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
    ]


def test_outputs_map_onto_helper_config() -> None:
    tpl = load_template(AUTH, BASE)
    outs = tpl.outputs
    for key in (
        "OidcIssuerUrl",
        "ProviderDomain",
        "ClientId",
        "AwsRegion",
        "FederatedRoleArn",
        "MaxSessionDuration",
    ):
        assert key in outs
    mon = load_template(MON, {"CollectorDomainName": "otel.example.com"})
    assert mon.resolve(mon.outputs["CollectorEndpoint"]["Value"]) == "https://otel.example.com"
    assert not [r for r in mon.resources.values() if r.type == "AWS::Route53::RecordSet" and mon.active(r)]
    zoned = load_template(MON, {"CollectorDomainName": "otel.example.com", "HostedZoneId": "Z0123456789ABC"})
    (rec,) = [r for r in zoned.resources.values() if r.type == "AWS::Route53::RecordSet" and zoned.active(r)]
    assert zoned.resolve(rec.properties["Name"]) == "otel.example.com"


def _listener_actions(tpl, lid: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return tpl.resolve(tpl.resources[lid].properties["DefaultActions"])


def test_https_listener_validates_jwt_and_http_only_redirects() -> None:
    tpl = load_template(MON, {"OidcIssuerUrl": ISSUER, "OidcJwksUrl": ISSUER + "/certs", "OidcClientId": "c"})
    https = _listener_actions(tpl, "HttpsListener")
    assert [a["Type"] for a in sorted(https, key=lambda a: a["Order"])] == ["jwt-validation", "forward"]
    assert https[0]["JwtValidationConfig"]["Issuer"] == ISSUER
    http = _listener_actions(tpl, "HttpListener")
    assert [a["Type"] for a in http] == ["redirect"]
    assert http[0]["RedirectConfig"]["Protocol"] == "HTTPS"
    types = {r.type for r in tpl.resources.values()}
    assert {"AWS::ECS::Service", "AWS::DynamoDB::Table", "AWS::CloudWatch::Dashboard"} <= types
    assert {"AWS::Glue::Database", "AWS::Athena::WorkGroup", "AWS::S3::Bucket"} <= types
