"""The requests Bedrock authorizes for one model id from one source region (a plan of legs): the
inference profile in the source region, the foundation model in every destination region, the region-less
ARN of a global. profile, an application inference profile and the models behind it.
"""

from __future__ import annotations

import re
from dataclasses import field

from ccwb_doctor.analyzers.bedrock.catalog import (
    ArnError,
    ModelIdError,
    application_inference_profile_arn,
    foundation_model_arn,
    inference_profile_arn,
    parse_arn,
    parse_model_id,
    partition_of,
)
from ccwb_doctor.analyzers.bedrock.profiles import ProfilesTable
from ccwb_doctor.records import record

UNKNOWN_ACCOUNT = "000000000000"
UNSPECIFIED = "unspecified"
_VAR_RE = re.compile(r"\$\{([^}]+)\}")


@record(frozen=True)
class Leg:
    """One request Bedrock authorizes for a model call: the resource and the region."""

    kind: str  # profile | app-profile | model-source | model-destination | model-global | model
    resource: str
    region: str  # the aws:RequestedRegion value
    via: str | None = None  # bedrock:InferenceProfileArn in the context

    def context(self) -> dict[str, str]:
        ctx = {"aws:RequestedRegion": self.region}
        if self.via:
            ctx["bedrock:InferenceProfileArn"] = self.via
        return ctx

    def describe(self) -> str:
        names = {
            "profile": "inference profile",
            "app-profile": "application inference profile",
            "model-source": "foundation model in the source region",
            "model-destination": "foundation model in destination",
            "model-global": "global foundation model",
            "model": "foundation model",
        }
        where = "(aws:RequestedRegion=unspecified)" if self.region == UNSPECIFIED else self.region
        return f"{names.get(self.kind, self.kind)} {where}"


@record
class Plan:
    """Every request Bedrock authorizes for one model called from one region."""

    model: str
    source_region: str
    partition: str | None
    account: str
    legs: list[Leg] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the model cannot work from here at all
    notes: list[str] = field(default_factory=list)
    unknown_model: bool = False  # the profile id is not in the table (problems says so)


def _profile_legs(plan: Plan, profile_id: str, table: ProfilesTable, via: str | None) -> None:
    """Legs of a system profile called in plan.source_region (via = app profile ARN when nested)."""
    src, part = plan.source_region, plan.partition
    found = table.profile(profile_id)
    mid = parse_model_id(profile_id)
    if found is None:
        plan.unknown_model = True
        plan.problems.append(
            f"{profile_id} is not in the inference-profile table (data as of {table.data_as_of})"
        )
        return
    _, entry = found
    if src not in entry.sources:
        plan.problems.append(
            f"{profile_id} is not offered from {src} (served from: {', '.join(entry.sources) or 'nowhere'})"
        )
        return
    parn = inference_profile_arn(profile_id, src, plan.account, part)
    plan.legs.append(Leg("profile", parn, src, via))
    ctx_arn = via or parn
    plan.legs.append(Leg("model-source", foundation_model_arn(mid.base, src, part), src, ctx_arn))
    if mid.geography == "global":
        plan.legs.append(
            Leg("model-global", foundation_model_arn(mid.base, None, part), UNSPECIFIED, ctx_arn)
        )
        return
    for dest in entry.destinations:
        if dest != src:
            plan.legs.append(
                Leg("model-destination", foundation_model_arn(mid.base, dest, part), dest, ctx_arn)
            )


def plan_requests(model: str, source_region: str, table: ProfilesTable, account: str | None = None) -> Plan:
    """The requests Bedrock authorizes for ``model`` called from ``source_region`` (never raises)."""
    plan = Plan(model, source_region, partition_of(source_region), account or UNKNOWN_ACCOUNT)
    if account is None:
        plan.notes.append("account unknown (no role ARN): profile ARNs use 000000000000")
    if plan.partition is None:
        plan.problems.append(f"{source_region!r} is not an AWS region code")
        return plan
    try:
        if model.startswith("arn:"):
            _plan_arn(plan, model, table)
        else:
            mid = parse_model_id(model)
            if mid.geography:
                if mid.partition != plan.partition:
                    plan.problems.append(
                        f"{model} is a {mid.partition} profile but {source_region} is in partition {plan.partition}"
                    )
                    return plan
                _profile_legs(plan, model, table, None)
            else:
                _plan_direct(plan, mid.raw, source_region, table)
    except (ArnError, ModelIdError) as exc:
        plan.problems.append(str(exc))
    return plan


def _plan_direct(plan: Plan, base: str, region: str, table: ProfilesTable) -> None:
    if not table.base_models(base) and base.startswith("anthropic."):
        plan.notes.append(f"{base} is not in the inference-profile table")
    plan.legs.append(Leg("model", foundation_model_arn(base, region, plan.partition), region))


def _plan_arn(plan: Plan, text: str, table: ProfilesTable) -> None:
    arn = parse_arn(text)
    if arn.partition != plan.partition:
        plan.problems.append(
            f"{text} is in partition {arn.partition} but {plan.source_region} is in {plan.partition}"
        )
        return
    if arn.resource_type == "foundation-model":
        if arn.region and arn.region != plan.source_region:
            plan.problems.append(f"{text} names region {arn.region} but requests go to {plan.source_region}")
            return
        _plan_direct(plan, arn.resource_id, plan.source_region, table)
        return
    if arn.region != plan.source_region:
        plan.problems.append(f"{text} lives in {arn.region} but requests go to {plan.source_region}")
        return
    plan.account = arn.account
    if arn.resource_type == "inference-profile":
        _profile_legs(plan, arn.resource_id, table, None)
        return
    app = application_inference_profile_arn(arn.resource_id, arn.region, arn.account, arn.partition)
    plan.legs.append(Leg("app-profile", app, arn.region))
    targets = table.application_profiles.get(app)
    if not targets:
        plan.notes.append(
            "the models behind this application inference profile are unknown offline: only the "
            "application-profile leg was checked (--live resolves it with GetInferenceProfile)"
        )
        return
    for t in targets:
        try:
            ta = parse_arn(t)
        except ArnError:
            plan.notes.append(f"ignored an unparseable target ARN of {app}")
            continue
        if ta.resource_type == "inference-profile":
            sub = Plan(plan.model, plan.source_region, plan.partition, plan.account)
            _profile_legs(sub, ta.resource_id, table, app)
            plan.legs.extend(sub.legs)
            plan.notes.extend(sub.problems)
        elif ta.resource_type == "foundation-model":
            region = ta.region or UNSPECIFIED
            leg = Leg(
                "model-destination" if ta.region != plan.source_region else "model-source", t, region, app
            )
            if leg not in plan.legs:
                plan.legs.append(leg)
