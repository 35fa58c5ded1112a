"""OIDC client pieces: issuer/endpoints from the profile, token-endpoint grants, ID token verification."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import http
from .config import issuer_of  # lives in config: standard library only, used on the hot path
from .errors import HelperError, add_secret

ALLOWED_ALGS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
_KTY = {"R": "RSA", "P": "RSA", "E": "EC"}
DEFAULT_SCOPES = "openid profile email offline_access"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def scopes_of(cfg: dict[str, Any]) -> str:
    if cfg.get("oidc_scopes"):
        return str(cfg["oidc_scopes"])
    return "openid email" if cfg.get("provider_type") == "cognito" else DEFAULT_SCOPES


@dataclass
class Endpoints:
    issuer: str
    authorization: str | None
    token: str
    jwks: str
    device: str | None
    iss_param: bool = False  # RFC 9207 authorization_response_iss_parameter_supported


def discover(cfg: dict[str, Any]) -> Endpoints:
    """Endpoints from explicit profile keys, else the issuer's discovery document."""
    issuer = issuer_of(cfg)
    http.check_url(issuer, "issuer")
    explicit = {
        "authorization_endpoint": cfg.get("oidc_authorization_endpoint"),
        "token_endpoint": cfg.get("oidc_token_endpoint"),
        "jwks_uri": cfg.get("oidc_jwks_uri"),
        "device_authorization_endpoint": cfg.get("oidc_device_authorization_endpoint"),
    }
    doc: dict[str, Any] = {}
    if not (explicit["token_endpoint"] and explicit["jwks_uri"]):
        doc = http.get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if doc.get("issuer") != issuer:
            raise HelperError(f"discovery document issuer {doc.get('issuer')!r} does not match {issuer!r}")
    merged = {k: v or doc.get(k) for k, v in explicit.items()}
    if not merged["token_endpoint"] or not merged["jwks_uri"]:
        raise HelperError(f"IdP {issuer} advertises no token_endpoint/jwks_uri")
    for key in ("token_endpoint", "jwks_uri"):
        http.check_url(merged[key], key)
    return Endpoints(
        issuer,
        merged["authorization_endpoint"],
        merged["token_endpoint"],
        merged["jwks_uri"],
        merged["device_authorization_endpoint"],
        doc.get("authorization_response_iss_parameter_supported") is True,
    )


def _client_auth(cfg: dict[str, Any]) -> dict[str, str]:
    form = {"client_id": str(cfg.get("client_id") or "")}
    if cfg.get("client_secret"):
        add_secret(str(cfg["client_secret"]))
        form["client_secret"] = str(cfg["client_secret"])
    return form


class GrantError(HelperError):
    """The token endpoint refused a grant (error is the OAuth error code)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(
            f"IdP token endpoint refused the request: {error}" + (f" ({description})" if description else "")
        )
        self.error = error


def token_request(
    cfg: dict[str, Any], ep: Endpoints, form: dict[str, str], require_id_token: bool = True
) -> dict[str, Any]:
    """POST a grant to the token endpoint; returns the token response (secrets registered for scrubbing).

    A refresh response may omit the id_token (OIDC Core §12.2): pass ``require_id_token=False``."""
    try:
        body = http.request(ep.token, {**form, **_client_auth(cfg)})
    except http.HTTPFailure as exc:
        err = exc.json()
        raise GrantError(
            str(err.get("error") or f"HTTP {exc.status}"), str(err.get("error_description") or "")[:200]
        ) from None
    try:
        data = json.loads(body)
    except ValueError:
        raise HelperError("IdP token endpoint did not return JSON") from None
    if not isinstance(data, dict):
        raise HelperError("IdP token endpoint did not return a JSON object")
    for key in ("id_token", "access_token", "refresh_token"):
        add_secret(data.get(key) if isinstance(data.get(key), str) else None)
    if require_id_token and not isinstance(data.get("id_token"), str):
        raise HelperError("IdP token response has no id_token (is the openid scope allowed for this client?)")
    return data


def verify_id_token(
    token: str, cfg: dict[str, Any], ep: Endpoints, nonce: str | None = None
) -> dict[str, Any]:
    """Verify signature (IdP JWKS, refetched once for an unknown kid), iss, aud, exp/iat and nonce."""
    import jwt  # noqa: PLC0415 - refresh path only

    add_secret(token)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise HelperError("IdP returned an ID token that is not a JWT") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALLOWED_ALGS:
        raise HelperError(f"ID token uses disallowed signing algorithm {alg!r}")
    jwk = None
    for _ in range(2):
        keys = http.get_json(ep.jwks).get("keys") or []
        jwk = next((k for k in keys if isinstance(k, dict) and (kid is None or k.get("kid") == kid)), None)
        if jwk is not None:
            break
    if jwk is None or jwk.get("kty") != _KTY[alg[0]]:
        raise HelperError(
            f"ID token key id {kid!r} is not in the IdP JWKS ({ep.jwks}); signature cannot be verified"
        )
    try:
        key = jwt.PyJWK(jwk, algorithm=alg)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[alg],
            audience=str(cfg.get("client_id") or ""),
            issuer=ep.issuer,
            leeway=60,
            options={"require": ["iss", "aud", "exp", "iat"]},
        )
    except jwt.InvalidSignatureError:
        raise HelperError(
            "ID token signature does not verify against the IdP JWKS: refusing to use it"
        ) from None
    except jwt.ExpiredSignatureError:
        raise HelperError(
            "IdP returned an expired ID token: check the clock on this machine and the IdP"
        ) from None
    except jwt.InvalidAudienceError:
        raise HelperError(
            f"ID token aud does not contain client_id {cfg.get('client_id')!r}: check client_id in config.json"
        ) from None
    except jwt.InvalidIssuerError:
        raise HelperError(
            f"ID token iss is not {ep.issuer!r}: check the issuer URL (trailing slash matters)"
        ) from None
    except jwt.PyJWTError as exc:
        raise HelperError(f"ID token rejected: {exc.__class__.__name__}: {exc}") from None
    aud = claims.get("aud")
    azp = claims.get("azp")
    client_id = str(cfg.get("client_id") or "")
    if (isinstance(aud, list) and len(aud) > 1 and azp is None) or (azp is not None and azp != client_id):
        # OIDC Core §3.1.3.7 (4, 5): with several audiences the token must name us as its authorized party
        raise HelperError(
            f"ID token has audiences {aud!r} and azp {azp!r}: it was not issued to client_id {client_id!r}; "
            "refusing to use it (check client_id in config.json and the IdP app's audience settings)"
        )
    if nonce is not None and claims.get("nonce") != nonce:
        raise HelperError("ID token nonce does not match the login request: possible replay, try again")
    return claims
