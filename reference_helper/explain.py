"""``--explain``: the resolved configuration as JSON (no network, no secrets)."""

from __future__ import annotations

from typing import Any

from . import cache, oidc, sts
from .errors import HelperError
from .login import _redirect_port, redirect_host

SECRET_KEYS = {"client_secret"}


def explain(path: str, shape: str, name: str, cfg: dict[str, Any], store: cache.Store) -> dict[str, Any]:
    try:
        issuer: str | None = oidc.issuer_of(cfg)
        issuer_error = None
    except HelperError as exc:
        issuer, issuer_error = None, exc.reason
    try:
        host = redirect_host(cfg)
    except HelperError as exc:
        host = f"<invalid: {exc.reason}>"
    try:
        port: int | str = _redirect_port(cfg)
    except HelperError as exc:
        port = f"<invalid: {exc.reason}>"
    out: dict[str, Any] = {
        "profile": name,
        "config_path": path,
        "config_shape": shape,
        "region": cfg.get("aws_region"),
        "role_arn": cfg.get("federated_role_arn"),
        "federation_type": cfg.get("federation_type"),
        "issuer": issuer,
        "client_id": cfg.get("client_id"),
        "provider_type": cfg.get("provider_type"),
        "scopes": oidc.scopes_of(cfg),
        "endpoints": {
            "discovery": issuer.rstrip("/") + "/.well-known/openid-configuration" if issuer else None,
            "authorization": cfg.get("oidc_authorization_endpoint") or "(from discovery)",
            "token": cfg.get("oidc_token_endpoint") or "(from discovery)",
            "jwks": cfg.get("oidc_jwks_uri") or "(from discovery)",
            "sts": sts.endpoint(cfg),
        },
        "redirect_uri": f"http://{host}:{port or '<ephemeral>'}/callback",
        "duration_seconds": sts.duration(cfg) if cfg.get("federation_type") == "direct" else None,
        "storage": cfg.get("credential_storage"),
        "paths": {
            "credentials_cache": store.paths["session"]
            if store.storage != "keyring"
            else f"keyring:{cache.KEYRING_SERVICE}/{name}",
            "refresh_token": store.paths["refresh"]
            if store.storage != "keyring"
            else f"keyring:{cache.KEYRING_SERVICE}/{name}.refresh",
            "lock": store.paths["lock"],
        },
        "settings": {k: ("<set>" if k in SECRET_KEYS and v else v) for k, v in sorted(cfg.items())},
    }
    if issuer_error:
        out["issuer_error"] = issuer_error
    return out
