"""JWT analysis: decoding without trust, STS's structural rules, time with skew, signatures (real keys)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from ccwb_doctor.analyzers.token import jwt as J
from ccwb_doctor.analyzers.token import signature as sig

NOW = 1_800_000_000
CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}
_KEYS: dict[str, Any] = {}


def key_for(alg: str, slot: int = 0) -> Any:
    if (alg, slot) not in _KEYS:
        if alg.startswith("RS"):
            _KEYS[(alg, slot)] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            _KEYS[(alg, slot)] = ec.generate_private_key(CURVES[alg]())
    return _KEYS[(alg, slot)]


def jwk(alg: str, kid: str, slot: int = 0) -> dict[str, Any]:
    codec = RSAAlgorithm if alg.startswith("RS") else ECAlgorithm
    out = codec.to_jwk(key_for(alg, slot).public_key(), as_dict=True)
    out.update(kid=kid, alg=alg, use="sig")
    return out


def claims(**over: Any) -> dict[str, Any]:
    base = {
        "iss": "https://idp.example.com",
        "sub": "user-1",
        "aud": "client-1",
        "iat": NOW,
        "exp": NOW + 3600,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def mint(alg: str = "RS256", kid: str | None = "k1", slot: int = 0, **over: Any) -> str:
    headers = {"kid": kid} if kid else {}
    return jwt.encode(claims(**over), key_for(alg, slot), algorithm=alg, headers=headers)


def b64(obj: Any) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# ---- decode -------------------------------------------------------------------------------------


def test_decode_reads_header_and_claims_without_verifying() -> None:
    tok = mint("ES256")
    d = J.decode(tok)
    assert d.ok and d.alg == "ES256" and d.kid == "k1" and d.iss == "https://idp.example.com"
    assert d.claims["sub"] == "user-1" and d.signature_len > 0
    assert tok not in repr(d) and tok.split(".")[2] not in json.dumps(d.to_dict())
    assert d.to_dict()["signature"].startswith("<masked")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("abc", "expected 3"),
        ("a.b", "expected 3"),
        ("a.b.c.d.e", "JWE"),
        ("!!.e30.", "header is not base64url"),
        (b64(b"not json") + "." + b64({}) + ".", "header is not JSON"),
        (b64([1, 2]) + "." + b64({}) + ".", "header is not a JSON object"),
        (b64({"alg": "RS256"}) + "." + b64("str") + ".", "payload is not a JSON object"),
        (b64({"alg": "RS256"}) + "." + b64({}) + ".$$", "signature is not base64url"),
    ],
)
def test_decode_malformed_gives_reason(text: str, fragment: str) -> None:
    d = J.decode(text)
    assert not d.ok and fragment in (d.error or "")
    assert J.structural_findings(d)[0].code == "malformed"


def test_decode_bytes_and_none() -> None:
    assert J.decode(mint().encode()).ok
    assert J.decode(b"\xff\xfe").error == "the token is not ASCII text"
    assert J.decode(None).error == "no token text"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.binary()))
def test_decode_never_raises(value: str | bytes) -> None:
    d = J.decode(value)
    assert d.ok or d.error
    J.structural_findings(d)
    J.time_verdict(d.claims, NOW)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=10),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
            max_leaves=10,
        ),
        max_size=6,
    ),
    st.sampled_from(["iss", "aud", "exp", "iat", "nbf", J.TAGS_CLAIM, J.SOURCE_IDENTITY_CLAIM, "azp"]),
)
def test_structure_never_raises_on_arbitrary_claims(payload: dict[str, Any], key: str) -> None:
    payload.setdefault(key, payload.get(next(iter(payload), "")))
    tok = b64({"alg": "RS256", "kid": "x"}) + "." + b64(payload) + "." + b64(b"sig")
    d = J.decode(tok)
    assert d.ok
    for f in J.structural_findings(d, jwks_key_count=2):
        assert f.code and f.message
    J.time_verdict(d.claims, NOW).to_dict()
    sig.verify_signature(d, {"keys": [jwk("RS256", "x")]})


# ---- structure ----------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", sorted(J.ALLOWED_ALGS))
def test_allowed_algorithms_have_no_finding(alg: str) -> None:
    assert J.structural_findings(J.decode(mint(alg))) == []


@pytest.mark.parametrize(
    ("header", "word"),
    [
        ({"alg": "none"}, "unsigned"),
        ({"alg": "HS256"}, "HMAC"),
        ({"alg": "EdDSA"}, "EdDSA"),
        ({}, "no 'alg'"),
    ],
)
def test_algorithms_sts_never_accepts(header: dict[str, Any], word: str) -> None:
    d = J.decode(b64(header) + "." + b64(claims()) + ".")
    found = J.alg_findings(d)
    assert found and word in found[0].message and "RS256" in found[0].message
    res = sig.verify_signature(d, {"keys": [jwk("RS256", "k1")]})
    assert not res.valid and word in res.reason


def test_hs256_token_is_never_accepted_even_with_a_matching_secret() -> None:
    tok = jwt.encode(claims(), "a-shared-secret-of-32-bytes-long!", algorithm="HS256")
    jwks = {"keys": [{"kty": "oct", "k": b64(b"a-shared-secret-of-32-bytes-long!"), "kid": "k1"}]}
    assert not sig.verify_signature(J.decode(tok), jwks).valid


def test_missing_kid_is_a_finding_only_with_several_keys() -> None:
    d = J.decode(mint(kid=None))
    assert [f.code for f in J.structural_findings(d, jwks_key_count=1)] == []
    assert [f.code for f in J.structural_findings(d, jwks_key_count=2)] == ["kid-missing"]


@pytest.mark.parametrize("name", ["iss", "sub", "aud", "iat", "exp"])
def test_required_claims(name: str) -> None:
    codes = [f.code for f in J.claim_findings(claims(**{name: None}))]
    assert f"claim-missing:{name}" in codes


@pytest.mark.parametrize(
    ("name", "value"), [("exp", NOW + 0.5), ("iat", float(NOW)), ("nbf", "123"), ("exp", True)]
)
def test_times_must_be_integers(name: str, value: Any) -> None:
    found = [f for f in J.claim_findings(claims(**{name: value})) if f.code == f"claim-type:{name}"]
    assert found and "integer" in found[0].message


def test_iss_must_be_https() -> None:
    assert "iss-scheme" in [f.code for f in J.claim_findings(claims(iss="http://idp"))]


def test_multi_audience_needs_azp() -> None:
    assert "aud-multi" in [f.code for f in J.claim_findings(claims(aud=["a", "b"]))]
    assert J.claim_findings(claims(aud=["a", "b"], azp="a")) == []
    assert J.effective_audience(claims(aud=["a", "b"], azp="b")) == "b"
    assert J.effective_audience(claims(aud=["only"])) == "only"
    assert J.effective_audience(claims(aud=["a", "b"])) is None
    assert "claim-type:aud" in [f.code for f in J.claim_findings(claims(aud=["a", 3]))]


def test_token_length_limit() -> None:
    d = J.decode(mint(pad="x" * 20000))
    assert "length" in [f.code for f in J.structural_findings(d)]


# ---- tags and source identity -------------------------------------------------------------------


def good_tags(n: int = 2) -> dict[str, Any]:
    tags = {f"K{i}": [f"v{i}"] for i in range(n)}
    return {"principal_tags": tags, "transitive_tag_keys": ["K0"]}


def test_well_formed_tags() -> None:
    assert J.tags_findings(good_tags()) == []
    assert J.session_tags(good_tags()) == {"K0": "v0", "K1": "v1"}
    assert J.tags_findings({"principal_tags": {"Empty": [""]}}) == []


@pytest.mark.parametrize(
    ("claim", "code"),
    [
        ({"principal_tags": {"Team": ["a", "b"]}}, "tags-value"),
        ({"principal_tags": {"Team": "a"}}, "tags-value"),
        ({"principal_tags": {"Team": [1]}}, "tags-value"),
        (good_tags(51), "tags-count"),
        ({"principal_tags": {"k" * 129: ["v"]}}, "tags-key"),
        ({"principal_tags": {"Team": ["v" * 257]}}, "tags-value"),
        ({"principal_tags": {"Team": ["a"]}, "transitive_tag_keys": ["Other"]}, "tags-transitive"),
        ({"principal_tags": {"Team": ["a"]}, "transitive_tag_keys": "Team"}, "tags-transitive"),
        ({"principal_tags": {"Team": ["a"], "team": ["b"]}}, "tags-dup"),
        ({"principal_tags": ["Team"]}, "tags-shape"),
        ("Team=a", "tags-shape"),
        ({"principal_tags": {}, "extra": 1}, "tags-unknown"),
    ],
)
def test_malformed_tags(claim: Any, code: str) -> None:
    found = J.tags_findings(claim)
    assert code in [f.code for f in found]
    assert all(f.sts_error == "AccessDenied" for f in found)


def test_tag_limits_are_inclusive() -> None:
    assert J.tags_findings(good_tags(50)) == []
    assert J.tags_findings({"principal_tags": {"k" * 128: ["v" * 256]}}) == []


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("alice@example.com", True),
        ("a", False),
        ("x" * 64, True),
        ("x" * 65, False),
        ("has space", False),
        (42, False),
        ("a+b=c,d.e", True),
    ],
)
def test_source_identity_pattern(value: Any, ok: bool) -> None:
    assert (J.source_identity_findings(value) == []) is ok


def test_tags_and_source_identity_in_claims() -> None:
    c = claims(**{J.TAGS_CLAIM: {"principal_tags": {"T": ["a", "b"]}}, J.SOURCE_IDENTITY_CLAIM: "x"})
    codes = [f.code for f in J.claim_findings(c)]
    assert "tags-value" in codes and "source-identity" in codes


# ---- time ---------------------------------------------------------------------------------------


def test_time_valid_token() -> None:
    tv = J.time_verdict(claims(), NOW + 60)
    assert tv.problems == [] and tv.remaining == 3540 and not tv.expired
    assert tv.to_dict()["exp"] == "2027-01-15T09:00:00Z"


def test_expired_within_skew_is_still_accepted() -> None:
    assert J.time_verdict(claims(exp=NOW), NOW + 299).problems == []


def test_expired_beyond_skew() -> None:
    tv = J.time_verdict(claims(exp=NOW), NOW + 301)
    assert tv.expired and tv.problems[0].sts_error == "ExpiredTokenException"


def test_issued_in_the_future_and_not_before() -> None:
    codes = [
        p.code for p in J.time_verdict(claims(iat=NOW + 400, nbf=NOW + 400, exp=NOW + 4000), NOW).problems
    ]
    assert codes == ["iat-future", "nbf-future"]
    assert J.time_verdict(claims(iat=NOW + 200, nbf=NOW + 200), NOW).problems == []


def test_fractional_times_fail() -> None:
    tv = J.time_verdict(claims(exp=NOW + 100.5), NOW)
    assert [p.code for p in tv.problems] == ["claim-type:exp"] and tv.remaining == 100


def test_exp_before_iat() -> None:
    assert "exp-before-iat" in [p.code for p in J.time_verdict(claims(iat=NOW, exp=NOW - 10), NOW).problems]


# ---- signatures with real keys ------------------------------------------------------------------


@pytest.mark.parametrize("alg", sorted(J.ALLOWED_ALGS))
def test_signature_verifies_for_every_allowed_algorithm(alg: str) -> None:
    jwks = {"keys": [jwk("RS256", "other"), jwk(alg, "k1")]}
    res = sig.verify_signature(J.decode(mint(alg)), jwks)
    assert res.valid, res.reason
    assert res.key_kty == ("RSA" if alg.startswith("RS") else "EC")


def test_signature_by_another_key_fails() -> None:
    jwks = {"keys": [jwk("ES256", "k1", slot=0)]}
    res = sig.verify_signature(J.decode(mint("ES256", slot=1)), jwks)
    assert not res.valid and res.findings[0].code == "bad-signature"


def test_tampered_payload_fails() -> None:
    h, _, s = mint().split(".")
    forged = f"{h}.{b64(claims(sub='admin'))}.{s}"
    assert not sig.verify_signature(J.decode(forged), {"keys": [jwk("RS256", "k1")]}).valid


def test_unknown_kid_and_missing_kid() -> None:
    jwks = {"keys": [jwk("RS256", "a"), jwk("RS256", "b", slot=1)]}
    res = sig.verify_signature(J.decode(mint(kid="zzz")), jwks)
    assert not res.valid and res.findings[0].code == "kid-unknown" and "'zzz'" in res.reason
    res = sig.verify_signature(J.decode(mint(kid=None)), jwks)
    assert not res.valid and res.findings[0].code == "kid-missing"
    assert sig.verify_signature(J.decode(mint(kid=None)), {"keys": [jwk("RS256", "a")]}).valid


def test_algorithm_and_key_type_mismatch() -> None:
    ec_key = jwk("ES256", "k1")
    ec_key.pop("alg")
    res = sig.verify_signature(J.decode(mint("RS256")), {"keys": [ec_key]})
    assert not res.valid and res.findings[0].code == "alg-key-mismatch"
    res = sig.verify_signature(J.decode(mint("RS384")), {"keys": [jwk("RS256", "k1")]})
    assert not res.valid and "RS256" in res.reason


def test_broken_jwk_and_empty_jwks() -> None:
    assert "no signing keys" in sig.verify_signature(J.decode(mint()), {"keys": []}).reason
    assert "no signing keys" in sig.verify_signature(J.decode(mint()), "nonsense").reason
    res = sig.verify_signature(
        J.decode(mint()), {"keys": [{"kty": "RSA", "kid": "k1", "n": "!!", "e": "AQAB"}]}
    )
    assert not res.valid and res.findings[0].code in ("jwk-invalid", "bad-signature")


def test_encryption_keys_are_not_used_for_signatures() -> None:
    k = jwk("RS256", "k1")
    k["use"] = "enc"
    assert not sig.verify_signature(J.decode(mint()), {"keys": [k]}).valid


def test_real_clock_smoke() -> None:
    d = J.decode(mint(iat=int(time.time()), exp=int(time.time()) + 60))
    assert J.time_verdict(d.claims, time.time()).problems == []
