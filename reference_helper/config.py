"""Read the AWS guidance's config.json profile format (standard library only: hot path).

Shapes: {"profiles": {...}} ("profiles"), {"<Name>": {...}} ("flat"), or one bare profile object
("legacy", optional "name" key). Aliases and defaults follow the guidance's Go reader.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from .errors import HelperError

DEFAULT_PROFILE = "ClaudeCode"
_PROFILE_KEYS = {"provider_domain", "okta_domain", "client_id", "okta_client_id", "federated_role_arn"}
_ALIASES = {
    "okta_domain": "provider_domain",
    "okta_client_id": "client_id",
    "okta_auth_server": "okta_auth_server_id",
}


def candidate_paths(env: dict[str, str] | os._Environ[str] | None = None) -> list[str]:
    """CCWB_CONFIG if set, else beside the executable, then ~/claude-code-with-bedrock/config.json."""
    env = os.environ if env is None else env
    if env.get("CCWB_CONFIG"):
        return [env["CCWB_CONFIG"]]
    # Beside the executable only when argv[0] is one: under ``python -c`` it is "-c", whose dirname is the
    # working directory, and a project's own config.json must never be taken for the helper's.
    argv0 = sys.argv[0] if sys.argv else ""
    exe_dir = os.path.dirname(os.path.realpath(argv0)) if argv0 and os.path.isfile(argv0) else ""
    home = env.get("HOME") or os.path.expanduser("~")
    paths = [os.path.join(exe_dir, "config.json")] if exe_dir else []
    paths.append(os.path.join(home, "claude-code-with-bedrock", "config.json"))
    return paths


def split_profiles(data: Any) -> tuple[str, dict[str, dict[str, Any]]]:
    """Return (shape, raw profiles by name)."""
    if not isinstance(data, dict):
        raise HelperError("config.json must contain a JSON object")
    if isinstance(data.get("profiles"), dict):
        profiles = {k: v for k, v in data["profiles"].items() if isinstance(v, dict)}
        return "profiles", profiles
    if _PROFILE_KEYS & set(data):
        return "legacy", {str(data.get("name") or DEFAULT_PROFILE): data}
    return "flat", {k: v for k, v in data.items() if isinstance(v, dict)}


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Resolve legacy aliases and apply the guidance's defaults."""
    cfg: dict[str, Any] = {}
    for key, value in raw.items():
        cfg.setdefault(_ALIASES.get(key, key), value)
    if "identity_pool_name" in cfg and not cfg.get("federated_role_arn"):
        cfg.setdefault("identity_pool_id", cfg["identity_pool_name"])
    cfg.setdefault("aws_region", "us-east-1")
    cfg.setdefault("provider_type", "auto")
    cfg.setdefault("credential_storage", "session")
    cfg.setdefault("federation_type", "direct" if cfg.get("federated_role_arn") else "cognito")
    cfg.setdefault("max_session_duration", 43200 if cfg["federation_type"] == "direct" else 28800)
    return cfg


def load(
    profile: str | None, env: dict[str, str] | os._Environ[str] | None = None
) -> tuple[str, str, str, dict[str, Any]]:
    """Find config.json and return (path, shape, profile name, normalised profile)."""
    env = os.environ if env is None else env
    tried = candidate_paths(env)
    path = next((p for p in tried if os.path.isfile(p)), None)
    if path is None:
        raise HelperError(f"no config.json found (looked in {', '.join(tried)})", 2)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise HelperError(f"cannot read {path}: {exc.__class__.__name__}: {exc}", 2) from None
    shape, profiles = split_profiles(data)
    name = profile or env.get("CCWB_PROFILE") or ""
    if not name:
        name = next(iter(profiles)) if len(profiles) == 1 else DEFAULT_PROFILE
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise HelperError(f"profile {name!r} not found in {path} (profiles: {known})", 2)
    return path, shape, name, normalise(profiles[name])


def _auto_type(domain: str) -> str:
    host = domain.split("/")[0].lower()
    for suffix, kind in (
        (".okta.com", "okta"),
        (".oktapreview.com", "okta"),
        (".okta-emea.com", "okta"),
        (".auth0.com", "auth0"),
        ("login.microsoftonline.com", "azure"),
        (".amazoncognito.com", "cognito"),
        ("accounts.google.com", "google"),
    ):
        if host.endswith(suffix):
            return kind
    return "generic"


def issuer_of(cfg: dict[str, Any]) -> str:
    """The OIDC issuer for a normalised profile (explicit oidc_issuer_url wins)."""
    if cfg.get("oidc_issuer_url"):
        return str(cfg["oidc_issuer_url"])
    domain = str(cfg.get("provider_domain") or "").removeprefix("https://").removeprefix("http://")
    kind = cfg.get("provider_type") or "auto"
    if kind == "auto":
        kind = _auto_type(domain)
    if kind == "okta":
        server = cfg.get("okta_auth_server_id")
        return f"https://{domain.rstrip('/')}" + (f"/oauth2/{server}" if server else "")
    if kind == "auth0":
        return f"https://{domain.rstrip('/')}/"
    if kind == "google":
        return "https://accounts.google.com"
    if kind == "cognito" and cfg.get("cognito_user_pool_id"):
        pool = str(cfg["cognito_user_pool_id"])
        return f"https://cognito-idp.{pool.split('_')[0]}.amazonaws.com/{pool}"
    if domain:
        return f"https://{domain.rstrip('/')}"
    raise HelperError("profile has neither oidc_issuer_url nor provider_domain: cannot tell the IdP", 2)
