"""TOKEN-PRESENT / TOKEN-SIGNATURE / TOKEN-EXPIRY over real HOMEs, real tokens and a real IdP on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.token.jwt import decode
from ccwb_doctor.app import render_report, run_report
from ccwb_doctor.facts.token import token_from_text
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.idp import FixtureIdP
from ccwb_doctor.model import Result

IDS = ["TOKEN-PRESENT", "TOKEN-SIGNATURE", "TOKEN-EXPIRY"]


@pytest.fixture(scope="module")
def idp() -> Iterator[FixtureIdP]:
    with FixtureIdP(tls=True) as server:
        yield server


@pytest.fixture
def home(tmp_path: Path, idp: FixtureIdP) -> sc.Scenario:
    s = sc.reference_install(tmp_path / "home", issuer=idp.issuer, client_id=idp.client_id)
    ca = tmp_path / "ca.pem"
    idp.ca.cert_pem.write_to_path(str(ca))
    s.env["SSL_CERT_FILE"] = str(ca)
    return s


def run(
    s: sc.Scenario, ids: list[str] | None = None, mode: str = "default", **opts: Any
) -> dict[str, Result]:
    report = run_report(s.options(mode=mode, **opts), only=ids or IDS, env=s.env)
    return {r.id: r for r in report.results}


def status(results: dict[str, Result]) -> dict[str, str]:
    return {k: str(v.status) for k, v in results.items()}


# ---- TOKEN-PRESENT ------------------------------------------------------------------------------


def test_present_from_token_text(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = run(home, ["TOKEN-PRESENT"], mode="offline", token_text=idp.mint(), token="-")["TOKEN-PRESENT"]
    assert str(r.status) == "pass" and "sub='" in r.message
    assert r.evidence["header"]["alg"] == "RS256" and r.evidence["signature"].startswith("<masked")


def test_present_from_token_file_with_json_wrapper(
    home: sc.Scenario, idp: FixtureIdP, tmp_path: Path
) -> None:
    f = sc.write(tmp_path / "resp.json", json.dumps({"id_token": idp.mint(), "token_type": "Bearer"}))
    r = run(home, ["TOKEN-PRESENT"], mode="offline", token=str(f))["TOKEN-PRESENT"]
    assert str(r.status) == "pass" and str(f) in r.message


def test_present_from_reference_helper_cache(home: sc.Scenario, idp: FixtureIdP) -> None:
    sc.write(
        home.home / ".cache" / "ccwb-credential-process" / "ccwb.json",
        json.dumps({"id_token": idp.mint(), "id_token_exp": 1}),
    )
    r = run(home, ["TOKEN-PRESENT"], mode="offline")["TOKEN-PRESENT"]
    assert str(r.status) == "pass" and "reference-helper" in r.message


def test_present_from_guidance_monitoring_cache(tmp_path: Path, idp: FixtureIdP) -> None:
    g = sc.guidance_install(tmp_path / "g")
    sc.write(
        g.home / ".claude-code-session" / "ClaudeCode-monitoring.json",
        json.dumps(
            {"token": idp.mint(), "expires": 1, "email": "alice@example.com", "profile": "ClaudeCode"}
        ),
    )
    r = run(g, ["TOKEN-PRESENT"], mode="offline")["TOKEN-PRESENT"]
    assert str(r.status) == "pass" and "ccwb-monitoring" in r.message
    assert r.evidence["cache"]["email"] == "alice@example.com"


def test_absent_token_warns_with_what_was_tried(home: sc.Scenario) -> None:
    sc.write(home.home / ".cache" / "ccwb-credential-process" / "ccwb.json", "{broken")
    res = run(home, mode="offline")
    assert str(res["TOKEN-PRESENT"].status) == "warn" and "not JSON" in res["TOKEN-PRESENT"].message
    assert str(res["TOKEN-SIGNATURE"].status) == "skip" and str(res["TOKEN-EXPIRY"].status) == "skip"


def test_malformed_token_fails(home: sc.Scenario) -> None:
    res = run(home, mode="offline", token_text="not-a-jwt", token="-")
    assert str(res["TOKEN-PRESENT"].status) == "fail"
    assert res["TOKEN-PRESENT"].message.startswith("InvalidIdentityToken:")
    assert str(res["TOKEN-SIGNATURE"].status) == "skip"


def test_missing_token_file_is_an_error_naming_it(home: sc.Scenario, tmp_path: Path) -> None:
    r = run(home, ["TOKEN-PRESENT"], mode="offline", token=str(tmp_path / "nope.jwt"))["TOKEN-PRESENT"]
    assert str(r.status) == "error" and "nope.jwt" in r.message and "not found" in r.message


def helper_script(tmp_path: Path, body: str) -> Path:
    return sc.write(tmp_path / "bin" / "ccwb-credential-process", "#!/bin/sh\n" + body, 0o755)


def test_live_mode_asks_the_helper(tmp_path: Path, idp: FixtureIdP) -> None:
    tok_file = sc.write(tmp_path / "tok", idp.mint())
    helper = helper_script(tmp_path, f'[ "$3" = "--print-id-token" ] && cat {tok_file} && exit 0\nexit 3\n')
    s = sc.reference_install(tmp_path / "home", issuer=idp.issuer, helper=helper)
    r = run(s, ["TOKEN-PRESENT"], mode="live")["TOKEN-PRESENT"]
    assert str(r.status) == "pass" and "helper" in r.message
    assert r.evidence["cache"]["argv"] == ["ccwb-credential-process", "--profile", "ccwb", "--print-id-token"]


def test_live_mode_helper_without_token_fails(tmp_path: Path) -> None:
    s = sc.guidance_install(tmp_path / "g")  # its stand-in prints credentials, not a token
    r = run(s, ["TOKEN-PRESENT"], mode="live")["TOKEN-PRESENT"]
    assert str(r.status) == "fail" and "--get-monitoring-token exited 0 without printing a token" in r.message


def test_live_mode_hung_helper_is_bounded(tmp_path: Path) -> None:
    s = sc.reference_install(tmp_path / "home", helper=helper_script(tmp_path, "sleep 30\n"))
    start = time.monotonic()
    r = run(s, ["TOKEN-PRESENT"], mode="live", timeout=1.5)["TOKEN-PRESENT"]
    assert time.monotonic() - start < 10 and str(r.status) in ("fail", "error")


# ---- TOKEN-SIGNATURE ----------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "RS512", "ES256", "ES384"])
def test_signature_passes(home: sc.Scenario, idp: FixtureIdP, alg: str) -> None:
    r = run(home, ["TOKEN-SIGNATURE"], token_text=idp.mint(alg=alg), token="-")["TOKEN-SIGNATURE"]
    assert str(r.status) == "pass" and alg in r.message and idp.jwks_uri in r.message


def test_bad_signature_fails(home: sc.Scenario, idp: FixtureIdP) -> None:
    idp.fault = "bad-signature"
    try:
        tok = idp.mint()
    finally:
        idp.fault = None
    r = run(home, ["TOKEN-SIGNATURE"], token_text=tok, token="-")["TOKEN-SIGNATURE"]
    assert (
        str(r.status) == "fail"
        and r.message.startswith("InvalidIdentityToken:")
        and "does not verify" in r.message
    )


@pytest.mark.parametrize("mode", ["offline", "default"])
def test_hs256_fails_even_offline(home: sc.Scenario, idp: FixtureIdP, mode: str) -> None:
    tok = jwt.encode(
        {"iss": idp.issuer, "sub": "s", "aud": "a", "iat": 1, "exp": 2}, "k" * 32, algorithm="HS256"
    )
    r = run(home, ["TOKEN-SIGNATURE"], mode=mode, token_text=tok, token="-")["TOKEN-SIGNATURE"]
    assert str(r.status) == "fail" and "HMAC" in r.message and "InvalidIdentityToken" in r.message


@pytest.mark.parametrize("mode", ["offline", "default"])
def test_eddsa_fails_even_offline(home: sc.Scenario, idp: FixtureIdP, mode: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    tok = jwt.encode(
        {"iss": idp.issuer, "sub": "s", "aud": "a", "iat": 1, "exp": 2},
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": "ed"},
    )
    r = run(home, ["TOKEN-SIGNATURE"], mode=mode, token_text=tok, token="-")["TOKEN-SIGNATURE"]
    assert str(r.status) == "fail" and r.message.startswith("InvalidIdentityToken:")
    assert "EdDSA" in r.message and "RS256" in r.message


def test_alg_none_fails(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = run(home, ["TOKEN-SIGNATURE"], mode="offline", token_text=idp.mint(alg="none"), token="-")
    assert str(r["TOKEN-SIGNATURE"].status) == "fail" and "unsigned" in r["TOKEN-SIGNATURE"].message


def test_offline_skips_allowed_algorithms(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = run(home, ["TOKEN-SIGNATURE"], mode="offline", token_text=idp.mint(), token="-")["TOKEN-SIGNATURE"]
    assert str(r.status) == "skip" and r.message.startswith("offline") and "RS256" in r.message


def test_missing_kid_with_several_keys_fails(home: sc.Scenario, idp: FixtureIdP) -> None:
    idp.mint(alg="ES256")  # make sure the JWKS holds RSA and EC keys
    tok = jwt.encode(
        {"iss": idp.issuer, "sub": "s", "aud": "a", "iat": 1, "exp": 2},
        idp.keys.active("RS256").private_key,
        algorithm="RS256",
    )
    r = run(home, ["TOKEN-SIGNATURE"], token_text=tok, token="-")["TOKEN-SIGNATURE"]
    assert str(r.status) == "fail" and "no 'kid'" in r.message


def test_unreachable_issuer_warns(home: sc.Scenario) -> None:
    with FixtureIdP() as gone:
        tok = gone.mint(claims={"iss": gone.issuer.replace("http://", "https://")})
    r = run(home, ["TOKEN-SIGNATURE"], token_text=tok, token="-", timeout=3)["TOKEN-SIGNATURE"]
    assert str(r.status) == "warn" and "from this machine" in r.message


def test_discovery_issuer_mismatch_fails(tmp_path: Path) -> None:
    with FixtureIdP(tls=True) as own:
        s = sc.reference_install(tmp_path / "home", issuer=own.issuer)
        ca = sc.write(tmp_path / "ca.pem", own.ca.cert_pem.bytes())
        s.env["SSL_CERT_FILE"] = str(ca)
        own.discovery_overrides["issuer"] = own.issuer + "/"
        r = run(s, ["TOKEN-SIGNATURE"], token_text=own.mint(), token="-")["TOKEN-SIGNATURE"]
    assert (
        str(r.status) == "fail"
        and "Couldn't retrieve verification key" in r.message
        and "exactly" in r.message
    )


def test_jwks_fetched_once_per_run_and_once_more_on_rotation(tmp_path: Path) -> None:
    with FixtureIdP(tls=True) as own:
        s = sc.reference_install(tmp_path / "home", issuer=own.issuer)
        s.env["SSL_CERT_FILE"] = str(sc.write(tmp_path / "ca.pem", own.ca.cert_pem.bytes()))
        res = run(s, IDS + ["trust"], token_text=own.mint(), token="-")
        assert str(res["TOKEN-SIGNATURE"].status) == "pass"
        assert (own.count("discovery"), own.count("jwks")) == (1, 1)
        run(s, IDS, token_text=own.mint(), token="-")  # next run: the disk cache (TTL) answers
        assert (own.count("discovery"), own.count("jwks")) == (1, 1)
        own.rotate("ES384")
        res = run(s, IDS, token_text=own.mint(alg="ES384"), token="-")
        assert str(res["TOKEN-SIGNATURE"].status) == "pass"
        assert res["TOKEN-SIGNATURE"].evidence["refetched_for_unknown_kid"] is True
        assert (own.count("discovery"), own.count("jwks")) == (2, 2)


def test_jwks_disk_cache_lives_in_the_user_cache_dir(tmp_path: Path) -> None:
    from ccwb_doctor.options import RunOptions

    with FixtureIdP(tls=True) as own:
        s = sc.reference_install(tmp_path / "home", issuer=own.issuer)
        s.env["SSL_CERT_FILE"] = str(sc.write(tmp_path / "ca.pem", own.ca.cert_pem.bytes()))
        run(s, ["TOKEN-SIGNATURE"], token_text=own.mint(), token="-")
        (cached,) = (s.home / ".cache" / "ccwb-doctor" / "jwks").iterdir()  # --home pins user paths
        assert cached.stat().st_mode & 0o777 == 0o600 and own.issuer in cached.read_text()
        # without --home, $XDG_CACHE_HOME is the user cache dir (as for the reference helper's cache)
        env = dict(s.env, HOME=str(s.home), XDG_CACHE_HOME=str(tmp_path / "xdg"))
        opts = RunOptions(mode="default", token_text=own.mint(), token="-")
        report = run_report(opts, only=["TOKEN-SIGNATURE"], env=env)
        assert str(report.results[0].status) == "pass"
        assert len(list((tmp_path / "xdg" / "ccwb-doctor" / "jwks").iterdir())) == 1
        assert (own.count("discovery"), own.count("jwks")) == (2, 2)  # another cache, fetched once


def test_retired_key_fails_after_one_refetch(tmp_path: Path) -> None:
    with FixtureIdP(tls=True) as own:
        s = sc.reference_install(tmp_path / "home", issuer=own.issuer)
        s.env["SSL_CERT_FILE"] = str(sc.write(tmp_path / "ca.pem", own.ca.cert_pem.bytes()))
        old = own.mint()
        own.rotate("RS256")  # the old key is no longer published
        r = run(s, ["TOKEN-SIGNATURE"], token_text=old, token="-")["TOKEN-SIGNATURE"]
        assert str(r.status) == "fail" and "is not in the JWKS" in r.message
        assert r.evidence["refetched_for_unknown_kid"] is True
        assert own.count("jwks") == 2  # the unknown kid triggered exactly one refetch, then it gave up


# ---- TOKEN-EXPIRY -------------------------------------------------------------------------------


def test_expiry_passes_for_a_fresh_token(home: sc.Scenario, idp: FixtureIdP) -> None:
    r = run(home, ["TOKEN-EXPIRY"], mode="offline", token_text=idp.mint(), token="-")["TOKEN-EXPIRY"]
    assert str(r.status) == "pass" and "valid for" in r.message and "awsAuthRefresh" in r.message


def test_expired_token_fails_with_sts_code(home: sc.Scenario, idp: FixtureIdP) -> None:
    now = int(time.time())
    tok = idp.mint({"iat": now - 7200, "exp": now - 400})
    r = run(home, ["TOKEN-EXPIRY"], mode="offline", token_text=tok, token="-")["TOKEN-EXPIRY"]
    assert str(r.status) == "fail" and r.message.startswith("ExpiredTokenException:")


def test_expired_within_skew_passes(home: sc.Scenario, idp: FixtureIdP) -> None:
    now = int(time.time())
    r = run(
        home,
        ["TOKEN-EXPIRY"],
        mode="offline",
        token_text=idp.mint({"iat": now - 3700, "exp": now - 100}),
        token="-",
    )
    assert str(r["TOKEN-EXPIRY"].status) == "pass" and "within the skew" in r["TOKEN-EXPIRY"].message


@pytest.mark.parametrize(
    ("claims", "word"),
    [
        ({"iat": int(time.time()) + 3600}, "future"),
        ({"exp": int(time.time()) + 600.5}, "integer"),
        ({"exp": None}, "Missing a required claim: exp"),
    ],
)
def test_bad_times_fail(home: sc.Scenario, idp: FixtureIdP, claims: dict[str, Any], word: str) -> None:
    r = run(home, ["TOKEN-EXPIRY"], mode="offline", token_text=idp.mint(claims), token="-")["TOKEN-EXPIRY"]
    assert str(r.status) == "fail" and word in r.message and r.message.startswith("InvalidIdentityToken:")


def _no_refresh(s: sc.Scenario) -> None:
    doc = s.read_settings()
    doc.pop("awsAuthRefresh", None)
    s.write_settings(doc)


def test_short_sessions_without_refresh_warn(home: sc.Scenario, idp: FixtureIdP) -> None:
    _no_refresh(home)  # reference scenario: max_session_duration 3600
    r = run(home, ["TOKEN-EXPIRY"], mode="offline", token_text=idp.mint(), token="-")["TOKEN-EXPIRY"]
    assert str(r.status) == "warn" and "mid-day" in r.message


def test_refresh_token_cache_is_a_refresh_story(home: sc.Scenario, idp: FixtureIdP) -> None:
    _no_refresh(home)
    sc.write(
        home.home / ".claude-code-session" / "ccwb-refresh.json", json.dumps({"refresh_token": "r" * 20})
    )
    r = run(home, ["TOKEN-EXPIRY"], mode="offline", token_text=idp.mint(), token="-")["TOKEN-EXPIRY"]
    assert str(r.status) == "pass" and "refresh token" in r.message


def test_nearly_expired_token_without_refresh_warns(home: sc.Scenario, idp: FixtureIdP) -> None:
    _no_refresh(home)
    r = run(home, ["TOKEN-EXPIRY"], mode="offline", token_text=idp.mint(lifetime=120), token="-")[
        "TOKEN-EXPIRY"
    ]
    assert str(r.status) == "warn" and "10 min" in r.message


# ---- secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "junit", "sarif"])
def test_raw_token_never_rendered(home: sc.Scenario, idp: FixtureIdP, fmt: str) -> None:
    tok = idp.mint({"https://aws.amazon.com/tags": {"principal_tags": {"Team": ["a", "b"]}}})
    sc.write(home.home / ".cache" / "ccwb-credential-process" / "ccwb.json", json.dumps({"id_token": tok}))
    report = run_report(home.options(mode="default"), only=["token", "trust"], env=home.env)
    out = render_report(report, fmt, verbose=True)
    assert "TOKEN-PRESENT" in out
    for part in (tok, tok.split(".")[2], tok.rsplit(".", 1)[0]):
        assert part not in out


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.builds(lambda v: json.dumps({"id_token": v}), st.text()),
        st.builds(lambda v: json.dumps({"token": v, "expires": 1}), st.text()),
    )
)
def test_token_text_extraction_never_raises(text: str) -> None:
    out = token_from_text(text)
    assert isinstance(out, str)
    decode(out)


@pytest.mark.parametrize(
    ("claims", "word"),
    [
        ({"sub": None}, "Missing a required claim: sub"),
        ({"iss": "http://idp.example.com"}, "https://"),
        ({"pad": "x" * 20000}, "characters"),
    ],
)
def test_wrong_shape_fails_token_present(
    home: sc.Scenario, idp: FixtureIdP, claims: dict[str, Any], word: str
) -> None:
    r = run(home, ["TOKEN-PRESENT"], mode="offline", token_text=idp.mint(claims), token="-")["TOKEN-PRESENT"]
    assert str(r.status) == "fail" and word in r.message and r.message.startswith("InvalidIdentityToken:")


def test_more_than_100_ec_keys_fails(tmp_path: Path) -> None:
    with FixtureIdP(tls=True) as own:
        s = sc.reference_install(tmp_path / "home", issuer=own.issuer)
        s.env["SSL_CERT_FILE"] = str(sc.write(tmp_path / "ca.pem", own.ca.cert_pem.bytes()))
        for _ in range(101):
            own.rotate("ES256", keep_old=True)
        r = run(s, ["TOKEN-SIGNATURE"], token_text=own.mint(alg="ES256"), token="-")["TOKEN-SIGNATURE"]
    assert str(r.status) == "fail" and "101 EC keys" in r.message
