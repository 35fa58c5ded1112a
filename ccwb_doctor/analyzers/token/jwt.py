"""ID-token (JWT) analysis the way STS looks at it: decode without trusting, structure, time, signature.

Pure: no I/O. ``decode`` never raises (a malformed token comes back with ``error`` set); the raw text is
kept only for signature verification and never appears in ``repr`` or ``to_dict``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import field
from datetime import UTC, datetime
from typing import Any

from ccwb_doctor.records import record

ALLOWED_ALGS: frozenset[str] = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"})
STS_SKEW = 300  # seconds STS tolerates beyond exp (and before iat/nbf)
REQUIRED_CLAIMS = ("iss", "sub", "aud", "iat", "exp")
MIN_LEN, MAX_LEN = 4, 20000  # WebIdentityToken length limits (STS API model)
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE = 50, 128, 256
_SOURCE_IDENTITY = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_TIME_CLAIMS = ("exp", "iat", "nbf")


@record(frozen=True)
class Finding:
    """One structural problem: a stable code, what STS says about it, and a one-line message."""

    code: str
    message: str
    sts_error: str = "InvalidIdentityToken"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "sts_error": self.sts_error}


@record
class DecodedToken:
    """A JWT split and decoded without any trust. ``error`` is set when it is not a usable JWS."""

    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    signature_len: int = 0
    length: int = 0
    error: str | None = None
    raw: str = field(default="", repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def alg(self) -> str | None:
        v = self.header.get("alg")
        return v if isinstance(v, str) else None

    @property
    def kid(self) -> str | None:
        v = self.header.get("kid")
        return v if isinstance(v, str) else None

    @property
    def iss(self) -> str | None:
        v = self.claims.get("iss")
        return v if isinstance(v, str) else None

    def to_dict(self) -> dict[str, Any]:
        """Header and claims for evidence; the signature is masked and the raw token never included."""
        return {
            "header": self.header,
            "claims": self.claims,
            "signature": f"<masked: {self.signature_len} bytes>" if self.signature_len else "<none>",
            "length": self.length,
            "error": self.error,
        }


def _b64url(seg: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", seg):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))


def _json_object(seg: str, what: str) -> dict[str, Any]:
    try:
        raw = _b64url(seg)
    except (ValueError, binascii.Error):
        raise ValueError(f"the {what} is not base64url") from None
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError(f"the {what} is not JSON") from None
    if not isinstance(obj, dict):
        raise ValueError(f"the {what} is not a JSON object")
    return obj


def decode(token: str | bytes | None) -> DecodedToken:
    """Split and decode a compact JWS without verifying anything; never raises."""
    if isinstance(token, bytes | bytearray):
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            return DecodedToken(error="the token is not ASCII text")
    if not isinstance(token, str):
        return DecodedToken(error="no token text")
    text = token.strip()
    out = DecodedToken(length=len(text), raw=text)
    if not text:
        out.error = "the token is empty"
        return out
    parts = text.split(".")
    if len(parts) == 5:
        out.error = "the token is an encrypted JWE (5 parts); STS needs a signed ID token (JWS, 3 parts)"
        return out
    if len(parts) != 3:
        out.error = f"not a JWT: expected 3 dot-separated parts, found {len(parts)}"
        return out
    try:
        out.header = _json_object(parts[0], "header")
        out.claims = _json_object(parts[1], "payload")
        out.signature_len = len(_b64url(parts[2]))
    except (ValueError, binascii.Error) as exc:
        out.error = (
            str(exc) if "header" in str(exc) or "payload" in str(exc) else "the signature is not base64url"
        )
    return out


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def audiences(claims: Mapping[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [a for a in aud if isinstance(a, str)]
    return []


def effective_audience(claims: Mapping[str, Any]) -> str | None:
    """The audience STS matches against the client-id list: the only aud, else azp for multi-aud tokens."""
    auds = audiences(claims)
    azp = claims.get("azp")
    if len(auds) == 1:
        return auds[0]
    if len(auds) > 1 and isinstance(azp, str):
        return azp
    return None


def structural_findings(tok: DecodedToken, jwks_key_count: int | None = None) -> list[Finding]:
    """What STS would reject in the token's shape, before looking at keys, time or the trust policy."""
    if not tok.ok:
        return [Finding("malformed", tok.error or "malformed token")]
    out: list[Finding] = []
    if not MIN_LEN <= tok.length <= MAX_LEN:
        out.append(Finding("length", f"token is {tok.length} characters; STS accepts {MIN_LEN}..{MAX_LEN}"))
    out += alg_findings(tok)
    if tok.kid is None and jwks_key_count is not None and jwks_key_count > 1:
        out.append(
            Finding("kid-missing", f"the header has no 'kid' and the JWKS holds {jwks_key_count} keys")
        )
    out += claim_findings(tok.claims)
    return out


def alg_findings(tok: DecodedToken) -> list[Finding]:
    alg = tok.header.get("alg")
    if alg in ALLOWED_ALGS:
        return []
    allowed = ", ".join(sorted(ALLOWED_ALGS))
    if not isinstance(alg, str):
        return [Finding("alg-missing", f"the header has no 'alg'; STS accepts only {allowed}")]
    if alg.lower() == "none":
        why = "an unsigned token (alg 'none')"
    elif alg.upper().startswith("HS"):
        why = f"a shared-secret HMAC signature ({alg})"
    else:
        why = f"algorithm {alg}"
    return [Finding("alg", f"{why} is never accepted by STS; it accepts only {allowed}")]


def claim_findings(claims: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    for name in REQUIRED_CLAIMS:
        if name not in claims:
            out.append(Finding(f"claim-missing:{name}", f"Missing a required claim: {name}"))
    for name in _TIME_CLAIMS:
        if name in claims and not _is_int(claims[name]):
            v = claims[name]
            kind = "fractional" if isinstance(v, float) else type(v).__name__
            out.append(
                Finding(f"claim-type:{name}", f"'{name}' must be an integer NumericDate, found {kind} {v!r}")
            )
    iss = claims.get("iss")
    if "iss" in claims and (not isinstance(iss, str) or not iss.startswith("https://")):
        out.append(Finding("iss-scheme", f"'iss' must be an https:// URL, found {iss!r}"))
    if "sub" in claims and not (isinstance(claims["sub"], str) and claims["sub"]):
        out.append(Finding("claim-type:sub", "'sub' must be a non-empty string"))
    aud = claims.get("aud")
    if "aud" in claims:
        auds = audiences(claims)
        if not auds or (isinstance(aud, list) and len(auds) != len(aud)):
            out.append(Finding("claim-type:aud", "'aud' must be a string or an array of strings"))
        elif len(auds) > 1 and not isinstance(claims.get("azp"), str):
            out.append(Finding("aud-multi", f"'aud' has {len(auds)} audiences and no 'azp' names the client"))
    out += tags_findings(claims.get(TAGS_CLAIM)) if TAGS_CLAIM in claims else []
    if SOURCE_IDENTITY_CLAIM in claims:
        out += source_identity_findings(claims[SOURCE_IDENTITY_CLAIM])
    return out


def session_tags(claim: object) -> dict[str, str]:
    """principal_tags of a well-formed tags claim as {key: value} (malformed entries dropped)."""
    if not isinstance(claim, Mapping):
        return {}
    tags = claim.get("principal_tags")
    if not isinstance(tags, Mapping):
        return {}
    out: dict[str, str] = {}
    for k, v in tags.items():
        if isinstance(v, list) and len(v) == 1 and isinstance(v[0], str):
            out[str(k)] = v[0]
    return out


def tags_findings(claim: object) -> list[Finding]:
    """Well-formedness of the https://aws.amazon.com/tags claim (single values, limits, transitive keys)."""
    deny = "AccessDenied"
    if not isinstance(claim, Mapping):
        return [Finding("tags-shape", "the tags claim must be an object with 'principal_tags'", deny)]
    out: list[Finding] = []
    unknown = sorted(set(claim) - {"principal_tags", "transitive_tag_keys"})
    if unknown:
        out.append(Finding("tags-unknown", f"unknown members in the tags claim: {', '.join(unknown)}", deny))
    tags = claim.get("principal_tags")
    if not isinstance(tags, Mapping):
        return [*out, Finding("tags-shape", "'principal_tags' must be an object of tag arrays", deny)]
    if len(tags) > MAX_TAGS:
        out.append(Finding("tags-count", f"{len(tags)} session tags; STS allows at most {MAX_TAGS}", deny))
    lower: dict[str, str] = {}
    for k, v in tags.items():
        if not 1 <= len(k) <= MAX_TAG_KEY:
            out.append(
                Finding("tags-key", f"tag key {k[:40]!r} is {len(k)} characters (1..{MAX_TAG_KEY})", deny)
            )
        if k.lower() in lower:
            out.append(
                Finding("tags-dup", f"tag keys {lower[k.lower()]!r} and {k!r} differ only in case", deny)
            )
        lower[k.lower()] = k
        if not (isinstance(v, list) and len(v) == 1 and isinstance(v[0], str)):
            out.append(
                Finding(
                    "tags-value",
                    f"tag {k!r}: the value must be a single-element string array, found {v!r}"[:200],
                    deny,
                )
            )
        elif len(v[0]) > MAX_TAG_VALUE:
            out.append(
                Finding(
                    "tags-value", f"tag {k!r}: value is {len(v[0])} characters (<= {MAX_TAG_VALUE})", deny
                )
            )
    trans = claim.get("transitive_tag_keys")
    if trans is not None:
        if not (isinstance(trans, list) and all(isinstance(t, str) for t in trans)):
            out.append(Finding("tags-transitive", "'transitive_tag_keys' must be an array of strings", deny))
        else:
            extra = [t for t in trans if t.lower() not in lower]
            if extra:
                out.append(
                    Finding(
                        "tags-transitive", f"transitive keys not among the tags: {', '.join(extra)}", deny
                    )
                )
    return out


def source_identity_findings(value: object) -> list[Finding]:
    if isinstance(value, str) and _SOURCE_IDENTITY.fullmatch(value):
        return []
    return [
        Finding(
            "source-identity",
            f"source_identity must be 2..64 characters of [A-Za-z0-9_+=,.@-], found {str(value)[:70]!r}",
            "AccessDenied",
        )
    ]


@record
class TimeVerdict:
    """exp/iat/nbf against a clock with STS's skew. ``problems`` are what STS would reject."""

    now: int
    exp: int | None
    iat: int | None
    nbf: int | None
    remaining: int | None  # seconds until exp (negative once past); None without a plausible exp
    problems: list[Finding] = field(default_factory=list)
    implausible: list[str] = field(default_factory=list)  # "exp is in year 31688…, not a plausible time"

    @property
    def expired(self) -> bool:
        return any(p.sts_error == "ExpiredTokenException" for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        def iso(v: int | None) -> str | None:
            return _iso(v) if v is not None else None

        return {
            "now": iso(self.now),
            "exp": iso(self.exp),
            "iat": iso(self.iat),
            "nbf": iso(self.nbf),
            "remaining_seconds": self.remaining,
            "problems": [p.to_dict() for p in self.problems],
            "implausible": list(self.implausible),
        }


MAX_PLAUSIBLE_TS = 253402300799  # 9999-12-31T23:59:59Z: the last second a calendar date can name


def plausible_time(ts: int) -> bool:
    return 0 <= ts <= MAX_PLAUSIBLE_TS


def _when(ts: int) -> str:
    """``year 31688… (a 23-digit year)`` or ``a time before 1970``, for a timestamp outside 1970..9999."""
    if ts < 0:
        return "a time before 1970"
    year = str(1970 + ts // 31556952)
    return "year " + (year if len(year) <= 7 else f"{year[:5]}… (a {len(year)}-digit year)")


def implausible_text(name: str, ts: int) -> str:
    """``exp is in year 31688…, not a plausible time``: never a 28-digit count of minutes."""
    return f"{name} is {'in ' if ts >= 0 else ''}{_when(ts)}, not a plausible time"


def _iso(ts: int) -> str:
    if not plausible_time(ts):
        return _when(ts)
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(ts)


def _num(v: object) -> int | None:
    if _is_int(v):
        return int(v)  # type: ignore[arg-type]
    if isinstance(v, float) and v == v and abs(v) < 1e15:
        return int(v)
    return None


def time_verdict(claims: Mapping[str, Any], now: float, skew: int = STS_SKEW) -> TimeVerdict:
    n = int(now)
    exp, iat, nbf = (_num(claims.get(k)) for k in _TIME_CLAIMS)
    tv = TimeVerdict(n, exp, iat, nbf, exp - n if exp is not None and plausible_time(exp) else None)
    for k, v in zip(_TIME_CLAIMS, (exp, iat, nbf), strict=True):
        if v is not None and not plausible_time(v):
            tv.implausible.append(implausible_text(k, v))
    if exp is not None and not plausible_time(exp) and exp > 0:
        exp = None  # a bogus far-future exp: named above, no expiry arithmetic with it
    for k in _TIME_CLAIMS:
        v = claims.get(k)
        if k in claims and not _is_int(v):
            tv.problems.append(
                Finding(f"claim-type:{k}", f"'{k}' must be an integer NumericDate, found {v!r}"[:120])
            )
        elif k in ("exp", "iat") and k not in claims:
            tv.problems.append(Finding(f"claim-missing:{k}", f"Missing a required claim: {k}"))
    if exp is not None and exp + skew < n:
        tv.problems.append(
            Finding(
                "expired",
                f"expired at {_iso(exp)}"
                + (f", {n - exp} s ago" if plausible_time(exp) else "")
                + f" (STS allows {skew} s of skew)",
                "ExpiredTokenException",
            )
        )
    if iat is not None and iat - skew > n:
        tv.problems.append(
            Finding(
                "iat-future",
                f"issued in the future ({_iso(iat)}"
                + (f", {iat - n} s ahead" if plausible_time(iat) else "")
                + "): check the clock",
            )
        )
    if nbf is not None and nbf - skew > n:
        ahead = f" ({nbf - n} s ahead)" if plausible_time(nbf) else ""
        tv.problems.append(Finding("nbf-future", f"not valid before {_iso(nbf)}{ahead}"))
    if exp is not None and iat is not None and exp < iat:
        tv.problems.append(Finding("exp-before-iat", f"exp {_iso(exp)} is before iat {_iso(iat)}"))
    return tv
