"""Claims -> IAM context keys the way STS builds them, and conditions on keys IAM never exposes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.iam.parse import parse_policy
from ccwb_doctor.analyzers.iam.policy import Request, evaluate
from ccwb_doctor.analyzers.token.jwt import SOURCE_IDENTITY_CLAIM, TAGS_CLAIM
from ccwb_doctor.analyzers.trust import webid as W

ACTION = "sts:AssumeRoleWithWebIdentity"


@pytest.mark.parametrize(
    ("url", "prefix"),
    [
        ("https://dev-1.okta.com", "dev-1.okta.com"),
        ("https://x.auth0.com/", "x.auth0.com/"),
        ("https://login.microsoftonline.com/tid/v2.0", "login.microsoftonline.com/tid/v2.0"),
        ("https://o.okta.com/oauth2/default", "o.okta.com/oauth2/default"),
        ("HTTPS://Upper.example.com/Path", "Upper.example.com/Path"),
        ("accounts.google.com", "accounts.google.com"),
    ],
)
def test_provider_prefix_keeps_path_and_trailing_slash(url: str, prefix: str) -> None:
    assert W.provider_prefix(url) == prefix


def test_provider_arn_and_back() -> None:
    arn = W.provider_arn("https://x.auth0.com/", "111122223333")
    assert arn == "arn:aws:iam::111122223333:oidc-provider/x.auth0.com/"
    assert W.prefix_from_principal(arn) == "x.auth0.com/"
    assert W.prefix_from_principal("accounts.google.com") == "accounts.google.com"
    assert W.provider_arn("https://a.b", "111122223333", "aws-us-gov").startswith("arn:aws-us-gov:")


def test_generic_provider_exposes_documented_keys_only() -> None:
    claims = {
        "iss": "https://idp.example.com",
        "sub": "u1",
        "aud": "c1",
        "azp": "c1",
        "amr": ["pwd", "mfa"],
        "email": "a@b.c",
        "groups": ["admins"],
    }
    ctx = W.build_context(claims, "https://idp.example.com", provider_arn="arn:aws:iam::1:oidc-provider/x")
    assert ctx.keys == {
        "idp.example.com:aud": "c1",
        "idp.example.com:sub": "u1",
        "idp.example.com:amr": ["pwd", "mfa"],
        "idp.example.com:azp": "c1",
        "aws:FederatedProvider": "arn:aws:iam::1:oidc-provider/x",
    }
    assert ctx.audience == "c1"


def test_trailing_slash_provider_prefix_in_keys() -> None:
    ctx = W.build_context({"sub": "s", "aud": "a"}, "https://x.auth0.com/")
    assert set(ctx.keys) >= {"x.auth0.com/:aud", "x.auth0.com/:sub"}


def test_multi_audience_uses_azp() -> None:
    ctx = W.build_context({"aud": ["a", "b"], "azp": "b", "sub": "s"}, "https://i.example")
    assert ctx.keys["i.example:aud"] == "b" and ctx.audience == "b"
    ctx = W.build_context({"aud": ["a", "b"], "sub": "s"}, "https://i.example")
    assert "i.example:aud" not in ctx.keys and ctx.audience is None and "InvalidIdentityToken" in ctx.notes[0]


def test_google_aud_azp_oaud_rule() -> None:
    plain = W.build_context({"aud": "web-client", "sub": "1"}, "accounts.google.com")
    assert plain.keys["accounts.google.com:aud"] == plain.keys["accounts.google.com:oaud"] == "web-client"
    hybrid = W.build_context(
        {"aud": "server-client", "azp": "android-client", "sub": "1"}, "https://accounts.google.com"
    )
    assert hybrid.keys["accounts.google.com:aud"] == "android-client"
    assert hybrid.keys["accounts.google.com:oaud"] == "server-client"


def test_cognito_amr_is_multivalued_and_set_operators_apply() -> None:
    ctx = W.build_context(
        {
            "aud": "us-east-1:pool",
            "sub": "us-east-1:id",
            "amr": ["authenticated", "cognito-idp.us-east-1.amazonaws.com/pool"],
        },
        "cognito-identity.amazonaws.com",
    )
    pol = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": ACTION,
                    "Condition": {
                        "StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:pool"},
                        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
                    },
                }
            ],
        }
    )
    req = Request(ACTION, None, {"Federated": "cognito-identity.amazonaws.com"}, ctx.keys)
    assert evaluate(req, resource=[pol]).allowed


def test_github_provider_specific_keys() -> None:
    ctx = W.build_context(
        {
            "aud": "sts.amazonaws.com",
            "sub": "repo:o/r:ref:refs/heads/main",
            "repository": "o/r",
            "job_workflow_ref": "o/r/.github/workflows/x.yml@main",
        },
        "https://token.actions.githubusercontent.com",
    )
    assert ctx.keys["token.actions.githubusercontent.com:repository"] == "o/r"
    assert "token.actions.githubusercontent.com:job_workflow_ref" in ctx.keys
    generic = W.build_context({"aud": "a", "sub": "s", "repository": "o/r"}, "https://idp.example.com")
    assert "idp.example.com:repository" not in generic.keys


def test_session_tags_and_source_identity_become_request_keys() -> None:
    claims = {
        "aud": "a",
        "sub": "s",
        TAGS_CLAIM: {"principal_tags": {"Team": ["ml"], "Bad": ["x", "y"]}},
        SOURCE_IDENTITY_CLAIM: "alice",
    }
    keys = W.build_context(claims, "https://i.example").keys
    assert keys["aws:RequestTag/Team"] == "ml" and "aws:RequestTag/Bad" not in keys
    assert keys["aws:TagKeys"] == ["Team"] and keys["sts:SourceIdentity"] == "alice"


def policy(op: str, key: str, value: Any = "x") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Trust",
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/idp.example.com"},
                "Action": ACTION,
                "Condition": {op: {key: value}},
            }
        ],
    }


@pytest.mark.parametrize(
    ("op", "key", "value", "always"),
    [
        ("StringEquals", "idp.example.com:email", "a@b.c", False),
        ("StringLike", "IDP.EXAMPLE.COM:groups", "admin*", False),
        ("ForAnyValue:StringEquals", "idp.example.com:groups", "admins", False),
        ("StringNotEquals", "idp.example.com:email", "x", True),
        ("StringEqualsIfExists", "idp.example.com:email", "x", True),
        ("ForAllValues:StringEquals", "idp.example.com:groups", "x", True),
        ("Null", "idp.example.com:email", "true", True),
        ("Null", "idp.example.com:email", "false", False),
        ("ForAnyValue:StringNotEquals", "idp.example.com:groups", "x", False),
        ("ForAnyValue:StringEqualsIfExists", "idp.example.com:groups", "x", False),  # issue 16
        ("ForAllValues:StringNotLike", "idp.example.com:groups", "x*", True),
        ("NumericNotEquals", "idp.example.com:level", "3", True),
        ("NumericLessThan", "idp.example.com:level", "3", False),
        ("Bogus", "idp.example.com:email", "x", False),
    ],
)
def test_conditions_on_unexposed_claims(op: str, key: str, value: Any, always: bool) -> None:
    found = W.unexposed_conditions(policy(op, key, value), "idp.example.com")
    assert len(found) == 1 and found[0].always is always and found[0].statement == "Statement 'Trust'"
    assert ("always true" if always else "can never match") in found[0].message


@pytest.mark.parametrize(
    "op",
    [
        "StringEquals",
        "StringNotEquals",
        "StringNotLikeIfExists",
        "ArnNotLike",
        "NotIpAddress",
        "DateNotEquals",
        "Bool",
        "ForAnyValue:StringNotEquals",
        "ForAnyValue:StringLike",
        "ForAnyValue:StringNotLikeIfExists",
        "ForAllValues:StringEquals",
        "ForAllValues:StringNotEquals",
    ],
)
def test_unexposed_verdict_is_the_evaluators(op: str) -> None:
    """The finding says 'always true' exactly when STS (the evaluator) lets the statement through."""
    value = "10.0.0.0/8" if "Ip" in op else "2020-01-01" if "Date" in op else "true" if op == "Bool" else "x"
    doc = policy(op, "idp.example.com:groups", value)
    (found,) = W.unexposed_conditions(doc, "idp.example.com")
    ctx = W.build_context({"aud": "a", "sub": "s", "groups": ["x"]}, "https://idp.example.com").keys
    req = Request(ACTION, None, {"Federated": "arn:aws:iam::111122223333:oidc-provider/idp.example.com"}, ctx)
    assert evaluate(req, resource=[parse_policy(doc)]).allowed is found.always


def test_unexposed_finding_agrees_with_the_evaluator() -> None:
    ctx = W.build_context({"aud": "a", "sub": "s", "email": "a@b.c"}, "https://idp.example.com").keys
    req = Request(ACTION, None, {"Federated": "arn:aws:iam::111122223333:oidc-provider/idp.example.com"}, ctx)
    assert not evaluate(
        req, resource=[parse_policy(policy("StringEquals", "idp.example.com:email", "a@b.c"))]
    ).allowed
    assert evaluate(
        req, resource=[parse_policy(policy("StringNotEquals", "idp.example.com:email", "z"))]
    ).allowed


@pytest.mark.parametrize(
    "key",
    [
        "idp.example.com:aud",
        "idp.example.com:SUB",
        "idp.example.com:amr",
        "other.example.com:email",
        "aws:SourceIp",
    ],
)
def test_documented_or_foreign_keys_are_not_reported(key: str) -> None:
    assert W.unexposed_conditions(policy("StringEquals", key), "idp.example.com") == []


def test_google_oaud_is_documented_only_for_google() -> None:
    assert (
        W.unexposed_conditions(policy("StringEquals", "accounts.google.com:oaud"), "accounts.google.com")
        == []
    )
    assert W.unexposed_conditions(policy("StringEquals", "idp.example.com:oaud"), "idp.example.com")


def test_iter_conditions_tolerates_junk() -> None:
    for junk in (
        None,
        [],
        {"Statement": "x"},
        {"Statement": [1, {"Condition": "x"}, {"Condition": {"Op": 1}}]},
    ):
        assert list(W.iter_conditions(junk)) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["aud", "sub", "azp", "amr", "email", "repository", TAGS_CLAIM, SOURCE_IDENTITY_CLAIM]
        ),
        json_values,
    ),
    st.sampled_from(
        [
            "https://idp.example.com",
            "accounts.google.com",
            "cognito-identity.amazonaws.com",
            "https://token.actions.githubusercontent.com",
            "https://x.auth0.com/",
        ]
    ),
)
def test_build_context_never_raises_and_yields_valid_context(claims: dict[str, Any], url: str) -> None:
    ctx = W.build_context(claims, url)
    prefix = W.provider_prefix(url)
    for k, v in ctx.keys.items():
        assert k.startswith((prefix + ":", "aws:", "sts:"))
        assert isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
    evaluate(
        Request(ACTION, None, {"Federated": prefix}, ctx.keys),
        resource=[parse_policy(policy("StringEquals", f"{prefix}:sub", "s"))],
    )


def test_login_with_amazon_and_facebook_keys_are_documented() -> None:
    for prefix, key in (
        ("www.amazon.com", "app_id"),
        ("www.amazon.com", "user_id"),
        ("graph.facebook.com", "id"),
    ):
        assert W.unexposed_conditions(policy("StringEquals", f"{prefix}:{key}"), prefix) == []
    assert W.unexposed_conditions(policy("StringEquals", "graph.facebook.com:email"), "graph.facebook.com")
