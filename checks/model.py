"""MODEL-ID and MODEL-PERMISSION: the configured models are real, and the role may invoke every leg.

MODEL-PERMISSION computes the exact requests Bedrock authorizes (analyzers.bedrock.matrix) for each configured
model from Claude Code's region and evaluates them against the identity policies and SCPs.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.model import InputError, Outcome, error, fail, ok, skip, warn
from ccwb_doctor.registry import check

DOCS_IDS = "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html"
DOCS_IAM = "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html"


def _id_outcome(m: Any, table: Any) -> Outcome:
    ev = {"model": m.to_dict(), "table": table.to_dict()}
    if m.kind == "invalid":
        return fail(
            f"{m.label}: {m.problem}",
            "Use a Bedrock model id such as us.anthropic.claude-sonnet-4-6, or an ARN.",
            ev,
        )
    if m.kind == "alias":
        return warn(f"{m.label} is an alias that depends on the Claude Code release", None, ev)
    dep = f" ({m.var} is deprecated: use ANTHROPIC_DEFAULT_HAIKU_MODEL)" if m.deprecated else ""
    if m.kind == "app-profile-arn":
        targets = table.application_profiles.get(str(m.arn))
        if targets:
            shown = ", ".join(t.split(":", 5)[-1] for t in targets[:2])
            more = f" and {len(targets) - 2} more" if len(targets) > 2 else ""
            what = f"routes to {shown}{more}"
        else:
            what = "its models are resolvable only with --live"
        return (warn if dep else ok)(f"{m.label} is an application inference profile ({what}){dep}", ev)
    mid = m.model_id
    if mid is None:  # pragma: no cover - every other kind carries a model id
        return error(f"{m.label}: no model id")
    if not mid.is_anthropic:
        return warn(f"{m.label} is not an Anthropic model (provider {mid.provider})", None, ev)
    live = "live" in table.source
    if not table.base_models(mid.base):
        msg = f"{m.label}: {mid.base} is not a Claude model in the profile table (data as of {table.data_as_of})"
        fix = "Check the id with `aws bedrock list-inference-profiles`; newer models: run with --live or point CCWB_DOCTOR_PROFILES_FILE at a newer table."
        return (fail if live else warn)(msg, fix, ev)
    if mid.geography:
        found = table.profile(mid.raw)
        if found is None:
            geos = sorted({g for e in table.base_models(mid.base) for g in e.profiles})
            return fail(
                f"{m.label}: {mid.base} has no {mid.geography}. inference profile (offered: {', '.join(geos)})",
                f"Use one of: {', '.join(f'{g}.{mid.base}' for g in geos)}.",
                ev,
            )
        entry, _ = found
        return (warn if dep else ok)(
            f"{m.label} is the {mid.geography} inference profile of {entry.name}{dep}", ev
        )
    return warn(
        f"{m.label} is a bare foundation-model id: Claude models on Bedrock are invoked through an inference "
        f"profile (e.g. us.{mid.base}); direct on-demand invocation may be refused{dep}",
        f"Use a geography-prefixed id such as us.{mid.base} or global.{mid.base}.",
        ev,
    )


@check(
    "MODEL-ID",
    title="Each configured model id is a known Claude model or inference profile",
    area="model",
    severity="high",
    remediation="Set ANTHROPIC_MODEL / ANTHROPIC_DEFAULT_*_MODEL to inference profile ids such as "
    "us.anthropic.claude-sonnet-4-6 (or application inference profile ARNs).",
    docs=DOCS_IDS,
    needs=("claude_env", "profiles_table"),
)
def model_id(facts: Any) -> list[Outcome]:
    mc = facts.model_config
    try:
        table = facts.profiles_table
    except InputError as exc:
        return [error(str(exc))]
    if not mc.models:
        return [skip("no model is pinned (" + "; ".join(mc.notes) + ")", {"notes": mc.notes})]
    out = [_id_outcome(m, table) for m in mc.models]
    if any(m.kind == "alias" for m in mc.models):
        out.append(ok("aliases: " + "; ".join(n for n in mc.notes if "alias" in n), {"notes": mc.notes}))
    return out


def _account(facts: Any, pp: Any) -> str | None:
    from ccwb_doctor.analyzers.bedrock.catalog import account_of_role_arn

    got = account_of_role_arn(pp.role_arn) if pp is not None else None
    return got[1] if got else None


def _permission_outcome(
    m: Any, ev_: Any, table: Any, account: str | None, base_ev: dict[str, Any]
) -> Outcome:
    from ccwb_doctor.analyzers.bedrock.matrix import plan_requests

    region = m.region or "us-east-1"
    plan = plan_requests(m.value, region, table, account)
    if plan.problems:
        return skip(
            f"{m.label}: requests cannot be computed ({'; '.join(plan.problems)}); see REGION-ALIGNMENT / MODEL-ID"
        )
    verdict = ev_.evaluate(plan)
    ev = {**base_ev, **verdict.to_dict()}
    if verdict.errors:
        return error(f"{m.label}: a policy statement could not be evaluated: {verdict.errors[0][7:]}", ev)
    if verdict.allowed:
        note = f" ({'; '.join(plan.notes)})" if plan.notes else ""
        return ok(f"{verdict.summary()}{note}", ev)
    first = verdict.denied[0]
    why = first.statement or "; ".join(first.detail[:1]) or "no Allow statement matches"
    unresolved = [
        n for n in base_ev["policies"]["notes"] if n.startswith("template parameters without a value")
    ]
    hint = f" ({unresolved[0].split(':')[0]})" if unresolved else ""
    return fail(f"{verdict.summary()}; {why}{hint}", _fix(verdict), ev)


def _fix(verdict: Any) -> str:
    """One fix line for the denied legs of a plan."""
    denied = verdict.denied
    deniers = sorted({v.statement for v in denied if v.statement})
    if deniers:
        return f"Narrow the denying statement(s) so these requests are not matched: {'; '.join(deniers)}."
    legs = verdict.denied_legs()
    parts = []
    regional = sorted(
        {leg.region for leg in legs if leg.kind.startswith("model") and leg.region != "unspecified"}
    )
    if regional:
        parts.append(
            f"the foundation model in {', '.join(regional)} (its ARN in Resource and the region in any "
            "aws:RequestedRegion condition)"
        )
    glob = [leg for leg in legs if leg.kind == "model-global"]
    if glob:
        parts.append(
            f"{glob[0].resource} with no aws:RequestedRegion condition (the global leg is 'unspecified')"
        )
    for leg in legs:
        if leg.kind in ("profile", "app-profile"):
            parts.append(f"{leg.resource}")
    return (
        "Allow bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on "
        + "; and on ".join(parts)
        + "."
    )


@check(
    "MODEL-PERMISSION",
    title="The permission policy allows every request Bedrock authorizes for each configured model",
    area="model",
    severity="critical",
    remediation="Grant InvokeModel and InvokeModelWithResponseStream on the inference profile in the source "
    "region and on the foundation model in every destination region (and the region-less ARN for global.).",
    docs=DOCS_IAM,
    needs=("claude_env", "permission_policies", "scp_policies", "profiles_table"),
)
def model_permission(facts: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.bedrock.matrix import MatrixEvaluator

    mc = facts.model_config
    if mc.gateway:
        return [
            skip(
                f"gateway mode: {mc.gateway_reason}; the gateway's own credentials are what Bedrock authorizes"
            )
        ]
    pp = facts.permission_policies
    if pp is None:
        live_err = facts.peek("permission_policies_live_error")
        why = f" (IAM: {live_err})" if live_err else ""
        return [
            skip(
                "no permission policy available: pass --permissions-policy FILE, --template FILE, or --live with IAM "
                f"read access{why}"
            )
        ]
    targets = mc.targets()
    if not targets:
        return [skip("no concrete model is configured to check (" + "; ".join(mc.notes) + ")")]
    table = facts.profiles_table
    scps = facts.scp_policies
    ev_ = MatrixEvaluator(pp.policies, scps)
    base_ev = {"policies": pp.evidence(), "scps": [p.name for p in scps], "evaluator_notes": ev_.notes}
    account = _account(facts, pp)
    return [_permission_outcome(m, ev_, table, account, base_ev) for m in targets]
