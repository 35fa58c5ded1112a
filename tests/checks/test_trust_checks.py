"""TRUST-* checks: real HOMEs, real trust-policy files and templates, tokens from the fixture IdP."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ccwb_doctor.app import run_report
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.idp import FixtureIdP
from ccwb_doctor.model import Result

ACCOUNT = sc.ACCOUNT
WEB = "sts:AssumeRoleWithWebIdentity"
TAGS = "https://aws.amazon.com/tags"


@pytest.fixture(scope="module")
def idp() -> Iterator[FixtureIdP]:
    with FixtureIdP(tls=True) as server:
        yield server


@pytest.fixture
def home(tmp_path: Path, idp: FixtureIdP) -> sc.Scenario:
    return sc.reference_install(tmp_path / "home", issuer=idp.issuer, client_id=idp.client_id)


def prefix(idp: FixtureIdP) -> str:
    return idp.issuer.removeprefix("https://")


def provider_arn(idp: FixtureIdP, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:oidc-provider/{prefix(idp)}"


def trust_doc(
    idp: FixtureIdP,
    condition: dict[str, Any] | None = None,
    actions: Any = (WEB, "sts:TagSession"),
    extra: list[dict[str, Any]] | None = None,
    federated: str | None = None,
) -> dict[str, Any]:
    st: dict[str, Any] = {
        "Sid": "Federated",
        "Effect": "Allow",
        "Principal": {"Federated": federated or provider_arn(idp)},
        "Action": list(actions),
    }
    if condition is not None:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st, *(extra or [])]}


def aud_sub(idp: FixtureIdP, aud: str | None = None, sub: str = "00u*") -> dict[str, Any]:
    p = prefix(idp)
    return {"StringEquals": {f"{p}:aud": aud or idp.client_id}, "StringLike": {f"{p}:sub": sub}}


def write_trust(s: sc.Scenario, doc: Any, name: str = "trust.json") -> Path:
    return sc.write(s.home.parent / name, doc if isinstance(doc, str) else json.dumps(doc))


def run(s: sc.Scenario, ids: list[str], **opts: Any) -> dict[str, Result]:
    opts.setdefault("mode", "offline")
    report = run_report(s.options(**opts), only=ids, env=s.env)
    return {r.id: r for r in report.results}


def one(s: sc.Scenario, check_id: str, token: str, **opts: Any) -> Result:
    return run(s, [check_id], token_text=token, token="-", **opts)[check_id]


# ---- TRUST-ISSUER -------------------------------------------------------------------------------


def test_issuer_matches_provider_and_principal(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-ISSUER", idp.mint(), trust_policy=write_trust(home, trust_doc(idp)))
    assert str(r.status) == "pass" and "trust principal" in r.message


def test_issuer_trailing_slash_mismatch(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-ISSUER", idp.mint(), provider_url=idp.issuer + "/")
    assert str(r.status) == "fail" and "No OpenIDConnect provider found" in r.message
    assert "trailing slash" in r.message and r.message.startswith("InvalidIdentityToken:")


def test_okta_org_vs_custom_authorization_server(tmp_path: Path, idp: FixtureIdP) -> None:
    g = sc.guidance_install(tmp_path / "g", provider_domain="dev-1.okta.com")
    tok = idp.mint({"iss": "https://dev-1.okta.com/oauth2/default"})
    r = one(g, "TRUST-ISSUER", tok)  # the helper config derives the org server issuer https://dev-1.okta.com
    assert str(r.status) == "fail" and "Okta org authorization server" in r.message
    assert r.evidence["provider"]["sources"]["url"] == "helper config"


@pytest.mark.parametrize(
    ("iss", "url", "needle"),
    [
        (
            "https://sso.corp.example/oauth2/default",
            "https://sso.corp.example",
            "Okta org authorization server",
        ),
        (
            "https://sso.corp.example",
            "https://sso.corp.example/oauth2/default",
            "Okta org authorization server",
        ),
        (
            "https://dev-1.okta.com/oauth2/aus1abc",
            "https://dev-1.okta.com/oauth2/default",
            "two different Okta custom authorization servers",
        ),
        ("https://a.example.com/oauth2/default", "https://b.example.com", "different providers"),
    ],
)
def test_okta_servers_explained_on_custom_domains(iss: str, url: str, needle: str) -> None:
    from ccwb_doctor.analyzers.trust.verdicts import issuer_mismatch

    assert needle in issuer_mismatch(iss, url)


def test_issuer_case_and_other_provider(home: sc.Scenario, idp: FixtureIdP) -> None:
    tok = idp.mint({"iss": "https://IDP.example.com"})
    assert "letter case" in one(home, "TRUST-ISSUER", tok, provider_url="https://idp.example.com").message
    tok = idp.mint({"iss": "https://a.example.com"})
    assert (
        "different providers" in one(home, "TRUST-ISSUER", tok, provider_url="https://b.example.com").message
    )


def test_trust_principal_names_another_provider(home: sc.Scenario, idp: FixtureIdP) -> None:
    doc = trust_doc(idp, federated=f"arn:aws:iam::{ACCOUNT}:oidc-provider/other.example.com")
    r = one(home, "TRUST-ISSUER", idp.mint(), provider_url=idp.issuer, trust_policy=write_trust(home, doc))
    assert (
        str(r.status) == "fail" and r.message.startswith("AccessDenied:") and "other.example.com" in r.message
    )


def test_provider_in_another_account(home: sc.Scenario, idp: FixtureIdP) -> None:
    doc = trust_doc(idp, federated=provider_arn(idp, "999999999999"))
    r = one(home, "TRUST-ISSUER", idp.mint(), trust_policy=write_trust(home, doc))
    assert str(r.status) == "fail" and "same account" in r.message


def test_issuer_skips_without_provider(tmp_path: Path, idp: FixtureIdP) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    s = sc.Scenario(bare, "default", bare / "none", "x", "bare", sc.base_env(bare))
    r = one(s, "TRUST-ISSUER", idp.mint())
    assert str(r.status) == "skip" and "--provider-url" in r.message


# ---- TRUST-AUDIENCE -----------------------------------------------------------------------------


def test_audience_in_client_id_list(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-AUDIENCE", idp.mint())  # client id from the helper config
    assert str(r.status) == "pass" and "client-id list" in r.message


def test_audience_not_in_client_id_list(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-AUDIENCE", idp.mint(aud="someone-else"), client_ids=["a", "b"])
    assert str(r.status) == "fail" and r.message.startswith("InvalidIdentityToken: Incorrect token audience")


def test_multi_audience(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-AUDIENCE", idp.mint(aud=[idp.client_id, "api"]))
    assert str(r.status) == "fail" and "no azp" in r.message
    r = one(home, "TRUST-AUDIENCE", idp.mint({"azp": idp.client_id}, aud=["api", idp.client_id]))
    assert str(r.status) == "pass"


def test_missing_aud(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-AUDIENCE", idp.mint({"aud": None}))
    assert str(r.status) == "fail" and "Missing a required claim: aud" in r.message


def test_aud_condition_mismatch(home: sc.Scenario, idp: FixtureIdP) -> None:
    doc = trust_doc(idp, aud_sub(idp, aud="another-client"))
    r = one(home, "TRUST-AUDIENCE", idp.mint(), trust_policy=write_trust(home, doc))
    assert str(r.status) == "fail" and r.message.startswith("AccessDenied:") and "another-client" in r.message


def test_aud_condition_match(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-AUDIENCE", idp.mint(), trust_policy=write_trust(home, trust_doc(idp, aud_sub(idp))))
    assert str(r.status) == "pass" and ":aud condition" in r.message


def test_audience_skips_with_nothing_to_compare(tmp_path: Path, idp: FixtureIdP) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    s = sc.Scenario(bare, "default", bare / "none", "x", "bare", sc.base_env(bare))
    assert str(one(s, "TRUST-AUDIENCE", idp.mint()).status) == "skip"


# ---- TRUST-CONDITIONS ---------------------------------------------------------------------------


def test_conditions_allow(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(
        home, "TRUST-CONDITIONS", idp.mint(), trust_policy=write_trust(home, trust_doc(idp, aud_sub(idp)))
    )
    assert str(r.status) == "pass" and r.evidence["decision"] == "allowed"
    assert any(ln.startswith("decided by") for ln in r.evidence["explanation"])
    assert any(f"{prefix(idp)}:sub" in ln for ln in r.evidence["explanation"])


def test_no_condition_warns_like_access_analyzer(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-CONDITIONS", idp.mint(), trust_policy=write_trust(home, trust_doc(idp)))
    assert str(r.status) == "warn" and "Missing condition key for oidc principal" in r.message


def test_sub_condition_fails_with_expected_and_actual(home: sc.Scenario, idp: FixtureIdP) -> None:
    doc = trust_doc(idp, aud_sub(idp, sub="repo:*"))
    r = one(home, "TRUST-CONDITIONS", idp.mint(sub="00u-alice"), trust_policy=write_trust(home, doc))
    assert str(r.status) == "fail" and r.message.startswith("AccessDenied: Not authorized to perform " + WEB)
    assert "repo:*" in r.message and "00u-alice" in r.message and ":sub" in r.message


def test_explicit_deny_wins(home: sc.Scenario, idp: FixtureIdP) -> None:
    deny = {
        "Sid": "NoContractors",
        "Effect": "Deny",
        "Principal": {"Federated": provider_arn(idp)},
        "Action": WEB,
        "Condition": {"StringLike": {f"{prefix(idp)}:sub": "00u*"}},
    }
    doc = trust_doc(idp, aud_sub(idp), extra=[deny])
    r = one(home, "TRUST-CONDITIONS", idp.mint(), trust_policy=write_trust(home, doc))
    assert str(r.status) == "fail" and "explicit Deny" in r.message and "NoContractors" in r.message


def test_wrong_action(home: sc.Scenario, idp: FixtureIdP) -> None:
    doc = trust_doc(idp, aud_sub(idp), actions=["sts:AssumeRole"])
    r = one(home, "TRUST-CONDITIONS", idp.mint(), trust_policy=write_trust(home, doc))
    assert str(r.status) == "fail" and "sts:AssumeRole is a different action" in r.message


def test_condition_on_unexposed_claim(home: sc.Scenario, idp: FixtureIdP) -> None:
    cond = {
        "StringEquals": {f"{prefix(idp)}:aud": idp.client_id, f"{prefix(idp)}:email": "alice@example.com"}
    }
    r = one(home, "TRUST-CONDITIONS", idp.mint(), trust_policy=write_trust(home, trust_doc(idp, cond)))
    assert str(r.status) == "fail" and "never exposes the 'email' claim" in r.message
    assert r.evidence["unexposed"][0]["claim"] == "email"


def test_negated_condition_on_unexposed_claim_warns(home: sc.Scenario, idp: FixtureIdP) -> None:
    cond = {**aud_sub(idp), "StringNotEquals": {f"{prefix(idp)}:groups": "contractors"}}
    r = one(home, "TRUST-CONDITIONS", idp.mint(), trust_policy=write_trust(home, trust_doc(idp, cond)))
    assert str(r.status) == "warn" and "restricts nothing" in r.message


def test_get_role_output_and_url_encoded_document(home: sc.Scenario, idp: FixtureIdP) -> None:
    encoded = urllib.parse.quote(json.dumps(trust_doc(idp, aud_sub(idp))))
    role = {
        "Role": {
            "RoleName": "ccwb-federated",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/ccwb-federated",
            "MaxSessionDuration": 43200,
            "AssumeRolePolicyDocument": encoded,
        }
    }
    res = run(
        home,
        ["TRUST-CONDITIONS", "TRUST-SESSION-DURATION"],
        token_text=idp.mint(),
        token="-",
        trust_policy=write_trust(home, role),
    )
    assert str(res["TRUST-CONDITIONS"].status) == "pass"
    assert str(res["TRUST-SESSION-DURATION"].status) == "pass"


def test_unknown_operator_is_an_error(home: sc.Scenario, idp: FixtureIdP) -> None:
    doc = trust_doc(idp, {"StringEqualz": {f"{prefix(idp)}:aud": idp.client_id}})
    r = one(home, "TRUST-CONDITIONS", idp.mint(), trust_policy=write_trust(home, doc))
    assert str(r.status) == "error" and "StringEqualz" in r.message


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"Resource": "*"}, "prohibited field Resource"),
        ({"NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}}, "NotPrincipal"),
    ],
)
def test_trust_policy_with_prohibited_elements_is_an_error(
    home: sc.Scenario, idp: FixtureIdP, extra: dict[str, Any], needle: str
) -> None:
    doc = trust_doc(idp, aud_sub(idp))
    deny = {"Effect": "Deny", "Action": "sts:*", **extra}
    if "NotPrincipal" not in extra:
        deny["Principal"] = "*"
    doc["Statement"].append(deny)
    r = one(home, "TRUST-CONDITIONS", idp.mint(), trust_policy=write_trust(home, doc))
    assert (
        str(r.status) == "error" and r.message.startswith("MalformedPolicyDocument:") and needle in r.message
    )


@pytest.mark.parametrize("text", ["{not json", '{"Version": "2012-10-17"}', "[]"])
def test_unusable_trust_file_is_an_error(home: sc.Scenario, idp: FixtureIdP, text: str) -> None:
    r = one(home, "TRUST-CONDITIONS", idp.mint(), trust_policy=write_trust(home, text))
    assert str(r.status) == "error" and "trust.json" in r.message and "\n" not in r.message


def test_conditions_skip_without_trust_policy(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-CONDITIONS", idp.mint())
    assert str(r.status) == "skip" and "--trust-policy" in r.message


# ---- TRUST-TAGSESSION ---------------------------------------------------------------------------


def test_no_tags_needs_no_tagsession(home: sc.Scenario, idp: FixtureIdP) -> None:
    assert str(one(home, "TRUST-TAGSESSION", idp.mint()).status) == "pass"


def test_tags_allowed(home: sc.Scenario, idp: FixtureIdP) -> None:
    tok = idp.mint({TAGS: {"principal_tags": {"Team": ["ml"]}, "transitive_tag_keys": ["Team"]}})
    r = one(home, "TRUST-TAGSESSION", tok, trust_policy=write_trust(home, trust_doc(idp, aud_sub(idp))))
    assert str(r.status) == "pass" and "sts:TagSession" in r.message


def test_tags_without_tagsession_permission(home: sc.Scenario, idp: FixtureIdP) -> None:
    tok = idp.mint({TAGS: {"principal_tags": {"Team": ["ml"]}}})
    doc = trust_doc(idp, aud_sub(idp), actions=[WEB])
    r = one(home, "TRUST-TAGSESSION", tok, trust_policy=write_trust(home, doc))
    assert str(r.status) == "fail" and r.message.startswith("AccessDenied") and "sts:TagSession" in r.message


def test_malformed_tags_fail(home: sc.Scenario, idp: FixtureIdP) -> None:
    tok = idp.mint({TAGS: {"principal_tags": {"Team": ["ml", "infra"]}}})
    r = one(home, "TRUST-TAGSESSION", tok)
    assert str(r.status) == "fail" and "single-element" in r.message


def test_source_identity_needs_set_source_identity(home: sc.Scenario, idp: FixtureIdP) -> None:
    tok = idp.mint({"https://aws.amazon.com/source_identity": "alice"})
    doc = trust_doc(idp, aud_sub(idp))
    r = one(home, "TRUST-TAGSESSION", tok, trust_policy=write_trust(home, doc))
    assert str(r.status) == "fail" and "sts:SetSourceIdentity" in r.message
    doc = trust_doc(idp, aud_sub(idp), actions=[WEB, "sts:SetSourceIdentity"])
    assert str(one(home, "TRUST-TAGSESSION", tok, trust_policy=write_trust(home, doc)).status) == "pass"


def test_well_formed_tags_without_trust_policy_skip(home: sc.Scenario, idp: FixtureIdP) -> None:
    tok = idp.mint({TAGS: {"principal_tags": {"Team": ["ml"]}}})
    assert str(one(home, "TRUST-TAGSESSION", tok).status) == "skip"


# ---- TRUST-SESSION-DURATION ---------------------------------------------------------------------


def _set_duration(s: sc.Scenario, seconds: int) -> None:
    doc = json.loads(s.helper_config.read_text())
    doc["profiles"][s.helper_profile]["max_session_duration"] = seconds
    sc.write(s.helper_config, json.dumps(doc))


def role_file(s: sc.Scenario, idp: FixtureIdP, max_duration: int) -> Path:
    return write_trust(
        s,
        {
            "Role": {
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/ccwb-federated",
                "MaxSessionDuration": max_duration,
                "AssumeRolePolicyDocument": trust_doc(idp),
            }
        },
    )


def test_duration_within_role_maximum(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-SESSION-DURATION", idp.mint(), trust_policy=role_file(home, idp, 3600))
    assert str(r.status) == "pass"


def test_duration_above_role_maximum(home: sc.Scenario, idp: FixtureIdP) -> None:
    _set_duration(home, 43200)
    r = one(home, "TRUST-SESSION-DURATION", idp.mint(), trust_policy=role_file(home, idp, 3600))
    assert str(r.status) == "fail" and "exceeds the MaxSessionDuration" in r.message


@pytest.mark.parametrize("seconds", [600, 50000])
def test_duration_outside_sts_range(home: sc.Scenario, idp: FixtureIdP, seconds: int) -> None:
    _set_duration(home, seconds)
    r = one(home, "TRUST-SESSION-DURATION", idp.mint(), trust_policy=role_file(home, idp, 43200))
    assert str(r.status) == "fail" and "900..43200" in r.message


def test_duration_unknown_role_maximum_skips(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = one(home, "TRUST-SESSION-DURATION", idp.mint())
    assert str(r.status) == "skip" and "MaxSessionDuration is unknown" in r.message


# ---- template source ----------------------------------------------------------------------------

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  IssuerHost: {Type: String}
  ClientId: {Type: String}
  RequireSub: {Type: String, Default: 'false', AllowedValues: ['true', 'false']}
Conditions:
  SubCondition: !Equals [!Ref RequireSub, 'true']
Resources:
  Provider:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: !Sub 'https://${IssuerHost}'
      ClientIdList: [!Ref ClientId]
      ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280']
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: ccwb-federated
      MaxSessionDuration: 7200
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Federated: !GetAtt Provider.Arn}
            Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession']
            Condition:
              StringEquals:
                '@HOST@:aud': !Ref ClientId
              StringLike:
                '@HOST@:sub': !If [SubCondition, 'never-*', !Join ['', ['00u', '*']]]
"""


def test_template_source(home: sc.Scenario, idp: FixtureIdP) -> None:
    tpl = sc.write(home.home.parent / "auth.yaml", TEMPLATE.replace("@HOST@", prefix(idp)))
    ids = ["TRUST-ISSUER", "TRUST-AUDIENCE", "TRUST-CONDITIONS", "TRUST-SESSION-DURATION"]
    params = {"IssuerHost": prefix(idp), "ClientId": idp.client_id}
    res = run(home, ids, token_text=idp.mint(), token="-", template=tpl, params=params)
    assert {k: str(v.status) for k, v in res.items()} == dict.fromkeys(ids, "pass"), {
        k: v.message for k, v in res.items()
    }
    assert res["TRUST-ISSUER"].evidence["provider"]["sources"]["url"] == "--template"
    assert res["TRUST-SESSION-DURATION"].evidence["max_session_duration"] == 7200
    res = run(
        home,
        ["TRUST-CONDITIONS"],
        token_text=idp.mint(),
        token="-",
        template=tpl,
        params={**params, "RequireSub": "true"},
    )
    assert str(res["TRUST-CONDITIONS"].status) == "fail" and "never-*" in res["TRUST-CONDITIONS"].message


def test_broken_template_is_an_error(home: sc.Scenario, idp: FixtureIdP) -> None:
    tpl = sc.write(home.home.parent / "bad.yaml", "Resources:\n  X: !Bogus [1]\n")
    r = run(home, ["TRUST-CONDITIONS"], token_text=idp.mint(), token="-", template=tpl)["TRUST-CONDITIONS"]
    assert str(r.status) == "error" and "bad.yaml" in r.message


# ---- --live: IAM GetRole / GetOpenIDConnectProvider against a real moto server on loopback -------------


@pytest.fixture
def moto_iam(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from ccwb_doctor.fixtures.aws_emulator import moto_server

    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    with moto_server() as url:
        yield url


def test_live_reads_role_and_provider_from_iam(home: sc.Scenario, idp: FixtureIdP, moto_iam: str) -> None:
    import boto3

    creds = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x" * 40}
    iam = boto3.client(
        "iam",
        endpoint_url=moto_iam,
        region_name="us-east-1",
        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
    )
    iam.create_open_id_connect_provider(
        Url=idp.issuer, ClientIDList=["live-client"], ThumbprintList=["a" * 40]
    )
    iam.create_role(
        RoleName="ccwb-federated",
        MaxSessionDuration=7200,
        AssumeRolePolicyDocument=json.dumps(trust_doc(idp, aud_sub(idp, aud="live-client"))),
    )
    home.env.update(creds, AWS_ENDPOINT_URL_IAM=moto_iam)
    ids = ["TRUST-ISSUER", "TRUST-AUDIENCE", "TRUST-CONDITIONS", "TRUST-SESSION-DURATION"]
    res = run(home, ids, mode="live", token_text=idp.mint(aud="live-client"), token="-")
    assert {k: str(v.status) for k, v in res.items()} == dict.fromkeys(ids, "pass"), {
        k: v.message for k, v in res.items()
    }
    assert res["TRUST-AUDIENCE"].evidence["client_ids"] == ["live-client"]
    assert res["TRUST-SESSION-DURATION"].evidence["sources"]["max_session_duration"] == "live"
    res = run(home, ["TRUST-AUDIENCE"], mode="live", token_text=idp.mint(), token="-")
    assert (
        str(res["TRUST-AUDIENCE"].status) == "fail"
        and "Incorrect token audience" in res["TRUST-AUDIENCE"].message
    )


def test_live_without_credentials_skips_iam(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = run(home, ["TRUST-CONDITIONS"], mode="live", token_text=idp.mint(), token="-")["TRUST-CONDITIONS"]
    assert str(r.status) == "skip" and "--trust-policy" in r.message


def test_cognito_identity_pool_federation_is_not_judged(home: sc.Scenario, idp: FixtureIdP) -> None:
    doc = trust_doc(
        idp,
        {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:pool"}},
        federated="cognito-identity.amazonaws.com",
    )
    r = one(home, "TRUST-CONDITIONS", idp.mint(), trust_policy=write_trust(home, doc))
    assert str(r.status) == "skip" and "Cognito" in r.message


@pytest.mark.parametrize(
    ("profile", "issuer"),
    [
        ({"provider_type": "okta", "provider_domain": "dev-1.okta.com"}, "https://dev-1.okta.com"),
        (
            {"provider_type": "okta", "provider_domain": "dev-1.okta.com", "okta_auth_server_id": "default"},
            "https://dev-1.okta.com/oauth2/default",
        ),
        ({"provider_type": "auth0", "provider_domain": "x.us.auth0.com"}, "https://x.us.auth0.com/"),
        (
            {"provider_type": "azure", "provider_domain": "login.microsoftonline.com/tid/v2.0"},
            "https://login.microsoftonline.com/tid/v2.0",
        ),
        (
            {"provider_type": "cognito", "cognito_user_pool_id": "eu-west-1_AbC"},
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
        ),
        (
            {"provider_type": "google", "provider_domain": "accounts.google.com"},
            "https://accounts.google.com",
        ),
        (
            {"provider_type": "generic", "oidc_issuer_url": "https://idp.corp/realms/main"},
            "https://idp.corp/realms/main",
        ),
        ({"provider_type": "auto", "provider_domain": "https://a.auth0.com"}, "https://a.auth0.com/"),
        (
            {"provider_type": "auto", "provider_domain": "dev-2.oktapreview.com"},
            "https://dev-2.oktapreview.com",
        ),
        ({"provider_type": "okta"}, None),
    ],
)
def test_issuer_derived_from_helper_config(profile: dict[str, Any], issuer: str | None) -> None:
    from ccwb_doctor.facts.provider import issuer_from_helper

    assert issuer_from_helper(profile) == issuer
