"""What Claude Code calls on Bedrock besides the prompt, per release, and which denials are fatal (pure).

Measured with the real binary (Claude Code 2.1.332, docs/claude-code-endpoints.md):

- ``bedrock:ListInferenceProfiles`` at start-up: on any failure it falls back to its built-in model list
  (**degrades**);
- ``bedrock:InvokeModel`` probes of each candidate of every tier that is not pinned (the opus tier when only
  ``ANTHROPIC_MODEL`` and the Haiku tier are pinned): a denied probe prints one warning line and Claude Code
  falls back to another model (**degrades**);
- ``bedrock:InvokeModelWithResponseStream`` of the model the prompt uses: the prompt itself (**fatal**);
- unpinned (``ANTHROPIC_MODEL`` unset) it calls the release's default model, and when that probe fails it
  falls back to Sonnet 4.5.

``RELEASES`` is the data table (version -> behaviour); a version not in it is unknown (the default-model
verdicts skip), while the extra calls are judged as the recorded release makes them, and say so.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ccwb_doctor.analyzers.bedrock.catalog import (
    ModelIdError,
    foundation_model_arn,
    inference_profile_arn,
    parse_model_id,
)
from ccwb_doctor.analyzers.bedrock.models import TIER_VARS
from ccwb_doctor.analyzers.bedrock.plan import Leg, Plan, plan_requests
from ccwb_doctor.records import record

LIST_PROFILES = "bedrock:ListInferenceProfiles"
INVOKE = "bedrock:InvokeModel"
STREAM = "bedrock:InvokeModelWithResponseStream"


@record(frozen=True)
class Release:
    version: str
    default_tier: str  # the tier Claude Code uses when ANTHROPIC_MODEL is unset
    default_model: str  # that tier's built-in model when the tier is not pinned
    fallback_model: str  # what it uses when the default model's probe fails
    probes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # tier -> candidates probed unpinned
    measured_region: str = "us-east-1"


_OPUS_PROBES_2_1_332 = (
    "us.anthropic.claude-opus-5-5",
    "us.anthropic.claude-opus-5",
    "us.anthropic.claude-opus-4-8",
    "us.anthropic.claude-opus-4-7",
    "us.anthropic.claude-opus-4-6-v1",
    "us.anthropic.claude-opus-4-5-20251101-v1:0",
    "us.anthropic.claude-opus-4-1-20250805-v1:0",
    "us.anthropic.claude-opus-4-20250514-v1:0",
)

RELEASES: dict[str, Release] = {
    "2.1.332": Release(
        "2.1.332",
        default_tier="opus",
        default_model="us.anthropic.claude-opus-5-5",
        fallback_model="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        probes={"opus": _OPUS_PROBES_2_1_332},
    ),
}
RECORDED = "2.1.332"  # the release whose calls are assumed when the installed one is unknown


def release_for(version: str | None) -> Release | None:
    """The recorded behaviour of exactly this version, or None."""
    return RELEASES.get((version or "").strip())


def _tier_of(m: Any) -> str | None:
    mid = getattr(m, "model_id", None)
    text = (mid.base if mid is not None else str(getattr(m, "value", ""))).lower()
    for tier in ("opus", "sonnet", "haiku"):
        if tier in text:
            return tier
    return None


def pinned_tiers(mc: Any) -> set[str]:
    """The tiers the configuration pins (tier variables, and the tier of ANTHROPIC_MODEL's model)."""
    out: set[str] = set()
    for m in mc.models:
        if m.kind == "invalid":
            continue
        for tier, names in TIER_VARS.items():
            if m.var in names:
                out.add(tier)
        if m.var == "ANTHROPIC_MODEL" and m.kind != "alias":
            tier = _tier_of(m)
            if tier:
                out.add(tier)
    return out


@record
class ExtraCall:
    what: str  # ListInferenceProfiles | probe
    action: str
    model: str | None
    effect: str  # degrade | fatal
    tier: str | None = None


def extra_calls(mc: Any, release: Release) -> list[ExtraCall]:
    """The calls Claude Code makes besides the prompt's stream (all of them only degrade)."""
    calls = [ExtraCall("ListInferenceProfiles", LIST_PROFILES, None, "degrade")]
    pinned = pinned_tiers(mc)
    for tier, candidates in release.probes.items():
        if tier in pinned:
            continue
        calls.extend(ExtraCall("probe", INVOKE, c, "degrade", tier) for c in candidates)
    return calls


def list_profiles_plan(region: str, account: str | None) -> Plan:
    plan = Plan("ListInferenceProfiles", region, None, account or "000000000000")
    plan.legs.append(Leg("control-plane", "*", region))
    return plan


def probe_plan(model: str, region: str, table: Any, account: str | None) -> Plan:
    """The requests of one InvokeModel probe. A geography profile the table lacks still has two certain
    legs (the profile in the source region, the foundation model there); its destinations are unknown."""
    plan = plan_requests(model, region, table, account)
    if not plan.unknown_model:
        return plan
    try:
        mid = parse_model_id(model)
    except ModelIdError:
        return plan
    if not mid.geography or mid.partition != plan.partition:
        return plan
    out = Plan(model, region, plan.partition, plan.account, notes=list(plan.notes))
    parn = inference_profile_arn(model, region, out.account, out.partition)
    out.legs.append(Leg("profile", parn, region))
    out.legs.append(Leg("model-source", foundation_model_arn(mid.base, region, out.partition), region, parn))
    out.notes.append(f"{model} is not in the profile table: only its source-region legs were checked")
    out.unknown_model = True
    return out


def judge_extra_calls(
    mc: Any,
    release: Release,
    assumed: bool,
    region: str,
    table: Any,
    account: str | None,
    make_evaluator: Any,
) -> tuple[str, dict[str, Any]]:
    """(one note, evidence) for Claude Code's extra calls evaluated against the policies.

    ``make_evaluator(actions)`` returns a ``MatrixEvaluator`` for the same identity policies and SCPs.
    """
    calls = extra_calls(mc, release)
    ev: dict[str, Any] = {
        "claude_code": release.version + (" (assumed: the installed version is unknown)" if assumed else ""),
        "region": region,
        "calls": [],
    }
    parts: list[str] = []
    lister = make_evaluator((LIST_PROFILES,))
    v = lister.evaluate(list_profiles_plan(region, account))
    ev["calls"].append({"call": "ListInferenceProfiles", "effect": "degrade", "allowed": v.allowed})
    if v.allowed:
        parts.append("ListInferenceProfiles allowed")
    else:
        why = v.denied[0].statement or "no statement allows it"
        parts.append(f"ListInferenceProfiles denied ({why}): it falls back to its built-in model list")
    prober = make_evaluator((INVOKE,))
    by_tier: dict[str, list[tuple[str, bool]]] = {}
    for c in calls:
        if c.what != "probe" or c.model is None:
            continue
        pv = prober.evaluate(probe_plan(c.model, region, table, account))
        allowed = bool(pv.verdicts) and all(x.allowed for x in pv.verdicts)
        by_tier.setdefault(c.tier or "?", []).append((c.model, allowed))
        ev["calls"].append(
            {
                "call": f"InvokeModel probe {c.model}",
                "tier": c.tier,
                "effect": "degrade",
                "allowed": allowed,
                "problems": pv.plan.problems,
                "notes": pv.plan.notes,
            }
        )
    for tier, results in by_tier.items():
        denied = [m for m, a in results if not a]
        if not denied:
            parts.append(f"{tier}-tier probes (tier not pinned): all {len(results)} allowed")
        else:
            short = ", ".join(m.split("anthropic.claude-")[-1] for m in denied[:3])
            more = f" and {len(denied) - 3} more" if len(denied) > 3 else ""
            parts.append(
                f"{len(denied)} of {len(results)} {tier}-tier probes (tier not pinned) denied ({short}{more}): "
                "one warning line, it falls back to another model"
            )
    degraded = any(not c["allowed"] for c in ev["calls"])
    ev["degraded"] = degraded
    who = (
        f"as recorded for Claude Code {release.version}, the installed version being unknown"
        if assumed
        else f"Claude Code {release.version}"
    )
    head = f"Claude Code's other calls ({who}"
    head += "; a denial there only degrades): " if degraded else "): "
    tail = "; only the prompt's InvokeModelWithResponseStream on the model it uses is fatal"
    return head + "; ".join(parts) + tail, ev
