"""TOKEN-*: an ID token was obtained, its signature verifies against the issuer's JWKS, its times hold."""

from __future__ import annotations

import time
from typing import Any

from ccwb_doctor.model import Outcome, fail, ok, skip, warn
from ccwb_doctor.registry import check

DOCS_OIDC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html"
DOCS_STS = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html"
WORKING_DAY = 8 * 3600
HELPER_MIN_LEFT = 600
# Shape problems no other check reports (aud: TRUST-AUDIENCE, times: TOKEN-EXPIRY, tags: TRUST-TAGSESSION).
SHAPE_CODES = (
    "length",
    "claim-missing:iss",
    "iss-scheme",
    "claim-missing:sub",
    "claim-type:sub",
)  # the guidance helper reuses a cached ID token only with > 10 min left


def _token_or_skip(facts: Any) -> tuple[Any, Outcome | None]:
    tok = facts.token
    if not tok.found:
        return tok, skip("no ID token to check (see TOKEN-PRESENT)", evidence={"tried": tok.tried})
    if not tok.decoded.ok:
        return tok, skip(f"the token cannot be decoded: {tok.decoded.error}")
    return tok, None


GIVE_TOKEN = "pass --token FILE (or -) or run with --live to check the token and the trust policy"


def _no_token_is_normal(facts: Any) -> str | None:
    """Why finding no cached ID token offline is expected here (a skip), or None when it is a problem.

    The guidance stores what it caches per mode (anchor study 2.6): IAM Identity Center never has an OIDC
    ID token; keyring storage keeps the monitoring token in the OS keyring, which the doctor does not read;
    and before the first login there is simply nothing yet. A cache file that exists but holds no usable
    token stays a warning.
    """
    get = facts.peek  # an unreadable file is another check's verdict

    prof = get("helper_profile") or {}
    aws_prof = get("profile") or {}
    if prof.get("auth_type") == "idc" or (
        not aws_prof.get("credential_process") and ("sso_session" in aws_prof or "sso_start_url" in aws_prof)
    ):
        return (
            "IAM Identity Center: AWS credentials come from the SSO token cache, never from an OIDC ID token, "
            "so the token and trust checks do not apply"
        )
    if get("token_cache_files"):
        return None  # a cache exists but gave no usable token: the warning says why
    name = prof.get("profile_name") or get("helper_profile_name") or "ClaudeCode"
    refresh = facts.paths.session_dir / f"{name}-refresh.json"
    logged_in = f"; the helper's refresh file {refresh} shows it has logged in" if refresh.is_file() else ""
    if prof.get("credential_storage") == "keyring":
        return (
            'no ID token on disk: with credential_storage "keyring" the helper keeps it in the OS keyring '
            f"(service claude-code-with-bedrock), which the doctor does not read offline{logged_in}; {GIVE_TOKEN}"
        )
    if logged_in:
        return f"no cached ID token (it is renewed on the helper's next run{logged_in}); {GIVE_TOKEN}"
    return (
        "no cached ID token: the helper has not logged in yet on this machine (normal for a fresh "
        f"install: it logs in on Claude Code's first request); {GIVE_TOKEN}"
    )


@check(
    "TOKEN-PRESENT",
    title="An ID token was obtained (given, cached by the helper, or fetched live)",
    area="token",
    severity="high",
    remediation="Pass one with --token FILE (or - for stdin), log in once with the credential helper so it "
    "caches one, or run with --live so the doctor asks the helper.",
    docs=DOCS_STS,
    needs=("token",),
)
def token_present(facts: Any) -> Outcome:
    tok = facts.token
    if not tok.found:
        where = "; ".join(tok.tried) or "no helper cache files exist"
        if facts.options.live:
            return fail(f"no ID token could be obtained ({where})", evidence={"tried": tok.tried})
        normal = _no_token_is_normal(facts)
        if normal:
            return skip(normal, evidence={"tried": tok.tried})
        return warn(
            f"no ID token found, so the token and trust checks cannot run ({where})",
            evidence={"tried": tok.tried},
        )
    ev = tok.evidence()
    origin = f"{tok.source}" + (f" ({tok.path})" if tok.path and tok.path != "-" else "")
    if not tok.decoded.ok:
        return fail(
            f"InvalidIdentityToken: the token from {origin} is not a usable JWT: {tok.decoded.error}",
            fix="Give the raw ID token (three base64url parts separated by dots), not an access token, "
            "a JWE or a JSON wrapper.",
            evidence=ev,
        )
    from ccwb_doctor.analyzers.token.jwt import structural_findings

    shape = [f for f in structural_findings(tok.decoded) if f.code in SHAPE_CODES]
    if shape:
        ev["findings"] = [f.to_dict() for f in shape]
        return fail(
            f"{shape[0].sts_error}: the token from {origin} has the wrong shape: {shape[0].message}",
            fix="Use the IdP's OIDC ID token (openid scope), issued by an https:// issuer.",
            evidence=ev,
        )
    c = tok.claims
    return ok(
        f"ID token from {origin}: iss={c.get('iss')!r} sub={c.get('sub')!r} aud={c.get('aud')!r}", evidence=ev
    )


@check(
    "TOKEN-SIGNATURE",
    title="The token verifies against the issuer's JWKS with an algorithm STS accepts",
    area="token",
    severity="high",
    remediation="Configure the IdP application to sign ID tokens with RS256 (or RS384/RS512/ES256/ES384/ES512), "
    "publish the key in the JWKS named by <iss>/.well-known/openid-configuration, and put its kid in the header.",
    docs=DOCS_OIDC,
    needs=("token", "token_keys"),
)
def token_signature(facts: Any) -> Outcome:
    tok, skipped = _token_or_skip(facts)
    if skipped:
        return skipped
    from ccwb_doctor.analyzers.token.jwt import alg_findings
    from ccwb_doctor.analyzers.token.signature import jwks_findings, signing_keys, verify_signature

    d = tok.decoded
    ev: dict[str, Any] = {"alg": d.alg, "kid": d.kid, "iss": d.iss}
    bad = alg_findings(d)
    if bad:
        return fail(f"InvalidIdentityToken: {bad[0].message}", evidence=ev)
    if facts.options.offline:
        return skip(
            f"offline: algorithm {d.alg} is one STS accepts; the signature needs the issuer's JWKS "
            "(run without --offline to verify it)",
            evidence=ev,
        )
    if not d.iss:
        return fail(
            "InvalidIdentityToken: Missing a required claim: iss (no issuer to find the keys)", evidence=ev
        )
    keys = facts.token_keys
    ev.update(keys.evidence())
    if keys.error:
        if keys.network:
            return warn(
                f"could not fetch the issuer's keys from this machine: {keys.error}; STS fetches them "
                "from AWS, so this may be a local network problem (see NET-IDP)",
                fix="Check the proxy/firewall path to the IdP, or run with --offline.",
                evidence=ev,
            )
        return fail(
            "InvalidIdentityToken: Couldn't retrieve verification key from your identity provider: "
            f"{keys.error}",
            evidence=ev,
        )
    jwks = keys.keyset.jwks
    count = len(signing_keys(jwks))
    if d.kid is None and count > 1:
        return fail(
            f"InvalidIdentityToken: the token header has no 'kid' and the issuer's JWKS holds {count} "
            "signing keys; STS needs the kid to pick one",
            evidence=ev,
        )
    res = verify_signature(d, jwks)
    ev["verification"] = res.to_dict()
    if not res.valid:
        extra = " (after one JWKS refetch for the unknown kid)" if keys.refetched else ""
        return fail(f"InvalidIdentityToken: {res.reason}{extra}", evidence=ev)
    too_many = jwks_findings(jwks)
    if too_many:
        return fail(
            f"InvalidIdentityToken: {too_many[0].message}; tokens may fail to verify at STS", evidence=ev
        )
    return ok(f"{res.reason} from {keys.keyset.jwks_uri}", evidence=ev)


def _refresh_story(facts: Any) -> tuple[bool, list[str]]:
    """Can the helper get a fresh ID token without the user? (refresh token cache, awsAuthRefresh hook)"""
    how: list[str] = []
    paths = facts.peek("paths")
    hp = facts.peek("helper_profile") or {}
    name = hp.get("profile_name") or facts.peek("helper_profile_name") or "ClaudeCode"
    if paths is not None and (paths.session_dir / f"{name}-refresh.json").is_file():
        how.append("a cached refresh token")
    settings = facts.peek("claude_settings")
    if settings is not None and settings.merged.get("awsAuthRefresh"):
        how.append("Claude Code's awsAuthRefresh hook")
    return bool(how), how


def _stale_cache(
    facts: Any, tok: Any, what: str, refresh: bool, how: list[str], ev: dict[str, Any]
) -> Outcome | None:
    """A helper cache holding its last, expired token is normal; None when it is a real failure (the
    helper was asked for a current token and was handed an expired one again)."""
    ev.update(silent_refresh=how, cache=tok.source)
    asked = tok.meta.get("refresh_error")
    if asked is None:  # not --live: the helper was not asked
        if refresh:
            return ok(
                f"the cached token {what}; that is normal between sessions: the helper gets a new one "
                f"silently via {', '.join(how)} (run with --live to check a current token)",
                evidence=ev,
            )
        return warn(
            f"the cached token {what} and there is no silent refresh: the next credential refresh needs an "
            "interactive sign-in",
            fix="Enable refresh tokens (offline_access) for the IdP application, or Claude Code's awsAuthRefresh.",
            evidence=ev,
        )
    ev["helper"] = asked
    if "expired" in str(asked).lower():
        return None
    return warn(
        f"the cached token {what}, and the helper could not get a current one ({asked}): see LIVE-CREDENTIALS",
        evidence=ev,
    )


@check(
    "TOKEN-EXPIRY",
    title="exp/iat/nbf hold against the clock (with STS's 5-minute skew) and the session can last a working day",
    area="token",
    severity="medium",
    remediation="Log in again to get a fresh token; if times are off, synchronise this machine's clock (NTP).",
    docs=DOCS_OIDC,
    needs=("token", "role", "claude_settings"),
)
def token_expiry(facts: Any) -> Outcome:
    tok, skipped = _token_or_skip(facts)
    if skipped:
        return skipped
    from ccwb_doctor.analyzers.token.jwt import time_verdict

    now = float(facts.options.extra.get("now", time.time()))  # type: ignore[arg-type]
    tv = time_verdict(tok.claims, now)
    ev: dict[str, Any] = tv.to_dict()
    refresh, how = _refresh_story(facts)
    if tv.problems:
        p = tv.problems[0]
        more = f" (and {len(tv.problems) - 1} more)" if len(tv.problems) > 1 else ""
        from ccwb_doctor.facts.token import CACHE_SOURCES

        if p.code == "expired" and not more and tok.source in CACHE_SOURCES:
            stale = _stale_cache(facts, tok, p.message, refresh, how, ev)
            if stale is not None:
                return stale
        asked = tok.meta.get("refresh_error")
        said = f"; asked for a current token, the helper says: {asked}" if asked else ""
        return fail(f"{p.sts_error}: {p.message}{more}{said}", evidence=ev)
    if tv.implausible:
        return warn(
            f"token {'; '.join(tv.implausible)}: the IdP issues a bogus lifetime, so no expiry can be "
            "judged (AWS may reject or mis-handle it)",
            fix="Fix the token lifetime in the IdP's application settings (minutes to hours, not centuries).",
            evidence=ev,
        )
    rem = tv.remaining or 0
    role = facts.peek("role")
    session = (role.requested_duration if role and role.requested_duration else None) or 3600
    ev.update(session_seconds=session, silent_refresh=how)
    life = f"valid for {rem // 60} min more" if rem >= 0 else f"past exp by {-rem} s but within the skew"
    if rem < HELPER_MIN_LEFT and not refresh:
        return warn(
            f"token {life}; the helper will not reuse an ID token with under 10 min left and has no "
            "silent refresh, so the next credential refresh opens a browser",
            evidence=ev,
        )
    if facts.peek("helper_profile") and session + max(rem, 0) < WORKING_DAY and not refresh:
        return warn(
            f"token {life}; sessions last {session // 60} min and there is no silent refresh "
            "(no refresh token, no awsAuthRefresh), so Claude Code loses credentials mid-day",
            fix="Raise the role's MaxSessionDuration and the helper's max_session_duration (up to 43200), "
            "or enable refresh tokens / awsAuthRefresh.",
            evidence=ev,
        )
    tail = f"; silent refresh via {', '.join(how)}" if how else ""
    return ok(f"token {life} (exp {ev['exp']}){tail}", evidence=ev)
