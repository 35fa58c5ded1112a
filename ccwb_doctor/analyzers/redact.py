"""Redaction applied at the renderer boundary: secrets are masked wherever they sit.

Three layers, each enough on its own for what it covers:
1. known secrets: exact strings registered while gathering facts (tokens read, credentials returned);
2. sensitive names: the value under a key such as ``SecretAccessKey``, ``refresh_token``, ``client_secret``;
3. shapes: JWTs, AWS secret keys, session tokens, Google client secrets, bearer headers, and long
   high-entropy strings, found inside any text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

MASK = "«redacted»"

_SENSITIVE_KEY = re.compile(
    r"(secret|password|passwd|token|credential|private[_-]?key|authorization|api[_-]?key|session[_-]?key"
    r"|cookie|assertion|code[_-]?verifier)",
    re.IGNORECASE,
)
# keys that contain a sensitive word but hold no secret (metadata about tokens)
_SAFE_KEYS = {
    "token_source",
    "token_endpoint",
    "token_cache_files",
    "token_present",
    "token_exp",
    "token_type",
    "id_token_exp",
    "token_lifetime",
    "tokens",
    "credential_process",
    "credential_storage",
    "credential_source",
    "aws_credentials",
    "awscredentialexport",
    "secret_present",
    "has_session_token",
    "expiration",
    "credentials_path",
    "token_file",
    "token_path",
    "token_alg",
    "token_kid",
    "revocation_endpoint",
    "device_authorization_endpoint",
    "token_endpoint_auth_methods_supported",
}

_PATTERNS = [
    # JWT / JWS / JWE compact forms
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?"),
    # STS session tokens
    re.compile(r"(?:FwoGZXIvYXdz|IQoJb3JpZ2lu|IQoD|FQoGZXIvYXdz)[A-Za-z0-9/+=]{20,}"),
    # Google OAuth client secrets, refresh tokens
    re.compile(r"GOCSPX-[A-Za-z0-9_-]{10,}"),
    re.compile(r"1//0[A-Za-z0-9_-]{20,}"),
    # Authorization headers
    re.compile(r"(?i)(?<=bearer )[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(?<=basic )[A-Za-z0-9+/=]{8,}"),
    # aws_secret_access_key = value (INI/env text)
    re.compile(r"(?i)(?<=secret_access_key)\s*[=:]\s*[A-Za-z0-9/+=]{16,}"),
]
_WORDLIKE = re.compile(r"[a-z]+\d*|(?:[A-Z][a-z]+)+\d*|[A-Z]+\d*|[A-Z]+s|\d+[a-z]*|v\d+|[a-z]+[A-Z][a-z]+\d*")
_CANDIDATE = re.compile(r"[A-Za-z0-9+/=_\-.~]{20,}")


def _entropy(s: str) -> float:
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _wordlike(segment: str) -> bool:
    words = [w for w in re.split(r"[-_+=~]", segment) if w]
    return all(_WORDLIKE.fullmatch(w) for w in words)


def _looks_random(s: str) -> bool:
    """A long token with mixed classes and high entropy: a key, not a word, path or id we need."""
    core = s.strip("=.-_~")
    if len(core) < 20:
        return False
    # paths, dotted names and identifiers are made of words: keep them
    if all(_wordlike(seg) for seg in re.split(r"[/.]", core)):
        return False
    lower, upper, digit = (bool(re.search(p, core)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    if lower and upper and digit:
        return _entropy(core) >= 3.7
    # Mixed-case letters and no digit: about 1 in 1000 random 40-character base64 secrets (AWS secret
    # keys) draws no digit at all. Hex digests and lowercase ids never reach this entropy (hex tops at 4).
    return lower and upper and len(core) >= 30 and _entropy(core) >= 4.2


def scrub_text(text: str, known: Iterable[str] = ()) -> str:
    for secret in known:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    for pat in _PATTERNS:
        text = pat.sub(MASK, text)
    return _CANDIDATE.sub(lambda m: MASK if _looks_random(m.group(0)) else m.group(0), text)


def is_sensitive_key(key: str) -> bool:
    k = key.lower()
    if k in _SAFE_KEYS or k.endswith(
        ("_present", "_exp", "_expires_at", "_url", "_uri", "_endpoint", "_path")
    ):
        return False
    return bool(_SENSITIVE_KEY.search(k))


def scrub(obj: Any, known: Iterable[str] = ()) -> Any:
    """A deep copy of ``obj`` with secrets masked; dict keys are kept, sensitive values replaced."""
    known = [k for k in known if k]
    return _scrub(obj, known)


def _scrub(obj: Any, known: list[str]) -> Any:
    if isinstance(obj, str):
        return scrub_text(obj, known)
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            key = scrub_text(str(k), known) if isinstance(k, str) else k
            if isinstance(k, str) and is_sensitive_key(k) and isinstance(v, str) and v:
                out[key] = MASK
            else:
                out[key] = _scrub(v, known)
        return out
    if isinstance(obj, list | tuple):
        return [_scrub(v, known) for v in obj]
    return obj
