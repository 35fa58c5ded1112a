"""The credential helper's config.json (AWS guidance format, shared by our reference helper).

Accepts the ``{"profiles": {...}}`` shape, the flat shape (profile names as top-level keys) and the
oldest single-profile shape (scalar keys with a ``name``). Legacy key aliases are resolved and the
guidance helper's defaults applied, so every reader sees one normalised profile dict.
"""

from __future__ import annotations

import json
from dataclasses import field
from typing import Any

from ccwb_doctor.records import record

DEFAULT_PROFILE = "ClaudeCode"

_STR_KEYS = (
    "provider_domain",
    "client_id",
    "aws_region",
    "provider_type",
    "credential_storage",
    "federated_role_arn",
    "federation_type",
    "cross_region_profile",
    "identity_pool_id",
    "role_arn",
    "oidc_issuer_url",
    "oidc_authorization_endpoint",
    "oidc_token_endpoint",
    "oidc_jwks_uri",
    "oidc_thumbprint",
    "okta_auth_server_id",
    "okta_auth_server",
    "cognito_user_pool_id",
    "selected_model",
    "client_secret",
    "azure_auth_mode",
    "auth_type",
    "quota_api_endpoint",
    "quota_fail_mode",
    "otel_collector_endpoint",
    "monitoring_mode",
    "name",
)
_INT_KEYS = ("max_session_duration", "redirect_port", "quota_check_interval", "quota_check_timeout")
_BOOL_KEYS = ("sso_enabled", "monitoring_enabled", "project_attribution_enabled")


class HelperConfigError(ValueError):
    """One-line reason why the config cannot be used."""


@record
class HelperConfig:
    """The credential helper's config.json: its shape, its profiles and what is wrong with it."""

    shape: str  # profiles | flat | legacy
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def select(self, name: str | None) -> tuple[str | None, dict[str, Any] | None]:
        """The profile the helper would use: the named one, else the only one (auto-detect)."""
        if name and name in self.profiles:
            return name, self.profiles[name]
        if not name and DEFAULT_PROFILE in self.profiles:
            return DEFAULT_PROFILE, self.profiles[DEFAULT_PROFILE]
        if not name and len(self.profiles) == 1:
            only = next(iter(self.profiles))
            return only, self.profiles[only]
        return name, None


def parse_helper_config(data: bytes | str) -> HelperConfig:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise HelperConfigError(f"not UTF-8 (byte {exc.start})") from None
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise HelperConfigError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise HelperConfigError("not valid JSON: nested too deeply") from None
    if not isinstance(doc, dict):
        raise HelperConfigError(f"top level must be a JSON object, found {type(doc).__name__}")
    if "profiles" in doc:
        if not isinstance(doc["profiles"], dict):
            raise HelperConfigError('"profiles" must be an object of profile name -> settings')
        raw, shape = doc["profiles"], "profiles"
    elif doc and all(isinstance(v, dict) for v in doc.values()):
        raw, shape = doc, "flat"
    elif any(k in doc for k in ("okta_domain", "provider_domain", "client_id", "okta_client_id")):
        name = doc.get("name") if isinstance(doc.get("name"), str) and doc.get("name") else DEFAULT_PROFILE
        raw, shape = {name: doc}, "legacy"
    else:
        raise HelperConfigError('no profiles found (expected {"profiles": {...}} or profile objects)')
    cfg = HelperConfig(shape=shape)
    for name, prof in raw.items():
        if not isinstance(prof, dict):
            raise HelperConfigError(f"profile {name!r} must be an object, found {type(prof).__name__}")
        cfg.profiles[str(name)] = normalise_profile(str(name), prof)
    return cfg


def normalise_profile(name: str, prof: dict[str, Any]) -> dict[str, Any]:
    p = dict(prof)
    for key in _STR_KEYS:
        if key in p and p[key] is not None and not isinstance(p[key], str):
            raise HelperConfigError(
                f"profile {name!r}: {key} must be a string, found {type(p[key]).__name__}"
            )
    for key in _INT_KEYS:
        v = p.get(key)
        if v is None:
            continue
        if (
            isinstance(v, bool)
            or not isinstance(v, int | str)
            or (isinstance(v, str) and not (v.isascii() and v.isdigit()))  # not "²" or "١٢"
        ):
            raise HelperConfigError(f"profile {name!r}: {key} must be an integer, found {v!r}")
        p[key] = int(v)
    for key in _BOOL_KEYS:
        if key in p and p[key] is not None and not isinstance(p[key], bool):
            raise HelperConfigError(f"profile {name!r}: {key} must be true or false, found {p[key]!r}")
    # legacy aliases (guidance Go reader semantics)
    if not p.get("provider_domain") and p.get("okta_domain"):
        p["provider_domain"] = p["okta_domain"]
    if not p.get("client_id") and p.get("okta_client_id"):
        p["client_id"] = p["okta_client_id"]
    if not p.get("identity_pool_id") and p.get("identity_pool_name") and not p.get("federated_role_arn"):
        p["identity_pool_id"] = p["identity_pool_name"]
    p.setdefault("aws_region", "us-east-1")
    p["aws_region"] = p["aws_region"] or "us-east-1"
    p["provider_type"] = p.get("provider_type") or "auto"
    p["credential_storage"] = p.get("credential_storage") or "session"
    if not p.get("federation_type"):
        p["federation_type"] = "direct" if p.get("federated_role_arn") else "cognito"
    if p.get("max_session_duration") is None:
        p["max_session_duration"] = 43200 if p["federation_type"] == "direct" else 28800
    if p.get("sso_enabled") is None:
        p["sso_enabled"] = True
    p["profile_name"] = name
    return p
