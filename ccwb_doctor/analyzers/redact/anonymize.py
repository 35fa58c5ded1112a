"""Consistent pseudonyms for a helpdesk report (pure): e-mail addresses, AWS account ids, hostnames.

``Anonymizer(key)`` maps each distinct value to a stable token for its lifetime (same input -> same
token; a keyed hash, so tokens from two reports with different keys cannot be linked):

* e-mail ``alice@corp.com`` -> ``user-1a2b3c4d@example.invalid``
* account id ``123456789012`` (12 digits, not inside a longer number; placeholders such as
  ``000000000000`` are kept) -> ``acct-1a2b3c4d``
* hostnames: the host of every URL, and bare names ending in a common TLD -> ``host-1a2b3c4d.invalid``

Names that carry no identity are kept so the report stays useful: AWS and Anthropic service domains,
``example.*`` / ``.invalid`` / ``.test`` / ``localhost`` and IP literals (loopback fixtures).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import Any

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
ACCOUNT = re.compile(r"(?<![\d.])\d{12}(?![\d.]|-\d)")
URL_HOST = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://(?:[^/@\s\"'<>]*@)?(\[[0-9a-f:]+\]|[A-Za-z0-9.-]+)")
TLDS = (
    "com|net|org|io|dev|cloud|ai|co|app|internal|local|corp|lan|intra|edu|gov|mil|biz|info|me|us|uk|de|fr|"
    "jp|au|ca|eu|nl|ch|se|no|dk|fi|es|it|in|br|sg|kr|cn|tech|site|online|okta|auth0"
)
BARE_HOST = re.compile(
    rf"(?i)(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{TLDS})(?![\w.-]*\w)"
)
KEEP_SUFFIXES = (
    "amazonaws.com",
    "amazonaws.com.cn",
    "amazonaws.eu",
    "amazon.com",
    "aws.amazon.com",
    "api.aws",
    "anthropic.com",
    "claude.ai",
    "claude.com",
    "github.com",
    "githubusercontent.com",
    "python.org",
    "example.com",
    "example.org",
    "example.net",
    "example.invalid",
)
KEEP_TLDS = (".invalid", ".test", ".example", ".localhost")
_IP = re.compile(r"^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])$")


class Anonymizer:
    def __init__(self, key: bytes | None = None, keep_hosts: Iterable[str] = ()) -> None:
        self._key = key if key is not None else secrets.token_bytes(16)
        self._keep = {h.lower() for h in keep_hosts}
        self.mapping: dict[str, str] = {}  # original -> token (never rendered; for tests)

    def _digest(self, kind: str, value: str) -> str:
        return self.stable_id(kind, value, 8)

    def stable_id(self, kind: str, value: str, length: int = 16) -> str:
        """A keyed pseudonymous id of ``value`` (hex, ``length`` characters): the same key and value
        always give the same id, so the fleet export can name a host or a user without naming it."""
        mac = hmac.new(self._key, f"{kind}:{value.lower()}".encode(), hashlib.sha256).hexdigest()
        return mac[: max(8, min(length, 64))]

    def _token(self, kind: str, value: str) -> str:
        got = self.mapping.get(value)
        if got is None:
            d = self._digest(kind, value)
            got = {"email": f"user-{d}@example.invalid", "account": f"acct-{d}", "host": f"host-{d}.invalid"}[
                kind
            ]
            self.mapping[value] = got
        return got

    def keeps_host(self, host: str) -> bool:
        h = host.lower().strip(".")
        if h in self._keep or h == "localhost" or _IP.match(h) or h.endswith(KEEP_TLDS):
            return True
        return any(h == s or h.endswith("." + s) for s in KEEP_SUFFIXES)

    def _host(self, host: str) -> str:
        return host if self.keeps_host(host) else self._token("host", host.lower())

    def text(self, s: str) -> str:
        def email(m: re.Match[str]) -> str:
            local, _, domain = m.group(0).partition("@")
            if domain.lower().endswith(KEEP_TLDS) or domain.lower() in ("example.com", "example.org"):
                return m.group(0)
            return self._token("email", m.group(0).lower())

        s = EMAIL.sub(email, s)
        s = URL_HOST.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + self._host(m.group(1)), s)
        s = BARE_HOST.sub(lambda m: self._host(m.group(0)), s)
        return ACCOUNT.sub(
            lambda m: m.group(0) if len(set(m.group(0))) == 1 else self._token("account", m.group(0)), s
        )

    def apply(self, obj: Any) -> Any:
        """A deep copy with every string (and string dict key) anonymized."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {self.apply(k) if isinstance(k, str) else k: self.apply(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.apply(v) for v in obj]
        return obj
