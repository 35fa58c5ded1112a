"""The ``oidc_provider`` fact: the IAM OIDC provider the role trusts (URL and client-id list), from
--provider-url/--client-id, the template, the helper config's issuer, or IAM with --live.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.analyzers.trust.webid import prefix_from_principal, provider_prefix
from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.facts.trust import _OIDC_ARN, ProviderFact, TrustPolicyFact


def issuer_from_helper(hp: dict[str, Any]) -> str | None:
    """The issuer the helper's IdP puts in ``iss``, derived per provider_type (guidance conventions)."""
    ptype = str(hp.get("provider_type") or "auto").lower()
    domain = str(hp.get("provider_domain") or "").strip()
    for scheme in ("https://", "http://"):
        if domain.lower().startswith(scheme):
            domain = domain[len(scheme) :]
    if ptype == "generic" or hp.get("oidc_issuer_url"):
        return hp.get("oidc_issuer_url") or (f"https://{domain}" if domain else None)
    if ptype == "auto":
        d = domain.lower()
        ptype = next(
            (
                t
                for t, sfx in (
                    ("okta", ("okta.com", "oktapreview.com", "okta-emea.com")),
                    ("auth0", ("auth0.com",)),
                    ("azure", ("microsoftonline.com", "windows.net")),
                    ("google", ("accounts.google.com",)),
                    ("cognito", ("amazoncognito.com", "amazonaws.com")),
                )
                if any(d.split("/")[0].endswith(s) for s in sfx)
            ),
            "auto",
        )
    if ptype == "google":
        return "https://accounts.google.com"
    if ptype == "cognito":
        pool = hp.get("cognito_user_pool_id")
        if isinstance(pool, str) and "_" in pool:
            return f"https://cognito-idp.{pool.split('_', 1)[0]}.amazonaws.com/{pool}"
        return f"https://{domain.rstrip('/')}" if domain else None
    if not domain:
        return None
    if ptype == "auth0":
        return f"https://{domain.rstrip('/')}/"
    if ptype == "okta":
        server = hp.get("okta_auth_server_id") or hp.get("okta_auth_server")
        base = f"https://{domain.split('/')[0]}"
        return f"{base}/oauth2/{server}" if server else base
    return f"https://{domain.rstrip('/')}"


def _live_provider(facts: Facts, arn: str) -> dict[str, Any] | None:
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        from ccwb_doctor.facts import aws

        iam = aws.client(facts, "iam")
        if iam is None:
            return None
        out = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    except (ImportError, BotoCoreError, ClientError):
        return None
    return out


@fact("oidc_provider")
def _oidc_provider(facts: Facts) -> ProviderFact | None:
    opts = facts.options
    pf = ProviderFact()

    def put(name: str, value: Any, source: str) -> None:
        if value and not getattr(pf, name):
            setattr(pf, name, list(value) if isinstance(value, list | tuple) else value)
            pf.sources[name] = source

    if opts.provider_url:
        put("url", opts.provider_url, "--provider-url")
    put("client_ids", list(opts.client_ids), "--client-id")
    tpl = facts.peek("cfn_template")
    trust: TrustPolicyFact | None = facts.peek("trust_policy")
    if tpl is not None:
        trusted = set(trust.federated()) if trust is not None else set()
        provs = sorted(tpl.oidc_providers(), key=lambda p: getattr(p, "arn", None) not in trusted)
        for prov in provs:
            put("url", getattr(prov, "url", None), "--template")
            if pf.url and getattr(prov, "url", None) == pf.url:
                put("client_ids", list(getattr(prov, "client_ids", []) or []), "--template")
                put("thumbprints", list(getattr(prov, "thumbprints", []) or []), "--template")
                put("arn", getattr(prov, "arn", None), "--template")
    if trust is not None:
        for fed in trust.federated():
            if _OIDC_ARN.match(fed) and (
                pf.url is None or provider_prefix(pf.url) == prefix_from_principal(fed)
            ):
                put("arn", fed, "trust policy principal")
                put("url", "https://" + prefix_from_principal(fed), "trust policy principal")
    hp = facts.peek("helper_profile") or {}
    if hp:
        put("url", issuer_from_helper(hp), "helper config")
        put("client_ids", [hp["client_id"]] if hp.get("client_id") else [], "helper config")
    if opts.live and pf.arn and not (pf.client_ids and pf.sources.get("client_ids") != "helper config"):
        live = _live_provider(facts, pf.arn)
        if live:
            pf.client_ids = list(live.get("ClientIDList") or [])
            pf.thumbprints = list(live.get("ThumbprintList") or [])
            pf.sources.update(client_ids="live", thumbprints="live")
            if live.get("Url"):
                pf.url = "https://" + provider_prefix(str(live["Url"]))
                pf.sources["url"] = "live"
    if not (pf.url or pf.client_ids):
        return None
    return pf
