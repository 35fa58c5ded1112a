"""The slow path, under the inter-process lock: cached ID token -> refresh grant -> interactive login -> STS."""

from __future__ import annotations

import os
import time
from typing import Any

from . import cache, http, oidc, sts
from .errors import HelperError, add_secret, scrub
from .lock import FileLock
from .login import browser_login, device_login, login_timeout, say
from .session import bound_to, creds_fresh, expires_epoch, unverified_claims

ID_TOKEN_MIN_LIFE = 300  # STS allows ~5 min clock skew; keep a margin
DISCARD_ON = {"invalid_grant", "invalid_token", "unauthorized_client", "invalid_client"}


FAILURE_TTL = 120  # seconds: how long a lock holder's failure answers the processes that waited for it
NO_REFRESH_NOTICE = (
    "The IdP issued no refresh token (the offline_access scope is not granted to client {client}), so each "
    "time the ID token expires you will have to sign in in the browser again; ask your IdP admin to allow "
    "refresh tokens (offline_access) for this client to avoid that."
)


def lock_timeout() -> float:
    """How long to wait for another helper process (it may be in an interactive login)."""
    raw = os.environ.get("CCWB_LOCK_TIMEOUT")
    return float(raw) if raw else login_timeout() + 60


def run_budget() -> float:
    """The whole slow path's time limit: an interactive login plus four network round trips."""
    return login_timeout() + 4 * http.http_timeout()


def cached_id_token(session: dict[str, Any] | None, cfg: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    if not session or not isinstance(session.get("id_token"), str):
        return None
    token = session["id_token"]
    claims = unverified_claims(token)
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if cfg.get("client_id") not in auds or claims.get("iss") != session.get("issuer"):
        return None
    if not bound_to(session, cfg):  # minted by the IdP/client the profile used before it was changed
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
    refresh_token = store.load_refresh(ep.issuer, cfg.get("client_id"))  # only this IdP's, for this client
    if refresh_token:
        add_secret(refresh_token)
        response: dict[str, Any] | None = None
        try:
            response = oidc.token_request(
                cfg,
                ep,
                {"grant_type": "refresh_token", "refresh_token": refresh_token},
                require_id_token=False,
            )
        except oidc.GrantError as exc:
            if exc.error not in DISCARD_ON:
                raise
            store.save_refresh(None)
            say(f"Stored refresh token was refused ({exc.error}); signing in again.")
        if response is not None:
            rotated = response.get("refresh_token")
            if isinstance(rotated, str) and rotated:
                # A refresh_token grant answers our own refresh token over TLS and rotation has already
                # spent the old one: keep the new one before anything else can fail (no ID token, an IdP
                # clock problem) so that it does not also cost the user their session.
                add_secret(rotated)
                _save_refresh(store, rotated, cfg, ep)
            if isinstance(response.get("id_token"), str):
                claims = oidc.verify_id_token(response["id_token"], cfg, ep, None)
                return response["id_token"], claims, ep.issuer
            say(
                "The IdP answered the refresh without an ID token (OpenID Connect Core §12.2 allows that, "
                "but AWS needs one); signing in again to get one."
            )
    if device:
        response, nonce = device_login(cfg, ep), None
    else:
        response, nonce = browser_login(cfg, ep, no_browser)
    # After an interactive login a failed verification may mean an injected code: nothing from that
    # response is kept unless the ID token verifies.
    claims = oidc.verify_id_token(response["id_token"], cfg, ep, nonce)
    new_refresh = response.get("refresh_token")
    if isinstance(new_refresh, str) and new_refresh:
        add_secret(new_refresh)
        _save_refresh(store, new_refresh, cfg, ep)
    else:
        say(NO_REFRESH_NOTICE.format(client=cfg.get("client_id")))
    return response["id_token"], claims, ep.issuer


def _save_refresh(store: cache.Store, token: str, cfg: dict[str, Any], ep: Any) -> None:
    store.save_refresh(token, {"issuer": ep.issuer, "client_id": cfg.get("client_id")})


def obtain(
    cfg: dict[str, Any], name: str, store: cache.Store, *, want: str, device: bool, no_browser: bool
) -> Any:
    """Credentials (want="credentials") or an ID token (want="id_token"), refreshing under the lock.

    One deadline bounds the whole run (lock wait, login, every network call). A process that waited
    for the lock while its holder failed reports that failure instead of retrying it (the holder
    leaves a short-lived ``<profile>.failed.json``), so a burst of helpers against a dead IdP ends
    after one attempt, not one attempt each in turn.
    """
    http.set_deadline(time.monotonic() + run_budget())
    started = time.time()
    cache.ensure_dir(store.paths["dir"])
    cache.sweep_temp(store.paths["dir"])
    wait = min(lock_timeout(), http.remaining("waiting for another helper process"))
    with FileLock(store.paths["lock"], timeout=wait) as lock:
        session = store.load_session() or {}
        if want == "credentials" and creds_fresh(session, cfg):
            return session["credentials"]  # another process refreshed while we waited
        if lock.waited:
            failure = cache.read_json(store.paths["failed"]) or {}
            at = failure.get("at")
            same_step = failure.get("stage") != "sts" or want == "credentials"  # an STS refusal says
            # nothing about an ID-token-only request (--print-id-token), which never calls STS
            if (
                same_step
                and isinstance(at, int | float)
                and started - 1 <= at
                and time.time() - at < FAILURE_TTL
            ):
                code = failure.get("code")
                raise HelperError(
                    f"{failure.get('reason') or 'failed'} (another helper process just failed this way "
                    "while this one waited for it; run again to retry)",
                    code if isinstance(code, int) else 1,
                )
        try:
            result = _obtain_locked(cfg, name, store, session, want, device, no_browser)
        except HelperError as exc:
            reason = scrub(exc.reason.split("\n", 1)[0])
            marker = {"reason": reason, "code": exc.code, "stage": getattr(exc, "stage", "idp")}
            cache.write_json(store.paths["failed"], {**marker, "at": time.time(), "pid": os.getpid()})
            raise
        if want == "credentials" or (cache.read_json(store.paths["failed"]) or {}).get("stage") != "sts":
            cache.remove(store.paths["failed"])  # (an ID token alone does not show that STS works now)
        return result


def _obtain_locked(
    cfg: dict[str, Any],
    name: str,
    store: cache.Store,
    session: dict[str, Any],
    want: str,
    device: bool,
    no_browser: bool,
) -> Any:
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
            if attempt is not None and ("ExpiredToken" in exc.reason or "InvalidIdentityToken" in exc.reason):
                continue  # the cached token went stale for AWS: get a new one once
            exc.stage = "sts"  # type: ignore[attr-defined]
            raise
        session = {**base, "credentials": creds, "credentials_exp": int(expires_epoch(creds))}
        session.update({"role_arn": cfg.get("federated_role_arn"), "updated_at": int(time.time())})
        store.save_session(session)
        return creds
    raise HelperError("could not obtain credentials")  # pragma: no cover - loop always returns or raises
