"""TRUST-*: the token against the IAM OIDC provider and the role's trust policy, decided as STS would.

The verdicts live in ``analyzers/trust/verdicts.py`` (``ccwb-doctor conform`` uses them too); each check
reads its facts and hands them over.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.analyzers.trust.verdicts import (
    audience_verdict,
    claims_or_skip,
    conditions_verdict,
    issuer_verdict,
    session_duration_verdict,
    tagsession_verdict,
)
from ccwb_doctor.model import Outcome
from ccwb_doctor.registry import check

DOCS_OIDC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html"
DOCS_KEYS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif"
DOCS_TAGS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html"


def _claims_or_skip(facts: Any) -> tuple[dict[str, Any], Outcome | None]:
    return claims_or_skip(facts.token, facts.peek("helper_profile"), lambda: facts.peek("trust_policy"))


@check(
    "TRUST-ISSUER",
    title="The token's iss equals the IAM OIDC provider URL exactly and the trust principal names that provider",
    area="trust",
    severity="critical",
    remediation="Register the IAM OIDC provider with exactly the token's iss (scheme, host, path, trailing slash) "
    'and trust it in the role: Principal {"Federated": "arn:aws:iam::<account>:oidc-provider/<iss without https://>"}.',
    docs=DOCS_OIDC,
    needs=("token", "oidc_provider", "trust_policy", "role"),
)
def trust_issuer(facts: Any) -> Outcome:
    claims, skipped = _claims_or_skip(facts)
    if skipped:
        return skipped
    return issuer_verdict(claims, facts.oidc_provider, facts.trust_policy, facts.role.arn)


@check(
    "TRUST-AUDIENCE",
    title="The token's aud is in the provider's client-id list and satisfies any :aud condition",
    area="trust",
    severity="critical",
    remediation="Add the IdP application's client id to the IAM OIDC provider's audiences (client-id list) and "
    "to any <provider>:aud condition in the trust policy.",
    docs=DOCS_KEYS,
    needs=("token", "oidc_provider", "trust_eval"),
)
def trust_audience(facts: Any) -> Outcome:
    claims, skipped = _claims_or_skip(facts)
    if skipped:
        return skipped
    return audience_verdict(claims, facts.oidc_provider, facts.peek("trust_eval"))


@check(
    "TRUST-CONDITIONS",
    title="The whole trust policy, evaluated on the token's claims, allows sts:AssumeRoleWithWebIdentity",
    area="trust",
    severity="critical",
    remediation="Make the trust policy's conditions match the token's claims (see the failed condition), or get a "
    "token whose claims match; conditions may only use documented keys (aud, sub, amr, azp).",
    docs=DOCS_KEYS,
    needs=("token", "trust_policy", "trust_eval"),
)
def trust_conditions(facts: Any) -> list[Outcome]:
    _, skipped = _claims_or_skip(facts)
    if skipped:
        return [skipped]
    return conditions_verdict(facts.trust_policy, lambda: facts.trust_eval)


@check(
    "TRUST-TAGSESSION",
    title="A tags claim is well-formed and sts:TagSession (sts:SetSourceIdentity) is allowed when sent",
    area="trust",
    severity="high",
    remediation="Allow sts:TagSession (and sts:SetSourceIdentity when the token carries a source identity) in "
    "the trust statement, and send each session tag as a single-element string array.",
    docs=DOCS_TAGS,
    needs=("token", "trust_eval"),
)
def trust_tagsession(facts: Any) -> Outcome:
    claims, skipped = _claims_or_skip(facts)
    if skipped:
        return skipped
    return tagsession_verdict(
        claims, lambda: facts.peek("trust_eval"), lambda te, action: te.decide(facts, action)
    )


@check(
    "TRUST-SESSION-DURATION",
    title="The requested session duration is within 900..43200 s and at most the role's MaxSessionDuration",
    area="trust",
    severity="medium",
    remediation="Set the helper's max_session_duration to at most the role's MaxSessionDuration (raise the "
    "role's MaxSessionDuration up to 43200 s for a working day).",
    docs="https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html",
    needs=("role",),
)
def trust_session_duration(facts: Any) -> Outcome:
    return session_duration_verdict(facts.role)
