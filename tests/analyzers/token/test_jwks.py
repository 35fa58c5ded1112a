"""Discovery + JWKS over real HTTP(S) on loopback (the fixture IdP): caching, rotation, faults, limits."""

from __future__ import annotations

import json
import ssl
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.token import jwt as J
from ccwb_doctor.analyzers.token import signature as sig
from ccwb_doctor.analyzers.token.jwks import JwksClient, JwksError, discovery_url
from ccwb_doctor.fixtures.idp import FixtureIdP


@pytest.fixture
def idp() -> Iterator[FixtureIdP]:
    with FixtureIdP(tls=True) as server:
        yield server


def trust(idp: FixtureIdP) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    idp.ca.configure_trust(ctx)
    return ctx


def client(idp: FixtureIdP, cache: Path | None = None, **kw: object) -> JwksClient:
    return JwksClient(cache, verify=trust(idp), **kw)  # type: ignore[arg-type]


def counts(idp: FixtureIdP) -> tuple[int, int]:
    return idp.count("discovery"), idp.count("jwks")


def test_discovery_url_keeps_the_issuer_path() -> None:
    assert discovery_url("https://x.auth0.com/") == "https://x.auth0.com/.well-known/openid-configuration"
    assert discovery_url("https://o.okta.com/oauth2/default") == (
        "https://o.okta.com/oauth2/default/.well-known/openid-configuration"
    )


def test_fetch_once_per_issuer_per_run(idp: FixtureIdP, tmp_path: Path) -> None:
    c = client(idp, tmp_path)
    tok = J.decode(idp.mint())
    for _ in range(3):
        ks, refetched = c.key_for(idp.issuer, tok.kid)
        assert not refetched and sig.verify_signature(tok, ks.jwks).valid
    assert c.jwks(idp.issuer).source == "memory"
    assert counts(idp) == (1, 1)


def test_rotation_refetches_exactly_once(idp: FixtureIdP, tmp_path: Path) -> None:
    c = client(idp, tmp_path)
    c.key_for(idp.issuer, J.decode(idp.mint()).kid)
    new_kid = idp.rotate("ES256")
    tok = J.decode(idp.mint(alg="ES256"))
    assert tok.kid == new_kid
    ks, refetched = c.key_for(idp.issuer, tok.kid)
    assert refetched and ks.has_kid(new_kid) and sig.verify_signature(tok, ks.jwks).valid
    ks, refetched = c.key_for(idp.issuer, tok.kid)
    assert not refetched
    assert counts(idp) == (2, 2)


def test_unknown_kid_refetches_once_then_gives_up(idp: FixtureIdP, tmp_path: Path) -> None:
    c = client(idp, tmp_path)
    for _ in range(3):
        ks, _ = c.key_for(idp.issuer, "never-published")
        assert not ks.has_kid("never-published")
    assert counts(idp) == (2, 2)


def test_disk_cache_is_private_and_reused_within_ttl(idp: FixtureIdP, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "jwks"
    client(idp, cache).jwks(idp.issuer)
    files = list(cache.iterdir())
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert json.loads(files[0].read_text())["issuer"] == idp.issuer
    ks = client(idp, cache).jwks(idp.issuer)
    assert ks.source == "disk" and counts(idp) == (1, 1)
    later = client(idp, cache, ttl=60, clock=lambda: ks.fetched_at + 61)
    assert later.jwks(idp.issuer).source == "network" and counts(idp) == (2, 2)


def test_corrupt_disk_cache_is_ignored(idp: FixtureIdP, tmp_path: Path) -> None:
    client(idp, tmp_path).jwks(idp.issuer)
    next(tmp_path.iterdir()).write_text("{not json")
    assert client(idp, tmp_path).jwks(idp.issuer).source == "network"


def test_unwritable_cache_dir_is_not_an_error(idp: FixtureIdP, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert client(idp, blocker / "jwks").jwks(idp.issuer).source == "network"


def test_discovery_issuer_must_match_exactly(idp: FixtureIdP) -> None:
    idp.discovery_overrides["issuer"] = idp.issuer + "/"
    with pytest.raises(JwksError) as exc:
        client(idp).jwks(idp.issuer)
    assert exc.value.code == "discovery-issuer" and "exactly" in exc.value.message and not exc.value.network


@pytest.mark.parametrize(
    ("override", "code"),
    [({"jwks_uri": None}, "discovery-invalid"), ({"jwks_uri": "ftp://x/keys"}, "jwks-url")],
)
def test_bad_discovery_documents(idp: FixtureIdP, override: dict[str, object], code: str) -> None:
    idp.discovery_overrides.update(override)
    with pytest.raises(JwksError) as exc:
        client(idp).jwks(idp.issuer)
    assert exc.value.code == code


def test_jwks_uri_that_is_not_a_jwks(idp: FixtureIdP) -> None:
    idp.discovery_overrides["jwks_uri"] = idp.discovery_url
    with pytest.raises(JwksError) as exc:
        client(idp).jwks(idp.issuer)
    assert exc.value.code == "jwks-invalid"


def test_http_500(idp: FixtureIdP) -> None:
    idp.fault = "500"
    with pytest.raises(JwksError) as exc:
        client(idp).jwks(idp.issuer)
    assert exc.value.code == "discovery-http" and "HTTP 500" in exc.value.message


def test_slow_server_is_bounded(idp: FixtureIdP) -> None:
    idp.fault, idp.slow_seconds = "slow", 2.0
    with pytest.raises(JwksError) as exc:
        client(idp, timeout=0.3).jwks(idp.issuer)
    assert exc.value.code == "discovery-timeout" and exc.value.network


def test_connection_dropped(idp: FixtureIdP) -> None:
    idp.fault = "down"
    with pytest.raises(JwksError) as exc:
        client(idp, timeout=2).jwks(idp.issuer)
    assert exc.value.network


def test_untrusted_certificate_is_a_network_error(idp: FixtureIdP) -> None:
    with pytest.raises(JwksError) as exc:
        JwksClient(None, timeout=2).jwks(idp.issuer)
    assert exc.value.code == "discovery-unreachable" and exc.value.network


def test_nothing_listening(tmp_path: Path) -> None:
    with FixtureIdP() as gone:
        issuer = gone.issuer
    with pytest.raises(JwksError) as exc:
        JwksClient(tmp_path, timeout=1).jwks(issuer)
    assert exc.value.network


def test_issuer_with_path_over_plain_http() -> None:
    with FixtureIdP(path="/oauth2/default") as server:
        c = JwksClient(None)
        ks = c.jwks(server.issuer)
        assert ks.jwks_uri.startswith(server.issuer) and ks.to_dict()["key_count"] >= 1
        assert c.requests == [server.discovery_url, server.jwks_uri]


def test_ipv6_loopback_issuer() -> None:
    import socket

    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this host")
    try:
        server = FixtureIdP(host="::1").start()
    except OSError as exc:
        pytest.skip(f"cannot bind [::1]: {exc}")
    try:
        ks = JwksClient(None).jwks(server.issuer)
        assert server.issuer.startswith("http://[::1]:") and ks.jwks_uri.startswith(server.issuer)
    finally:
        server.stop()


jwk_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda c: (
        st.lists(c, max_size=3)
        | st.dictionaries(
            st.sampled_from(["kty", "kid", "alg", "use", "n", "e", "crv", "x", "y"]), c, max_size=6
        )
    ),
    max_leaves=15,
)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(jwk_values, st.builds(lambda ks: {"keys": ks}, st.lists(jwk_values, max_size=4))),
    st.sampled_from([None, "k1", "x"]),
)
def test_verification_never_raises_on_arbitrary_jwks(jwks: object, kid: str | None) -> None:
    import jwt

    from ccwb_doctor.fixtures.idp_keys import KeyRing

    ring = _RING.setdefault("ring", KeyRing())
    key = ring.active("ES256")
    tok = jwt.encode(
        {"iss": "https://i", "sub": "s", "aud": "a", "iat": 1, "exp": 2},
        key.private_key,
        algorithm="ES256",
        headers={"kid": kid} if kid else None,
    )
    res = sig.verify_signature(J.decode(tok), jwks)
    assert not res.valid or (isinstance(jwks, dict) and res.kid in (None, kid))


_RING: dict[str, object] = {}
