"""``ccwb-otel-headers``: Claude Code ``otelHeadersHelper`` printing user-attribution headers as JSON.

Reads the ID token the credential helper cached (no network, no verification: it was verified
before it was cached) and maps its claims to headers. While that token is valid it is also sent as
``Authorization: Bearer <ID token>``: the reference monitoring stack's load balancer validates it
(set ``"otel_send_id_token": false`` in the config.json profile for a collector that must not see it).
Like credential_process, stdout is a protocol channel to Claude Code, which keeps it to the exporter.
Standard library only; fast.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from . import cache, config
from .errors import HelperError

PROG = "ccwb-otel-headers"
# header -> claim names tried in order (first present wins)
HEADER_CLAIMS: dict[str, tuple[str, ...]] = {
    "x-user-email": ("email", "preferred_username", "upn"),
    "x-user-id": ("sub",),
    "x-user-name": ("name",),
    "x-department": ("department", "custom:department", "dept"),
    "x-team-id": ("team_id", "team", "custom:team_id"),
    "x-cost-center": ("cost_center", "costCenter", "custom:cost_center"),
    "x-organization": ("organization", "org", "custom:organization"),
}
BEARER_MIN_LIFE = 30  # seconds: a token about to expire would be rejected on the way
TAG_KEYS = {"x-department": "Department", "x-team-id": "Team", "x-cost-center": "CostCenter"}


def _tag(claims: dict[str, Any], key: str) -> str | None:
    tags = claims.get("https://aws.amazon.com/tags")
    principal = tags.get("principal_tags") if isinstance(tags, dict) else None
    value = principal.get(key) if isinstance(principal, dict) else None
    if isinstance(value, list) and value:
        value = value[0]
    return str(value) if isinstance(value, str | int) else None


def headers_from_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Header name -> value for every header whose claim (or AWS principal tag) is present."""
    out: dict[str, str] = {}
    for header, names in HEADER_CLAIMS.items():
        value = next(
            (claims[n] for n in names if isinstance(claims.get(n), str | int) and str(claims[n]).strip()),
            None,
        )
        if value is None and header in TAG_KEYS:
            value = _tag(claims, TAG_KEYS[header])
        if value is not None:
            out[header] = "".join(ch for ch in str(value) if ch.isprintable())[:256]
    return out


USAGE = f"""usage: {PROG} [--profile NAME] | --version
Prints Claude Code otelHeadersHelper JSON (user attribution headers) from the ID token that
ccwb-credential-process cached for the config.json profile. No network."""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    cache.PROG = PROG
    if args and args[0] in ("--version", "-v"):  # never touches config or cache
        from ccwb_doctor import __version__

        sys.stdout.write(f"{PROG} {__version__}\n")
        return 0
    if args and args[0] in ("--help", "-h"):
        sys.stdout.write(USAGE + "\n")
        return 0
    profile = None
    if len(args) >= 2 and args[0] in ("--profile", "-p"):
        profile = args[1]
    elif args and args[0].startswith("--profile="):
        profile = args[0].split("=", 1)[1]
    try:
        _, _, name, cfg = config.load(profile)
        session = cache.Store(name, str(cfg.get("credential_storage") or "session")).load_session() or {}
    except HelperError as exc:
        sys.stderr.write(f"{PROG}: {exc.reason}\n")
        return exc.code
    from .session import bound_to, unverified_claims

    token = session.get("id_token") if bound_to(session, cfg) else None  # not another IdP's token
    claims = unverified_claims(token) if isinstance(token, str) else {}
    if not claims:
        sys.stderr.write(
            f"{PROG}: no cached ID token for {name}; run ccwb-credential-process --profile {name} first\n"
        )
    headers = headers_from_claims(claims)
    if claims and cfg.get("otel_send_id_token", True) is not False:
        import time

        if isinstance(claims.get("exp"), int | float) and claims["exp"] > time.time() + BEARER_MIN_LIFE:
            headers["Authorization"] = f"Bearer {token}"
        else:
            sys.stderr.write(f"{PROG}: the cached ID token for {name} has expired: no Authorization header\n")
    sys.stdout.write(json.dumps(headers) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
