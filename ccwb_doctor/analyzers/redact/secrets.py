"""Redaction applied at the renderer boundary: secrets are masked wherever they sit.

Four layers, each enough on its own for what it covers:
1. known secrets: exact strings registered while gathering facts (tokens read, credentials returned);
2. sensitive names: the value under a key such as ``SecretAccessKey``, ``refresh_token``, ``client_secret``,
   in a dict, and in text: ``--client-secret S``, ``--password=P``, ``client_secret=S``, ``"password": "P"``,
   ``x-api-key: K`` (command lines, stderr, env assignments, headers), and the value after such an
   option in an argv list;
3. passwords inside URLs: ``https://user:PASS@host`` keeps the user, masks the password;
4. shapes: JWTs, AWS secret keys, session tokens, Google client secrets, bearer headers, and long
   high-entropy strings, found inside any text.

The same boundary makes every string printable in every format: control characters (a helper's ANSI
escapes, NUL) and lone surrogates (non-UTF-8 file names) become visible escapes such as ``\x1b``, so no
output can drive the terminal, break the JUnit XML or fail to encode.
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
    r"|cookie|assertion|code[_-]?verifier|passphrase|pwd)",
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
_AWS_SECRET_SHAPE = re.compile(r"[A-Za-z0-9+/]{40}")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_CANDIDATE = re.compile(r"[A-Za-z0-9+/=_\-.~]{20,}")
# CloudFormation's physical-name suffix (Stack-LogicalId-1A2B3C4D5E6F): upper case and digits only
_CFN_SUFFIX = re.compile(r"[A-Z0-9]{8,13}")


def _entropy(s: str) -> float:
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _wordlike(segment: str) -> bool:
    """Made of words; a generated name's short upper-case suffix (a role CloudFormation named
    Stack-LogicalId-1A2B3C4D5E6F) counts as one."""
    words = [w for w in re.split(r"[-_+=~]", segment) if w]
    return all(_WORDLIKE.fullmatch(w) or _CFN_SUFFIX.fullmatch(w) for w in words)


def _camel_mean(core: str) -> float:
    """Mean length of the camel-case words of ``core``: long for identifiers, about 2-3 for random text."""
    words = [w for part in re.split(r"[^A-Za-z0-9]", core) for w in _CAMEL.findall(part)]
    return sum(map(len, words)) / max(1, len(words))


def _looks_random(s: str) -> bool:
    """A long token with mixed classes and high entropy: a key, not a word, path or id we need."""
    core = s.strip("=.-_~")
    if len(core) < 20:
        return False
    lower, upper, digit = (bool(re.search(p, core)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    if lower and upper and _AWS_SECRET_SHAPE.fullmatch(core):
        # Exactly the shape of an AWS secret access key. About 1 in 1000 has no digit, and some read
        # like CamelCase by chance; keep only what looks like a real 40-letter identifier: long camel
        # words and the modest entropy of English.
        return _entropy(core) >= 4.2 or _camel_mean(core) < 4.5
    # paths, dotted names and identifiers are made of words: keep them
    if all(_wordlike(seg) for seg in re.split(r"[/.]", core)):
        return False
    if lower and upper and digit:
        return _entropy(core) >= 3.7
    # Mixed-case letters and no digit (other token shapes): random case flips chop the string into short
    # camel-case "words", while identifiers with acronyms (XMLHttpRequestHandler) have long ones.
    if not (lower and upper and len(core) >= 30) or _entropy(core) < 4.0:
        return False
    return _camel_mean(core) < 4.5


# A key in text: an option (--client-secret), an assignment name (client_secret=, MY_PASSWORD=), a header
# name (x-api-key:) or a quoted JSON key ("password":). Its value: a quoted string or one token.
_KEY = r"[A-Za-z][A-Za-z0-9_.-]*"
_OPTION = re.compile(rf"(?<![\w-])(?P<key>--?{_KEY})(?P<sep>=|[ \t]+)")
_ASSIGN = re.compile(rf"(?<![\w.-])(?P<q>[\"']?)(?P<key>{_KEY})(?P=q)(?P<sep>[ \t]*[=:][ \t]*)")
# a quoted value, one with JSON-escaped quotes (\"...\" inside a JSON string), or one bare token
_VALUE = re.compile(
    r"\$\{[^}\s]*\}|\"(?:[^\"\\]|\\.)*\"|'[^']*'|\\\"(?:[^\"\\]|\\[^\"])*\\\"|[^\s\"',;&()\[\]{}\\]+"
)
# a URL's user-info password: scheme://user:PASS@host
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/@\s:\"'<>]*):([^/@\s\"'<>]+)@")
# values that are placeholders or names, not secrets: FILE, FILE|-, <token>, ${VAR}, -, true/false
_PLACEHOLDER = re.compile(
    r"^(?:[A-Z][A-Z_|-]{2,}|<[^>]*>|\$\{?\w+\}?|-|\.\.\.|…|«redacted»|(?i:true|false|null|none)|-?\d+(?:\.\d+)?)$"
)


def _option_key(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def is_sensitive_option(flag: str) -> bool:
    """``--client-secret``, ``--password``, ``--token`` (not ``--token-file`` or ``--token-endpoint``)."""
    return flag.startswith("-") and len(flag) > 2 and is_sensitive_key(_option_key(flag))


def _masked(val: str) -> str | None:
    """``val`` masked (quotes kept), or None when it is a placeholder rather than a value."""
    if val.startswith('\\"') and len(val) >= 4:
        return None if _PLACEHOLDER.match(val[2:-2]) or not val[2:-2] else '\\"' + MASK + '\\"'
    quoted = len(val) >= 2 and val[0] == val[-1] and val[0] in "\"'"
    core = val[1:-1] if quoted else val
    if not core or _PLACEHOLDER.match(core):
        return None
    return val[0] + MASK + val[-1] if quoted else MASK


def _mask_after(text: str, rx: re.Pattern[str], sensitive: Any) -> str:
    out: list[str] = []
    pos = 0
    while (m := rx.search(text, pos)) is not None:
        v = _VALUE.match(text, m.end())
        masked = _masked(v.group(0)) if v is not None and sensitive(m, v.group(0)) else None
        if v is None or masked is None:
            out.append(text[pos : m.end()])
            pos = m.end()
            continue
        out.append(text[pos : m.end()] + masked)
        pos = v.end()
    return "".join(out) + text[pos:]


_PROSE_WORD = re.compile(r"[a-z]{1,15}")


def _assign_sensitive(m: re.Match[str], value: str) -> bool:
    key = m.group("key")
    if not is_sensitive_key(key.replace("-", "_").replace(".", "_")):
        return False
    if "=" in m.group("sep") or m.group("q") or "-" in key or "_" in key:
        return True  # an assignment, a JSON key, a header or env name
    # "token: expired", "Password: required" read as prose; "password: hunter2" does not
    return not _PROSE_WORD.fullmatch(value)


def mask_named_values(text: str) -> str:
    """Mask the value of every secret-named option, assignment, header or JSON key, and URL passwords."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    text = _mask_after(text, _OPTION, lambda m, v: is_sensitive_option(m.group("key")))
    return _mask_after(text, _ASSIGN, _assign_sensitive)


def scrub_text(text: str, known: Iterable[str] = ()) -> str:
    for secret in known:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    text = mask_named_values(text)
    for pat in _PATTERNS:
        text = pat.sub(MASK, text)
    return _CANDIDATE.sub(lambda m: _mask_candidate(m.group(0)), text)


def _pathlike(token: str) -> bool:
    """A file path or URL path with random parts (``mktemp`` dirs, macOS ``/var/folders/...``), as opposed
    to a base64 secret that happens to contain ``/``: mostly made of words, several of them."""
    if not token.startswith(("/", "~/", "./", "../")):
        return False
    segs = [seg for seg in re.split(r"[/.]", token) if seg]
    words = [seg for seg in segs if _wordlike(seg)]
    return sum(len(w) >= 3 for w in words) >= 3 and 2 * len(words) > len(segs)


def _mask_candidate(token: str) -> str:
    """Mask a random-looking token; in a path, only the path segments that are themselves random."""
    if "/" in token and _pathlike(token) and not _AWS_SECRET_SHAPE.fullmatch(token.strip("=.-_~")):
        return "/".join(MASK if _looks_random(seg) else seg for seg in token.split("/"))
    return MASK if _looks_random(token) else token


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
    return _scrub(obj, known, {})


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with control characters (all but newline and tab) and lone surrogates escaped.

    A surrogate from Python's surrogateescape (a non-UTF-8 byte in a file name) shows as that byte.
    """

    def esc(m: re.Match[str]) -> str:
        c = ord(m.group(0))
        if 0xDC80 <= c <= 0xDCFF:
            return f"\\x{c - 0xDC00:02x}"
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"

    return _UNPRINTABLE.sub(esc, text)


def _text(text: str, known: list[str], memo: dict[str, str]) -> str:
    """One string scrubbed (memoised per scrub() call: evidence repeats the same strings many times)."""
    got = memo.get(text)
    if got is None:
        got = memo[text] = printable(scrub_text(text, known))
    return got


def _scrub(obj: Any, known: list[str], memo: dict[str, str]) -> Any:
    if isinstance(obj, str):
        return _text(obj, known, memo)
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            key = _text(str(k), known, memo) if isinstance(k, str) else k
            if isinstance(k, str) and is_sensitive_key(k) and isinstance(v, str) and v:
                out[key] = MASK
            else:
                out[key] = _scrub(v, known, memo)
        return out
    if isinstance(obj, list | tuple):
        out_list: list[Any] = []
        after_flag = False  # argv: the value after --client-secret / --password
        for v in obj:
            if after_flag and isinstance(v, str) and v not in ("", "-"):
                out_list.append(MASK)
            else:
                out_list.append(_scrub(v, known, memo))
            after_flag = isinstance(v, str) and "=" not in v and is_sensitive_option(v)
        return out_list
    return obj
