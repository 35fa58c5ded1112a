"""The credential_process output contract, as botocore reads it plus what makes it work well (pure).

botocore (``ProcessProvider``) json-loads the whole stdout, requires ``Version`` == 1, ``AccessKeyId``
and ``SecretAccessKey``; ``SessionToken`` and ``Expiration`` are optional to botocore, but temporary
credentials without a session token are rejected by AWS, and without ``Expiration`` the SDK never
refreshes. Inside the 15-minute advisory window the SDK re-runs the helper on every call.
"""

from __future__ import annotations

import json
import re
from dataclasses import field
from datetime import UTC, datetime
from typing import Any

from ccwb_doctor.records import record

ADVISORY_SECONDS = 15 * 60
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$")


@record
class Contract:
    """What the helper printed, checked. Secrets stay in ``values`` (never in to_dict)."""

    problems: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict, repr=False)
    expiration: datetime | None = None
    remaining: float | None = None  # seconds until Expiration
    account_id: str | None = None

    @property
    def usable(self) -> bool:
        return not self.problems

    @property
    def expiring(self) -> bool:
        return self.remaining is not None and self.remaining < ADVISORY_SECONDS

    def secrets(self) -> list[str]:
        return [str(self.values[k]) for k in ("SecretAccessKey", "SessionToken") if self.values.get(k)]

    def to_dict(self) -> dict[str, Any]:
        akid = str(self.values.get("AccessKeyId") or "")
        return {
            "keys": sorted(self.values),
            "access_key_prefix": akid[:4] if akid else None,
            "expiration": self.expiration.strftime("%Y-%m-%dT%H:%M:%SZ") if self.expiration else None,
            "remaining_seconds": int(self.remaining) if self.remaining is not None else None,
            "account_id": self.account_id,
            "problems": self.problems,
        }


def parse_rfc3339(text: object) -> datetime | None:
    if not isinstance(text, str) or not _RFC3339.match(text.strip()):
        return None
    t = text.strip().replace("z", "Z").replace("t", "T")
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.astimezone(UTC)


def check_output(stdout: str, now: float) -> Contract:
    """Validate a helper's stdout against the contract; never raises."""
    out = Contract()
    text = stdout.strip()
    if not text:
        out.problems.append("stdout is empty (botocore fails with a JSON decode error)")
        return out
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        first = text.splitlines()[0][:60]
        out.problems.append(
            f"stdout is not one JSON document (starts {first!r}): anything else printed on stdout breaks the SDK"
        )
        return out
    if not isinstance(doc, dict):
        out.problems.append("stdout is JSON but not an object")
        return out
    out.values = {k: v for k, v in doc.items() if isinstance(k, str)}
    if doc.get("Version") != 1:
        out.problems.append(f"Version is {doc.get('Version')!r}, botocore requires 1 (Unsupported version)")
    for key in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            out.problems.append(f"{key} is missing or empty")
    if "Expiration" not in doc:
        out.problems.append(
            "Expiration is missing: the SDK treats the credentials as long-term and never refreshes"
        )
    else:
        out.expiration = parse_rfc3339(doc.get("Expiration"))
        if out.expiration is None:
            out.problems.append(
                f"Expiration {str(doc.get('Expiration'))[:40]!r} is not an RFC 3339 timestamp"
            )
        else:
            out.remaining = out.expiration.timestamp() - now
            if out.remaining <= 0:
                out.problems.append(
                    f"the credentials expired at {out.expiration:%Y-%m-%dT%H:%M:%SZ} "
                    f"({int(-out.remaining)} s ago): the helper returned a stale cache"
                )
    acct = doc.get("AccountId")
    if isinstance(acct, str) and re.fullmatch(r"\d{12}", acct):
        out.account_id = acct
    return out


_CODES = (
    "InvalidIdentityToken",
    "ExpiredTokenException",
    "AccessDenied",
    "IDPCommunicationError",
    "IDPRejectedClaim",
    "RegionDisabledException",
    "ValidationError",
)


def sts_error_code(text: str) -> str | None:
    """The STS error code a helper's message names, if any."""
    for code in _CODES:
        if re.search(rf"\b{code}\b", text):
            return code
    return None
