"""Token signatures as STS checks them: the JWKS keys it reads (at most 100 per key type), the key a
token's header selects, and verification with the allowed algorithms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from ccwb_doctor.analyzers.token.jwt import DecodedToken, Finding, alg_findings
from ccwb_doctor.records import record


@record
class SignatureResult:
    valid: bool
    reason: str
    kid: str | None = None
    key_kty: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "reason": self.reason,
            "kid": self.kid,
            "key_type": self.key_kty,
            "findings": [f.to_dict() for f in self.findings],
        }


def jwks_keys(jwks: object) -> list[dict[str, Any]]:
    if isinstance(jwks, Mapping) and isinstance(jwks.get("keys"), list):
        return [k for k in jwks["keys"] if isinstance(k, dict)]
    return []


def signing_keys(jwks: object) -> list[dict[str, Any]]:
    """Keys usable for signature verification (use absent or 'sig')."""
    return [k for k in jwks_keys(jwks) if k.get("use", "sig") == "sig"]


MAX_KEYS_PER_TYPE = 100  # STS reads at most 100 RSA and 100 EC keys from a JWKS


def jwks_findings(jwks: object) -> list[Finding]:
    """Problems with the key set itself, as STS sees it."""
    keys = signing_keys(jwks)
    if not keys:
        return [Finding("jwks-empty", "the JWKS holds no signing keys")]
    out: list[Finding] = []
    for kty in ("RSA", "EC"):
        n = sum(1 for k in keys if k.get("kty") == kty)
        if n > MAX_KEYS_PER_TYPE:
            out.append(
                Finding(
                    "jwks-too-many", f"the JWKS holds {n} {kty} keys; STS accepts at most {MAX_KEYS_PER_TYPE}"
                )
            )
    return out


def select_key(tok: DecodedToken, jwks: object) -> tuple[dict[str, Any] | None, str]:
    keys = signing_keys(jwks)
    if not keys:
        return None, "the JWKS holds no signing keys"
    if tok.kid is None:
        if len(keys) == 1:
            return keys[0], "no kid; the JWKS has exactly one signing key"
        return None, f"the header has no 'kid' and the JWKS holds {len(keys)} signing keys"
    for k in keys:
        if k.get("kid") == tok.kid:
            return k, f"kid {tok.kid!r} found"
    return (
        None,
        f"kid {tok.kid!r} is not in the JWKS ({len(keys)} keys: {', '.join(str(k.get('kid')) for k in keys[:10])})",
    )


def verify_signature(tok: DecodedToken, jwks: object) -> SignatureResult:
    """Verify the JWS signature with the JWKS key the header names; checks nothing about claims."""
    if not tok.ok:
        return SignatureResult(False, tok.error or "malformed token")
    bad_alg = alg_findings(tok)
    if bad_alg:
        return SignatureResult(False, bad_alg[0].message, tok.kid, None, bad_alg)
    key, why = select_key(tok, jwks)
    if key is None:
        code = "kid-missing" if tok.kid is None else "kid-unknown"
        return SignatureResult(False, why, tok.kid, None, [Finding(code, why)])
    kty = str(key.get("kty"))
    alg = tok.alg or ""
    if key.get("alg") and key.get("alg") != alg:
        msg = f"the key {tok.kid!r} is for {key.get('alg')}, the token says {alg}"
        return SignatureResult(False, msg, tok.kid, kty, [Finding("alg-key-mismatch", msg)])
    if (alg[:2] == "RS") != (kty == "RSA") or (alg[:2] == "ES") != (kty == "EC"):
        msg = f"algorithm {alg} cannot be verified with a {kty} key"
        return SignatureResult(False, msg, tok.kid, kty, [Finding("alg-key-mismatch", msg)])
    import jwt  # pyjwt; heavy, imported on use

    try:
        pub = jwt.PyJWK(key, algorithm=alg).key
    except Exception as exc:  # noqa: BLE001 - any bad JWK is reported, not raised
        msg = f"the JWKS key {tok.kid!r} cannot be loaded: {str(exc)[:120]}"
        return SignatureResult(False, msg, tok.kid, kty, [Finding("jwk-invalid", msg)])
    try:
        jwt.api_jws.PyJWS().decode_complete(tok.raw, pub, algorithms=[alg])
    except jwt.InvalidSignatureError:
        msg = f"the signature does not verify with key {tok.kid or '(only key)'!r}"
        return SignatureResult(False, msg, tok.kid, kty, [Finding("bad-signature", msg)])
    except Exception as exc:  # noqa: BLE001
        msg = f"the signature cannot be checked: {str(exc)[:120]}"
        return SignatureResult(False, msg, tok.kid, kty, [Finding("bad-signature", msg)])
    return SignatureResult(
        True, f"{alg} signature verifies with {kty} key {tok.kid or '(only key)'!r}", tok.kid, kty
    )
