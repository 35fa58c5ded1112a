"""The verdicts TRUST-* (the doctor) and CONFORM-TRUST / -TAGSESSION / -SESSION-DURATION (CI) share: the
token's claims against the IAM OIDC provider and the role's trust policy, decided as STS would.

Each takes values (claims, provider, trust policy, role, the trust evaluation) and returns outcomes;
a value that is costly or may fail is passed as a callable and asked for only when the verdict needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ccwb_doctor.model import Outcome, error, fail, ok, skip, warn

NO_TRUST = "no trust policy (give --trust-policy FILE, --template FILE, or --live with the helper's role ARN)"


def claims_or_skip(
    tok: Any, helper_profile: dict[str, Any] | None, trust: Any
) -> tuple[dict[str, Any], Outcome | None]:
    """The token's claims to judge, or the skip outcome when there is none to judge (no decodable token;
    Cognito identity-pool federation, where STS never sees this token). ``trust`` is the trust policy fact
    or a callable asked for it only when there is a token."""
    if not tok.found or not tok.decoded.ok:
        return {}, skip("no decodable ID token (see TOKEN-PRESENT)")
    if callable(trust):
        trust = trust()
    hp = helper_profile or {}
    feds = trust.federated() if trust is not None else []
    if hp.get("federation_type") == "cognito" or (
        feds and all(f.startswith("cognito-identity") for f in feds)
    ):
        return {}, skip(
            "Cognito identity-pool federation: STS receives a Cognito token, not this ID token, so "
            "the IdP token is not judged against the role's trust policy"
        )
    return tok.claims, None


def issuer_mismatch(iss: str, url: str) -> str:
    """Why two issuer strings differ, in the terms people search for."""
    from ccwb_doctor.analyzers.trust.webid import provider_prefix

    a, b = provider_prefix(iss), provider_prefix(url)
    if a.rstrip("/") == b.rstrip("/"):
        return (
            "they differ only by a trailing slash; STS compares exactly (Auth0 issuers end with '/', "
            "Azure v2.0, Okta and Cognito issuers do not)"
        )
    if a.lower() == b.lower():
        return "they differ only in letter case; provider URLs are case-sensitive"
    okta = _okta_servers(a, b)
    if okta:
        return okta
    if iss.startswith("http://"):
        return "the token's issuer is http://; IAM providers and STS require https://"
    return "they name different providers"


def _okta_servers(a: str, b: str) -> str | None:
    """Okta's two kinds of authorization server on one host (also on a custom domain): the org server
    issues ``https://<host>``, a custom server ``https://<host>/oauth2/<server id>`` (e.g. ``default``)."""
    host_a, _, path_a = a.rstrip("/").partition("/")
    host_b, _, path_b = b.rstrip("/").partition("/")
    if host_a.lower() != host_b.lower():
        return None
    custom_a, custom_b = path_a.startswith("oauth2/"), path_b.startswith("oauth2/")
    if custom_a and custom_b and path_a != path_b:
        return (
            f"two different Okta custom authorization servers ({path_a.split('/', 1)[1]!r} in the token, "
            f"{path_b.split('/', 1)[1]!r} registered): each server has its own issuer; register the provider "
            "for the server that issues the token, or point the helper at the registered one"
        )
    if (custom_a and not path_b) or (custom_b and not path_a):
        org, custom = (b, a) if custom_a else (a, b)
        return (
            f"Okta org authorization server (iss https://{org}) vs custom authorization server "
            f"(iss https://{custom}): register the provider for the server that issues the token, or "
            "point the helper at the other server"
        )
    return None


def issuer_verdict(claims: dict[str, Any], provider: Any, trust: Any, role_arn: str | None) -> Outcome:
    """TRUST-ISSUER: iss equals the provider URL exactly and the trust principal names that provider."""
    from ccwb_doctor.analyzers.trust.webid import prefix_from_principal, provider_prefix

    iss = claims.get("iss")
    if not isinstance(iss, str):
        return fail("InvalidIdentityToken: Missing a required claim: iss")
    ev: dict[str, Any] = {
        "iss": iss,
        "provider": provider.evidence() if provider else None,
        "trust": trust.evidence() if trust else None,
    }
    if (provider is None or not provider.url) and trust is None:
        return skip(
            "no provider URL to compare with (give --provider-url, --template, --trust-policy or a "
            "helper config.json)",
            evidence=ev,
        )
    if provider is not None and provider.url and provider.url != iss:
        src = provider.sources.get("url", "?")
        return fail(
            f"InvalidIdentityToken: No OpenIDConnect provider found in your account for {iss}: the "
            f"provider URL ({src}) is {provider.url!r}; {issuer_mismatch(iss, provider.url)}",
            fix=None,
            evidence=ev,
        )
    if trust is not None:
        feds = trust.federated()
        want = provider_prefix(iss)
        if not any(prefix_from_principal(f) == want for f in feds):
            named = ", ".join(feds) or "no Federated principal"
            return fail(
                f"AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity: the trust policy "
                f"trusts {named}, not the provider for {iss} (…:oidc-provider/{want})",
                fix=None,
                evidence=ev,
            )
        accounts = {f.split(":")[4] for f in feds if f.startswith("arn:") and f.count(":") >= 5}
        role_acct = (role_arn or "").split(":")[4] if (role_arn or "").count(":") >= 5 else None
        if role_acct and accounts and role_acct not in accounts:
            return fail(
                f"AccessDenied: the role is in account {role_acct} but the trusted provider is in "
                f"{', '.join(sorted(accounts))}; the provider and the role must be in the same account",
                fix=None,
                evidence=ev,
            )
    return ok(
        f"iss {iss!r} matches the provider" + (" and the trust principal" if trust else ""), evidence=ev
    )


def audience_verdict(claims: dict[str, Any], provider: Any, te: Any) -> Outcome:
    """TRUST-AUDIENCE: aud is in the client-id list and satisfies any :aud condition (``te``: the trust
    policy evaluated for the token, or None)."""
    from ccwb_doctor.analyzers.token.jwt import audiences, effective_audience

    auds = audiences(claims)
    aud = effective_audience(claims)
    ev: dict[str, Any] = {
        "aud": claims.get("aud"),
        "azp": claims.get("azp"),
        "effective_audience": aud,
        "client_ids": provider.client_ids if provider else None,
    }
    if not auds:
        return fail("InvalidIdentityToken: Missing a required claim: aud", fix=None, evidence=ev)
    if aud is None:
        return fail(
            f"InvalidIdentityToken: Incorrect token audience: {len(auds)} audiences and no azp claim "
            "naming the client",
            fix="Request a token with a single audience, or make the IdP add azp.",
            evidence=ev,
        )
    checked: list[str] = []
    if provider is not None and provider.client_ids:
        if aud not in provider.client_ids:
            return fail(
                f"InvalidIdentityToken: Incorrect token audience: {aud!r} is not in the provider's "
                f"client-id list {provider.client_ids}",
                fix=None,
                evidence=ev,
            )
        checked.append("in the client-id list")
    if te is not None:
        failed = [
            (t, c)
            for t in te.decision.traces
            if t.effect == "Allow" and t.action_matched and t.principal_matched
            for c in t.conditions
            if c.key.lower().endswith((":aud", ":oaud")) and not c.result
        ]
        passed = [
            c
            for t in te.decision.traces
            for c in t.conditions
            if c.key.lower().endswith((":aud", ":oaud")) and c.result
        ]
        ev["aud_conditions"] = [
            {
                "statement": t.label,
                "operator": c.operator,
                "key": c.key,
                "expected": c.expected,
                "actual": c.actual,
            }
            for t, c in failed
        ]
        if failed and not passed:
            t, c = failed[0]
            return fail(
                f"AccessDenied: {t.label}: {c.operator} {c.key} expects {c.expected}, the token gives "
                f"{c.actual!r}",
                fix=None,
                evidence=ev,
            )
        if passed:
            checked.append("satisfies the :aud condition")
    if not checked:
        return skip(
            f"aud {aud!r}: no client-id list or :aud condition to compare with (give --client-id, "
            "--template or --trust-policy)",
            evidence=ev,
        )
    return ok(f"aud {aud!r} " + " and ".join(checked), evidence=ev)


def _explain(te: Any) -> list[str]:
    return te.decision.explain()[:40]


def conditions_verdict(trust: Any, trust_eval: Callable[[], Any]) -> list[Outcome]:
    """TRUST-CONDITIONS: the whole trust policy, evaluated on the token's claims (``trust_eval()``, asked
    only once the policy is known to be usable), allows sts:AssumeRoleWithWebIdentity."""
    from ccwb_doctor.analyzers.trust.webid import condition_keys, federated_principals, prefix_from_principal

    if trust is None:
        return [skip(NO_TRUST)]
    if trust.policy is None:
        return [error(f"the trust policy cannot be evaluated: {trust.error}", evidence=trust.evidence())]
    prohibited = _prohibited_in_trust(trust.document)
    if prohibited:
        return [
            error(
                f"MalformedPolicyDocument: {prohibited}: IAM refuses such a role trust policy, so it cannot be "
                "the role's policy (check the file)",
                evidence=trust.evidence(),
            )
        ]
    te = trust_eval()
    d = te.decision
    ev: dict[str, Any] = {
        "principal": te.principal,
        "context": te.context,
        "decision": d.reason,
        "explanation": _explain(te),
        "unexposed": [u.to_dict() for u in te.unexposed],
        "notes": te.notes,
    }
    if d.errors and not d.allowed:
        return [error(f"the trust policy has a malformed statement: {d.errors[0]}", evidence=ev)]
    never = [u for u in te.unexposed if not u.always]
    if not d.allowed:
        why = _deny_reason(d)
        hint = f"; {never[0].message}" if never else ""
        return [
            fail(
                f"AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity: {why}{hint}",
                fix=None,
                evidence=ev,
            )
        ]
    outs: list[Outcome] = []
    loose = []
    for t in d.deciding:
        st = trust.policy.statements[t.index].raw if t.index < len(trust.policy.statements) else {}
        feds = [f for f in federated_principals(st) if f.startswith("arn:")]
        keys = [k.lower() for k in condition_keys(st)]
        for f in feds:
            pre = prefix_from_principal(f).lower()
            if not any(k in (f"{pre}:aud", f"{pre}:sub") for k in keys):
                loose.append(f"{t.label} trusts {f} with no :aud or :sub condition")
    if loose:
        outs.append(
            warn(
                "allowed, but Access Analyzer would warn (Missing condition key for oidc principal): "
                f"{loose[0]}; any token the provider issues to any of its client ids can assume the role",
                fix="Add a StringEquals condition on <provider>:aud (the client id) and/or <provider>:sub.",
                evidence=ev,
            )
        )
    always = [u for u in te.unexposed if u.always]
    if always:
        outs.append(warn(f"allowed, but {always[0].message}", fix=None, evidence=ev))
    return outs or [
        ok(f"the trust policy allows sts:AssumeRoleWithWebIdentity ({d.deciding[0].label})", evidence=ev)
    ]


def _prohibited_in_trust(doc: Any) -> str | None:
    """Elements a role trust policy may not have (iam_research §4: a Resource element, NotPrincipal)."""
    stmts = doc.get("Statement") if isinstance(doc, dict) else None
    stmts = [stmts] if isinstance(stmts, dict) else stmts if isinstance(stmts, list) else []
    for i, st in enumerate(stmts):
        if not isinstance(st, dict):
            continue
        names = {str(k).lower(): str(k) for k in st}
        label = f"statement #{i}" + (f" (Sid {st['Sid']})" if isinstance(st.get("Sid"), str) else "")
        for bad in ("resource", "notresource"):
            if bad in names:
                return f"{label} has prohibited field {names[bad]}"
        if "notprincipal" in names:
            return f"{label} uses NotPrincipal, which role trust policies do not support"
    return None


def _deny_reason(d: Any) -> str:
    if d.reason == "explicit-deny" and d.deciding:
        t = d.deciding[0]
        return f"explicit Deny in {t.label}"
    cands = [t for t in d.traces if t.effect == "Allow"]
    for t in cands:
        if t.action_matched and t.principal_matched and t.failed_conditions():
            c = t.failed_conditions()[0]
            owner = " (the audience: see TRUST-AUDIENCE)" if str(c.key).lower().endswith(":aud") else ""
            return (
                f"{t.label}: condition {c.operator} {c.key} expects {c.expected}, the token gives "
                f"{c.actual!r}" + (f" [{c.note}]" if c.note else "") + owner
            )
    if any(t.action_matched and not t.principal_matched for t in cands):
        return "no Allow statement names this provider as its Federated principal"
    if cands and not any(t.action_matched for t in cands):
        return (
            "no Allow statement grants sts:AssumeRoleWithWebIdentity (sts:AssumeRole is a different action)"
        )
    return "no statement allows it (implicit deny)"


def tagsession_verdict(
    claims: dict[str, Any], trust_eval: Callable[[], Any], decide: Callable[[Any, str], Any]
) -> Outcome:
    """TRUST-TAGSESSION: a tags claim is well-formed and the trust policy allows sts:TagSession
    (sts:SetSourceIdentity) when sent; ``trust_eval()`` is the trust policy evaluated for the token (or
    None), ``decide(te, action)`` evaluates another action for the same request."""
    from ccwb_doctor.analyzers.token.jwt import (
        SOURCE_IDENTITY_CLAIM,
        TAGS_CLAIM,
        session_tags,
        source_identity_findings,
        tags_findings,
    )

    has_tags, has_si = TAGS_CLAIM in claims, SOURCE_IDENTITY_CLAIM in claims
    ev: dict[str, Any] = {
        "tags": session_tags(claims.get(TAGS_CLAIM)) if has_tags else None,
        "source_identity": claims.get(SOURCE_IDENTITY_CLAIM),
    }
    if not has_tags and not has_si:
        return ok(
            "the token carries no session tags or source identity, so sts:TagSession is not needed",
            evidence=ev,
        )
    problems = (tags_findings(claims[TAGS_CLAIM]) if has_tags else []) + (
        source_identity_findings(claims[SOURCE_IDENTITY_CLAIM]) if has_si else []
    )
    ev["findings"] = [p.to_dict() for p in problems]
    if problems:
        return fail(
            f"{problems[0].sts_error}: {problems[0].message}",
            fix="Send each tag as "
            '{"principal_tags": {"Key": ["value"]}}; at most 50 tags, keys <= 128 and values <= 256 '
            "characters; transitive_tag_keys must name sent tags.",
            evidence=ev,
        )
    te = trust_eval()
    if te is None:
        return skip("the tags claim is well-formed; " + NO_TRUST + " to check sts:TagSession", evidence=ev)
    if not te.decision.allowed:
        return skip(
            "the tags claim is well-formed; sts:TagSession is not judged while the trust policy denies "
            "sts:AssumeRoleWithWebIdentity itself (see TRUST-CONDITIONS)",
            evidence=ev,
        )
    needed = (["sts:TagSession"] if has_tags else []) + (["sts:SetSourceIdentity"] if has_si else [])
    for action in needed:
        dec = decide(te, action)
        if not dec.allowed:
            ev["explanation"] = dec.explain()[:30]
            what = "session tags" if action == "sts:TagSession" else "a source identity"
            return fail(
                f"AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity: the token sends "
                f"{what} but the trust policy does not allow {action} ({dec.reason})",
                fix=None,
                evidence=ev,
            )
    return ok(
        f"the trust policy allows {' and '.join(needed)} for the token's "
        + ("tags" if has_tags else "source identity"),
        evidence=ev,
    )


def session_duration_verdict(role: Any) -> Outcome:
    """TRUST-SESSION-DURATION: the requested duration is within 900..43200 s and the role's maximum."""
    ev = role.evidence()
    req, cap = role.requested_duration, role.max_session_duration
    if cap is not None and not 3600 <= cap <= 43200:
        return fail(
            f"the role's MaxSessionDuration {cap} s is outside IAM's 3600..43200", fix=None, evidence=ev
        )
    if req is None:
        return skip("no requested duration known (the helper config's max_session_duration)", evidence=ev)
    if not 900 <= req <= 43200:
        return fail(
            f"ValidationError: DurationSeconds {req} is outside STS's 900..43200", fix=None, evidence=ev
        )
    if cap is None:
        return skip(
            f"requested {req} s is within 900..43200, but the role's MaxSessionDuration is unknown "
            "(give --template, `aws iam get-role` output via --trust-policy, or --live)",
            evidence=ev,
        )
    if req > cap:
        return fail(
            f"ValidationError: The requested DurationSeconds ({req}) exceeds the MaxSessionDuration set "
            f"for this role ({cap}); every AssumeRoleWithWebIdentity call fails",
            fix=None,
            evidence=ev,
        )
    return ok(f"requested {req} s <= the role's MaxSessionDuration {cap} s", evidence=ev)
