"""Pure pieces of the reference helper: parsers (property-tested), naming, endpoints, freshness."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.reference_helper import cli, config, oidc, otel_headers, session, sts
from ccwb_doctor.reference_helper.errors import HelperError, add_secret, scrub

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
    max_leaves=20,
)
SESSION_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]{2,64}$")


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_config_split_never_crashes(data: object) -> None:
    try:
        shape, profiles = config.split_profiles(data)
    except HelperError as exc:
        assert "JSON object" in exc.reason
        return
    assert shape in {"profiles", "flat", "legacy"}
    for raw in profiles.values():
        cfg = config.normalise(raw)
        assert cfg["federation_type"] in {"direct", "cognito"} or "federation_type" in raw
        assert "aws_region" in cfg and "credential_storage" in cfg


def test_config_shapes_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    env = {"CCWB_CONFIG": str(path)}
    legacy = {
        "ClaudeCode": {
            "okta_domain": "dev-1.okta.com",
            "okta_client_id": "abc",
            "federated_role_arn": "arn:r",
        }
    }
    path.write_text(json.dumps(legacy))
    _, shape, name, cfg = config.load(None, env)
    assert (shape, name, cfg["provider_domain"], cfg["client_id"]) == (
        "flat",
        "ClaudeCode",
        "dev-1.okta.com",
        "abc",
    )
    assert cfg["federation_type"] == "direct" and cfg["max_session_duration"] == 43200
    path.write_text(json.dumps({"name": "Old", "okta_domain": "d.okta.com", "identity_pool_name": "pool"}))
    _, shape, name, cfg = config.load(None, env)
    assert (shape, name, cfg["identity_pool_id"], cfg["max_session_duration"]) == (
        "legacy",
        "Old",
        "pool",
        28800,
    )
    path.write_text(json.dumps({"profiles": {"A": {"client_id": "a"}, "B": {"client_id": "b"}}}))
    assert config.load(None, env | {"CCWB_PROFILE": "B"})[3]["client_id"] == "b"
    with pytest.raises(HelperError, match="profile 'ClaudeCode' not found"):
        config.load(None, env)


def test_config_search_order(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "claude-code-with-bedrock").mkdir(parents=True)
    (home / "claude-code-with-bedrock" / "config.json").write_text(json.dumps({"P": {"client_id": "x"}}))
    assert config.load(None, {"HOME": str(home)})[2] == "P"
    with pytest.raises(HelperError, match="no config.json found"):
        config.load(None, {"HOME": str(tmp_path / "nowhere")})


def test_config_beside_the_executable_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / "claude-code-with-bedrock").mkdir(parents=True)
    (home / "claude-code-with-bedrock" / "config.json").write_text(json.dumps({"Home": {"client_id": "h"}}))
    project = tmp_path / "project"  # a working directory that happens to hold an unrelated config.json
    project.mkdir()
    (project / "config.json").write_text(json.dumps({"Project": {"client_id": "p"}}))
    monkeypatch.chdir(project)
    monkeypatch.setattr("sys.argv", ["-c"])  # python -c '...': argv[0] is not the executable
    assert config.load(None, {"HOME": str(home)})[2] == "Home"
    install = tmp_path / "install"
    install.mkdir()
    (install / "config.json").write_text(json.dumps({"Beside": {"client_id": "b"}}))
    (install / "ccwb-credential-process").write_text("#!/bin/sh\n")
    monkeypatch.setattr("sys.argv", [str(install / "ccwb-credential-process")])
    assert config.load(None, {"HOME": str(home)})[2] == "Beside"  # the binary's directory comes first


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100), st.text(max_size=100))
def test_session_name_always_valid(email: str, sub: str) -> None:
    assert SESSION_NAME.match(sts.session_name({"email": email, "sub": sub}))


def test_session_name_prefers_email() -> None:
    assert sts.session_name({"email": "a.b+c@example.com", "sub": "s"}) == "a.b+c@example.com"
    assert sts.session_name({"sub": "auth0|1234"}) == "auth0-1234"
    assert sts.session_name({}) == "claude-code"
    assert sts.session_name({"email": "", "sub": "x"}) == "claude-code-x"
    assert sts.session_name({"email": "ü" * 80}) == "-" * 64  # non-ASCII replaced, cut to 64


@pytest.mark.parametrize(
    ("region", "env", "fips", "expected"),
    [
        ("eu-west-1", {}, False, "https://sts.eu-west-1.amazonaws.com/"),
        ("us-east-1", {"AWS_USE_FIPS_ENDPOINT": "true"}, False, "https://sts-fips.us-east-1.amazonaws.com/"),
        ("us-west-2", {}, True, "https://sts-fips.us-west-2.amazonaws.com/"),
        ("cn-north-1", {}, False, "https://sts.cn-north-1.amazonaws.com.cn/"),
        ("us-gov-west-1", {}, True, "https://sts.us-gov-west-1.amazonaws.com/"),
        ("eu-west-1", {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, False, "http://127.0.0.1:1/"),
        (
            "eu-west-1",
            {"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_STS": "http://b:2/"},
            False,
            "http://b:2/",
        ),
    ],
)
def test_sts_endpoint(region: str, env: dict[str, str], fips: bool, expected: str) -> None:
    assert sts.endpoint({"aws_region": region, "use_fips_endpoint": fips}, env) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(43200, 43200), (99999, 43200), (100, 1800), (900, 1800), (None, 3600), (7200, 7200)],
)
def test_duration_clamped(value: int | None, expected: int) -> None:
    assert sts.duration({"max_session_duration": value}) == expected


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_sts_parsers_never_crash(body: bytes) -> None:
    code, message = sts.parse_error(body)
    assert isinstance(code, str) and isinstance(message, str)
    with pytest.raises(HelperError):
        sts.parse_response(body)


def test_sts_parse_response() -> None:
    ns = "https://sts.amazonaws.com/doc/2011-06-15/"
    body = (
        f'<AssumeRoleWithWebIdentityResponse xmlns="{ns}"><AssumeRoleWithWebIdentityResult><Credentials>'
        "<AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>sk</SecretAccessKey><SessionToken>st</SessionToken>"
        "<Expiration>2030-01-01T00:00:00.123Z</Expiration></Credentials><AssumedRoleUser>"
        "<Arn>arn:aws:sts::111122223333:assumed-role/R/x</Arn></AssumedRoleUser>"
        "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"
    ).encode()
    out = sts.parse_response(body)
    assert out == {
        "Version": 1,
        "AccessKeyId": "ASIA1",
        "SecretAccessKey": "sk",
        "SessionToken": "st",
        "Expiration": "2030-01-01T00:00:00Z",
        "AccountId": "111122223333",
    }


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_unverified_claims_never_crash(token: str) -> None:
    assert isinstance(session.unverified_claims(token), dict)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["email", "sub", "department", "team_id", "cost_center", "https://aws.amazon.com/tags", "x"]
        ),
        json_values,
    )
)
def test_otel_headers_from_any_claims(claims: dict[str, object]) -> None:
    headers = otel_headers.headers_from_claims(claims)
    assert set(headers) <= set(otel_headers.HEADER_CLAIMS)
    assert all(isinstance(v, str) and v.isprintable() and len(v) <= 256 for v in headers.values())


def test_otel_headers_tags_fallback() -> None:
    claims = {
        "sub": "u1",
        "https://aws.amazon.com/tags": {"principal_tags": {"Department": ["eng"], "CostCenter": ["7"]}},
    }
    assert otel_headers.headers_from_claims(claims) == {
        "x-user-id": "u1",
        "x-department": "eng",
        "x-cost-center": "7",
    }


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["--profile", "-p", "x", "--device", "--explain", "--bogus", "--profile=y", ""]),
        max_size=5,
    )
)
def test_cli_parse_total(argv: list[str]) -> None:
    try:
        opts = cli.parse(argv)
    except HelperError as exc:
        assert exc.code == 2
        return
    assert "profile" in opts


def test_creds_fresh_uses_botocore_advisory_window() -> None:
    cfg = {"federated_role_arn": "arn:r", "oidc_issuer_url": "https://idp.example", "client_id": "c"}
    now = time.time()
    creds = {"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T", "Expiration": "x"}
    base = {"role_arn": "arn:r", "credentials": creds, "issuer": "https://idp.example", "client_id": "c"}
    assert session.creds_fresh(base | {"credentials_exp": now + 17 * 60}, cfg, now)
    # bound to the IdP and client: after either changes in config.json the cache is not served
    assert not session.creds_fresh(base | {"credentials_exp": now + 3600, "issuer": "https://old"}, cfg, now)
    assert not session.creds_fresh(base | {"credentials_exp": now + 3600, "client_id": "old"}, cfg, now)
    assert not session.creds_fresh(base | {"credentials_exp": now + 15 * 60}, cfg, now)
    assert not session.creds_fresh(base | {"credentials_exp": now + 3600, "role_arn": "arn:other"}, cfg, now)
    assert not session.creds_fresh(
        base | {"credentials": creds | {"SecretAccessKey": ""}, "credentials_exp": now + 3600}, cfg, now
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600))
    assert session.creds_fresh(base | {"credentials": base["credentials"] | {"Expiration": stamp}}, cfg, now)


@pytest.mark.parametrize(
    ("cfg", "issuer"),
    [
        ({"provider_domain": "dev-1.okta.com", "provider_type": "okta"}, "https://dev-1.okta.com"),
        (
            {"provider_domain": "dev-1.okta.com", "okta_auth_server_id": "default"},
            "https://dev-1.okta.com/oauth2/default",
        ),
        ({"provider_domain": "t.us.auth0.com"}, "https://t.us.auth0.com/"),
        (
            {"provider_domain": "login.microsoftonline.com/tid/v2.0"},
            "https://login.microsoftonline.com/tid/v2.0",
        ),
        (
            {"provider_type": "google", "provider_domain": "accounts.google.com"},
            "https://accounts.google.com",
        ),
        (
            {"provider_type": "cognito", "cognito_user_pool_id": "eu-west-1_AbC"},
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
        ),
        (
            {"oidc_issuer_url": "https://idp.example/realms/main", "provider_domain": "x"},
            "https://idp.example/realms/main",
        ),
    ],
)
def test_issuer_of(cfg: dict[str, str], issuer: str) -> None:
    assert oidc.issuer_of(cfg) == issuer


def test_scrub_masks_secrets_and_jwts() -> None:
    add_secret("super-secret-refresh-token")
    text = scrub("failed with super-secret-refresh-token and eyJhbGciOi.eyJzdWIiOi.c2ln\nnext")
    assert "super-secret" not in text and "eyJ" not in text and "\n" not in text


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["role_arn", "credentials", "credentials_exp", "x"]), json_values))
def test_creds_fresh_total(sess: dict[str, object]) -> None:
    assert session.creds_fresh(sess, {"federated_role_arn": sess.get("role_arn")}) in (True, False)
