"""The doctor's TRUST-*, REGION-ALIGNMENT and MODEL-* verdicts (``analyzers/*/verdicts.py``) fed from synthetic
facts the way its checks feed them: conform judges with the same logic as ``ccwb-doctor run``, without
importing a check.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.model import Outcome


def _claims(facts: Any) -> tuple[dict[str, Any], Outcome | None]:
    from ccwb_doctor.analyzers.trust.verdicts import claims_or_skip

    return claims_or_skip(facts.token, facts.peek("helper_profile"), lambda: facts.peek("trust_policy"))


def trust_issuer(facts: Any) -> Outcome:
    from ccwb_doctor.analyzers.trust.verdicts import issuer_verdict

    claims, skipped = _claims(facts)
    if skipped:
        return skipped
    return issuer_verdict(claims, facts.oidc_provider, facts.trust_policy, facts.role.arn)


def trust_audience(facts: Any) -> Outcome:
    from ccwb_doctor.analyzers.trust.verdicts import audience_verdict

    claims, skipped = _claims(facts)
    if skipped:
        return skipped
    return audience_verdict(claims, facts.oidc_provider, facts.peek("trust_eval"))


def trust_conditions(facts: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.trust.verdicts import conditions_verdict

    _, skipped = _claims(facts)
    if skipped:
        return [skipped]
    return conditions_verdict(facts.trust_policy, lambda: facts.trust_eval)


def trust_tagsession(facts: Any) -> Outcome:
    from ccwb_doctor.analyzers.trust.verdicts import tagsession_verdict

    claims, skipped = _claims(facts)
    if skipped:
        return skipped
    return tagsession_verdict(
        claims, lambda: facts.peek("trust_eval"), lambda te, action: te.decide(facts, action)
    )


def region_alignment(facts: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.bedrock.verdicts import region_alignment_verdicts

    return region_alignment_verdicts(
        lambda: facts.regions, lambda: facts.model_config.targets(), lambda: facts.profiles_table
    )


def model_id(facts: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.bedrock.verdicts import model_id_verdicts

    return model_id_verdicts(facts.model_config, lambda: facts.profiles_table)


def model_permission(facts: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.bedrock.verdicts import model_permission_verdicts

    return model_permission_verdicts(
        facts.model_config,
        lambda: facts.permission_policies,
        lambda: facts.peek("permission_policies_live_error"),
        lambda: facts.profiles_table,
        lambda: facts.scp_policies,
    )
