"""Secrets planted anywhere in evidence (and messages) never reach any of the five formats."""

from __future__ import annotations

import base64
import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.redact.secrets import scrub_text
from ccwb_doctor.app import render_report
from ccwb_doctor.model import CheckMeta, Result, Severity, fail
from ccwb_doctor.report import Report

FORMATS = ("text", "json", "markdown", "junit", "sarif")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
URLSAFE = B64[:-2] + "-_"


def _rand(r: random.Random, alphabet: str, n: int) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def make_secret(kind: str, r: random.Random) -> str:
    """Secrets in their real formats, with real randomness (secrets are random by nature)."""
    if kind == "jwt":
        head = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": _rand(r, URLSAFE, 8)}).encode())
        body = base64.urlsafe_b64encode(json.dumps({"sub": _rand(r, URLSAFE, 12), "exp": 2}).encode())
        return f"{head.decode().rstrip('=')}.{body.decode().rstrip('=')}.{_rand(r, URLSAFE, 86)}"
    if kind == "aws_secret":
        return _rand(r, B64, 40)
    if kind == "session_token":
        return "IQoJb3JpZ2luX2VjE" + _rand(r, B64, 300)
    if kind == "refresh_token":
        return _rand(r, URLSAFE, 43)
    if kind == "client_secret":
        return "GOCSPX-" + _rand(r, URLSAFE, 28)
    raise AssertionError(kind)


KINDS = ["jwt", "aws_secret", "session_token", "refresh_token", "client_secret"]
KEYS = ["SecretAccessKey", "SessionToken", "refresh_token", "client_secret", "id_token", "note", "value", "x"]


EVERY_FORMAT = ("message", "fix", "subject")  # channels that every format prints


@st.composite
def planted(draw: st.DrawFn) -> tuple[dict, str, str, list[tuple[str, str]]]:
    r = draw(st.randoms(use_true_random=True))
    secrets = [make_secret(k, r) for k in draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4))]
    evidence: dict = {}
    message, fix = "check failed", "fix it"
    placed: list[tuple[str, str]] = []
    for i, s in enumerate(secrets):
        where = draw(st.sampled_from(["value", "nested", "list", "text", "message", "key", "fix", "subject"]))
        key = f"{draw(st.sampled_from(KEYS))}_{i}"  # unique: a later secret never overwrites an earlier one
        if where == "value":
            evidence[key] = s
        elif where == "nested":
            evidence.setdefault("deep", {}).setdefault("deeper", {})[key] = s
        elif where == "list":
            evidence.setdefault("items", []).append({"k": [s]})
        elif where == "text":
            evidence[f"{key}_text"] = f"stderr: aws_secret_access_key={s} and token {s}."
        elif where == "message":
            message += f" (got {s})"
        elif where == "fix":
            fix += f"; run: helper --token {s}"
        elif where == "subject":
            evidence["subject"] = f"{evidence.get('subject', 'audience')} {s}"
        else:
            evidence[s] = "planted as a key"
        placed.append((s, where))
    return evidence, message, fix, placed


def assert_masked_in_every_format(
    evidence: dict, message: str, fix: str, placed: list[tuple[str, str]], *, prefix: int = 24
) -> None:
    """Each planted secret reaches some format without the redaction boundary (so the check is not
    vacuous; a place in EVERY_FORMAT must reach every format) and no format prints it through the
    boundary: not whole, not its first ``prefix`` characters."""
    from ccwb_doctor.render import renderer

    meta = CheckMeta("TEST-SECRET", "t", "token", Severity.HIGH, "fix")
    report = Report(
        [Result.from_outcome(meta, fail(message, fix=fix, evidence=evidence), 1.0)], catalog=[meta]
    )
    seen_raw: set[str] = set()
    for fmt in FORMATS:
        raw = renderer(fmt)(report.to_dict(), catalog=[meta.to_dict()], color=False, verbose=True)
        for s, where in placed:
            if s in raw:
                seen_raw.add(s)
            elif where in EVERY_FORMAT:
                raise AssertionError(f"{fmt} does not print the {where}: the property would prove nothing")
        out = render_report(report, fmt, color=False, verbose=True)  # text: evidence shown too
        for s, where in placed:
            assert s not in out, (fmt, where, s)
            assert s[:prefix] not in out, (fmt, where, s)
    assert seen_raw == {s for s, _ in placed}  # every planted secret is printed by at least one format


@settings(max_examples=60, deadline=None)
@given(planted())
def test_no_planted_secret_survives_any_format(case: tuple[dict, str, str, list[tuple[str, str]]]) -> None:

    evidence, message, fix, placed = case
    assert_masked_in_every_format(evidence, message, fix, placed)


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=True), st.sampled_from(KINDS))
def test_known_secrets_masked_even_without_a_recognisable_shape(r: random.Random, kind: str) -> None:
    opaque = _rand(r, "abcdefghij", 30)  # low-entropy, no shape: only the known-secret list can catch it
    meta = CheckMeta("TEST-SECRET", "t", "token", Severity.HIGH, "fix")
    report = Report(
        [Result.from_outcome(meta, fail(f"value {opaque}", evidence={"v": opaque}), 1.0)], catalog=[meta]
    )
    for fmt in FORMATS:
        assert opaque not in render_report(report, fmt, secrets=[opaque], color=False, verbose=True)


WORDS = ["tulip", "orchard", "lantern", "summer", "river", "walnut", "marmalade", "sky", "blue", "whale"]
OPTIONS = ["--client-secret", "--password", "--token", "--api-key", "--client_secret", "--passwd"]
ASSIGN_KEYS = ["client_secret", "password", "token", "api_key", "refresh_token", "PASSWORD", "x-api-key"]
ENV_KEYS = ["MY_SERVICE_PASSWORD", "ANTHROPIC_AUTH_TOKEN", "DB_SECRET", "OTEL_API_KEY"]


def key_named_secret(r: random.Random) -> str:
    """A password that looks like words: no shape gives it away, only the key name it comes with."""
    return f"{r.choice(WORDS)}{r.randint(10, 9999)}{r.choice(WORDS)}-{r.choice(WORDS)}"


@st.composite
def planted_by_name(draw: st.DrawFn) -> tuple[dict, str, str, list[tuple[str, str]]]:
    r = draw(st.randoms(use_true_random=True))
    evidence: dict = {}
    message, fix = "check failed", "fix it"
    placed: list[tuple[str, str]] = []
    for i in range(draw(st.integers(1, 5))):
        s = key_named_secret(r)
        opt, key, env = r.choice(OPTIONS), r.choice(ASSIGN_KEYS), r.choice(ENV_KEYS)
        where = draw(
            st.sampled_from(
                [
                    "line",
                    "argv",
                    "argv=",
                    "url",
                    "stderr",
                    "env",
                    "env_text",
                    "header",
                    "json",
                    "message",
                    "fix",
                ]
            )
        )
        if where == "line":  # a credential_process line, shell-quoted or not
            value = r.choice([s, f"'{s}'", f'"{s}"'])
            evidence[f"line_{i}"] = f"/opt/helper --profile p {opt}{r.choice([' ', '='])}{value} --region x"
        elif where == "argv":
            evidence[f"argv_{i}"] = ["/opt/helper", "--profile", "p", opt, s]
        elif where == "argv=":
            evidence[f"argv_{i}"] = ["/opt/helper", f"{opt}={s}"]
        elif where == "url":
            evidence[f"endpoint_{i}"] = f"https://otel:{s}@collector.corp.example.com:4318/v1/metrics"
        elif where == "stderr":
            evidence[f"stderr_{i}"] = f"error: invalid_client ({key}={s}); try again"
        elif where == "env":
            evidence.setdefault("env", {})[f"{env}_{i}"] = s
        elif where == "env_text":
            evidence[f"env_{i}"] = ["AWS_REGION=us-east-1", f"{env}={s}"]
        elif where == "header":
            evidence[f"headers_{i}"] = r.choice([f"x-api-key={s},foo=bar", f"X-Api-Key: {s}", f"{key}: {s}"])
        elif where == "json":
            evidence[f"body_{i}"] = json.dumps({"error": "invalid_grant", key: s})
        elif where == "message":
            message += f" (https://user:{s}@idp.corp.example.com/.well-known/jwks.json unreachable)"
        else:
            fix += f"; run: helper {opt} {s}"
        placed.append((s, where))
    return evidence, message, fix, placed


@settings(max_examples=80, deadline=None)
@given(planted_by_name())
def test_key_named_secrets_masked_in_every_format(case: tuple[dict, str, str, list[tuple[str, str]]]) -> None:
    """Masking by key name: arguments, argv, URLs, helper stderr, settings env, headers, JSON bodies."""

    evidence, message, fix, placed = case
    assert_masked_in_every_format(evidence, message, fix, placed)


def test_key_named_masking_keeps_prose_and_placeholders() -> None:
    for text in (
        "give --token FILE or --live",
        "ccwb-doctor token --token - < id_token.jwt",
        "refresh token: none cached",
        "token_exp=1700000000 token_source=file",
        "--token-file /tmp/t.jwt",
        "https://collector.example.com:4318/v1/metrics",
        "client_secret=${CLIENT_SECRET}",
    ):
        assert scrub_text(text) == text, text


def test_useful_identifiers_are_kept() -> None:
    keep = [
        "arn:aws:iam::123456789012:role/BedrockOktaFederatedRole",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
        "0oabc123def456ghi789",
        "AKIAIOSFODNN7EXAMPLE",
        "/tmp/pytest-of-root/pytest-3/test_credential_process0/home/.aws/config",
        "https://dev-12345678.okta.com/oauth2/default/.well-known/openid-configuration",
        # paths with a random part (mktemp, macOS $TMPDIR) stay readable: a path is not a secret
        "/tmp/tmp.AbC12dEfGh/claude-code-with-bedrock/credential-process",
        "/var/folders/7h/k2x9f8zn1qj5_4b0h0000gn/T/tmpXy12Ab/home/.aws/config",
        # identifiers with acronyms, including one of exactly an AWS secret key's length
        "XMLHttpRequestEventTargetProxyHandler",
        "IDPCommunicationErrorException",
        "InvokeModelWithResponseStreamPermissions",
    ]
    for text in keep:
        assert scrub_text(text) == text


def test_generated_names_and_arns_are_not_secrets() -> None:
    """CloudFormation physical names and assumed-role ARNs carry a short random suffix: keep them."""
    for text in (
        "role ccwb-sandbox-auth-FederatedRole-I21IEQW5EMC4 in 111122223333",
        "arn:aws:sts::111122223333:assumed-role/ccwb-auth-FederatedRole-6D969B8RLXJC/alice@example.com",
        "stack-NestedStack-1ABCDEFGH2IJK-BedrockPolicy-Q1W2E3R4T5Y6",
    ):
        assert scrub_text(text) == text


@settings(max_examples=200, deadline=None)
@given(st.randoms(use_true_random=True), st.sampled_from(["-", "_", "/", "+"]))
def test_secrets_with_separators_are_still_masked(r: random.Random, sep: str) -> None:
    """Splitting on separators never lets a real secret through, wherever the separators fall."""
    secret = _rand(r, B64, 40)
    cut = sorted(r.sample(range(4, 36), 2))
    planted = secret[: cut[0]] + sep + secret[cut[0] : cut[1]] + sep + secret[cut[1] :]
    assert planted not in scrub_text(f"key {planted} end")


def test_a_secret_inside_a_path_masks_only_that_segment() -> None:
    hook = "https://hooks.slack.com/services/T0001/B0002/Xk29aLp0QwErTyUiOp12Zx9v"
    assert scrub_text(hook) == "https://hooks.slack.com/services/T0001/B0002/«redacted»"
    path = "/home/ana/bin/Xk29aLp0QwErTyUiOp12Zx9vAbCdEfGh1234/cp"
    assert scrub_text(path) == "/home/ana/bin/«redacted»/cp"


@settings(max_examples=200, deadline=None)
@given(st.randoms(use_true_random=True))
def test_secret_keys_that_drew_no_digit_are_still_masked(r: random.Random) -> None:
    """About 1 in 1000 real 40-character secret keys has no digit; shape detection must not rely on one."""
    secret = _rand(r, B64.replace("0123456789", ""), 40)
    for fmt_text in (f"stderr: key {secret} rejected", secret):
        assert secret not in scrub_text(fmt_text)
