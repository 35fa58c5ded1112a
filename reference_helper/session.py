"""Cached-session checks used on the hot path (standard library only, no network)."""

from __future__ import annotations

import json
import time
from typing import Any

ADVISORY_WINDOW = 15 * 60  # botocore re-invokes the helper inside this window: never hand out less
MARGIN = 60
REQUIRED = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")


def expires_epoch(creds: dict[str, Any]) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(creds["Expiration"]).replace("Z", "+00:00")).timestamp()
    except (KeyError, ValueError):
        return 0.0


def bound_to(session: dict[str, Any] | None, cfg: dict[str, Any]) -> bool:
    """The cached entry was made for this profile's IdP (issuer) and client id (both may change)."""
    from .config import issuer_of
    from .errors import HelperError

    if not session or session.get("client_id") != cfg.get("client_id"):
        return False
    try:
        return session.get("issuer") == issuer_of(cfg)
    except HelperError:
        return False


def creds_fresh(session: dict[str, Any] | None, cfg: dict[str, Any], now: float | None = None) -> bool:
    """Cached credentials usable: same role, IdP and client, complete, and more than the advisory
    window (+margin) left."""
    if not session or session.get("role_arn") != cfg.get("federated_role_arn"):
        return False
    if not bound_to(session, cfg):
        return False
    creds = session.get("credentials")
    if not isinstance(creds, dict) or creds.get("Version") != 1:
        return False
    if not all(isinstance(creds.get(k), str) and creds[k] for k in REQUIRED):
        return False
    stamp = session.get("credentials_exp")
    expires = float(stamp) if isinstance(stamp, int | float) else expires_epoch(creds)
    return expires - (time.time() if now is None else now) > ADVISORY_WINDOW + MARGIN


def unverified_claims(token: str) -> dict[str, Any]:
    """Payload of a JWT we verified before caching it (standard library decode, no verification)."""
    import base64

    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
