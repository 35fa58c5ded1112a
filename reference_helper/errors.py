"""Failure type and secret scrubbing for the reference helper (standard library only)."""

from __future__ import annotations

import re

_SECRETS: set[str] = set()
_JWT = re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")


class HelperError(Exception):
    """A failure with a one-line, secret-free reason for stderr."""

    def __init__(self, reason: str, code: int = 1) -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


def add_secret(value: str | None) -> None:
    """Register a value that must never reach stderr (tokens, keys, secrets)."""
    if value and len(value) >= 6:
        _SECRETS.add(value)


def scrub(text: str) -> str:
    """Mask registered secrets and anything shaped like a JWT; keep it on one line."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _JWT.sub("<jwt>", text)
    return " ".join(text.split())
