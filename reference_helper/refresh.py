"""The slow path, under the inter-process lock: cached ID token -> refresh grant -> interactive login -> STS."""

from __future__ import annotations

import os
import time
from typing import Any

from . import cache, oidc, sts
from .errors import HelperError, add_secret
from .lock import FileLock
from .login import browser_login, device_login, login_timeout, say
from .session import creds_fresh, expires_epoch, unverified_claims

ID_TOKEN_MIN_LIFE = 300  # STS allows ~5 min clock skew; keep a margin
DISCARD_ON = {"invalid_grant", "invalid_token", "unauthorized_client", "invalid_client"}


def lock_timeout() -> float:
    """How long to wait for another helper process (it may be in an interactive login)."""
    raw = os.environ.get("CCWB_LOCK_TIMEOUT")
    return float(raw) if raw else login_timeout() + 60


def cached_id_token(session: dict[str, Any] | None, cfg: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    if not session or not isinstance(session.get("id_token"), str):
        return None
    token = session["id_token"]
    claims = unverified_claims(token)
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if cfg.get("client_id") not in auds or claims.get("iss") != session.get("issuer"):
        return None
    if int(claims.get("exp") or 0) - time.time() < ID_TOKEN_MIN_LIFE:
        return None
    add_secret(token)
    return token, claims


def fresh_id_token(
    cfg: dict[str, Any], store: cache.Store, device: bool, no_browser: bool
) -> tuple[str, dict[str, Any], str]:
    """refresh_token grant if we have one, else an interactive login. Returns (token, claims, issuer)."""
    ep = oidc.discover(cfg)
    response: dict[str, Any] | None = None
    nonce: str | None = None
    refreshed = False  # the response answers our refresh_token grant (not an interactive login)
    refresh_token = store.load_refresh()
    if refresh_token:
        add_secret(refresh_token)
        try:
            response = oidc.token_request(
                cfg, ep, {"grant_type": "refresh_token", "refresh_token": refresh_token}
            )
            refreshed = True
        except oidc.GrantError as exc:
            if exc.error not in DISCARD_ON:
                raise
            store.save_refresh(None)
            say(f"Stored refresh token was refused ({exc.error}); signing in again.")
    if response is None:
        if device:
            response = device_login(cfg, ep)
        else:
            response, nonce = browser_login(cfg, ep, no_browser)
    new_refresh = response.get("refresh_token")
    if new_refresh:
        add_secret(new_refresh)
    if new_refresh and refreshed:
        # A refresh_token grant answers our own refresh token over TLS and rotation has already spent
        # the old one: keep the new one even if the ID token then fails verification (an IdP clock
        # problem must not also cost the user their session). After an interactive login a failed
        # verification may mean an injected code, so nothing from that response is kept.
        _save_refresh(store, new_refresh, cfg, ep)
    claims = oidc.verify_id_token(response["id_token"], cfg, ep, nonce)
    if new_refresh and not refreshed:
        _save_refresh(store, new_refresh, cfg, ep)
    return response["id_token"], claims, ep.issuer


def _save_refresh(store: cache.Store, token: str, cfg: dict[str, Any], ep: Any) -> None:
    store.save_refresh(token, {"issuer": ep.issuer, "client_id": cfg.get("client_id")})


def obtain(
    cfg: dict[str, Any], name: str, store: cache.Store, *, want: str, device: bool, no_browser: bool
) -> Any:
    """Credentials (want="credentials") or an ID token (want="id_token"), refreshing under the lock."""
    cache.ensure_dir(store.paths["dir"])
    cache.sweep_temp(store.paths["dir"])
    with FileLock(store.paths["lock"], timeout=lock_timeout()):
        session = store.load_session() or {}
        if want == "credentials" and creds_fresh(session, cfg):
            return session["credentials"]  # another process refreshed while we waited
        cached = cached_id_token(session, cfg)
        if want == "id_token" and cached:
            return cached[0]
        for attempt in (cached, None):
            if attempt is None:
                token, claims, issuer = fresh_id_token(cfg, store, device, no_browser)
            else:
                token, claims = attempt
                issuer = str(session.get("issuer"))
            base = {"profile": name, "issuer": issuer, "client_id": cfg.get("client_id"), "id_token": token}
            base["id_token_exp"] = int(claims.get("exp") or 0)
            if want == "id_token":
                keep = {k: session[k] for k in ("credentials", "credentials_exp", "role_arn") if k in session}
                store.save_session({**keep, **base, "updated_at": int(time.time())})
                return token
            try:
                creds = sts.assume_role(cfg, token, claims)
            except HelperError as exc:
                if attempt is not None and (
                    "ExpiredToken" in exc.reason or "InvalidIdentityToken" in exc.reason
                ):
                    continue  # the cached token went stale for AWS: get a new one once
                raise
            session = {**base, "credentials": creds, "credentials_exp": int(expires_epoch(creds))}
            session.update({"role_arn": cfg.get("federated_role_arn"), "updated_at": int(time.time())})
            store.save_session(session)
            return creds
    raise HelperError("could not obtain credentials")  # pragma: no cover - loop always returns or raises
