"""REGION-ALIGNMENT: Claude Code's region, the profile region, the helper's STS region and the models.

Legitimate: the helper's STS region or the profile region differing from Claude Code's AWS_REGION
(credentials are global within a partition). Breaking: a different partition between STS and
Bedrock, a geography prefix that does not serve the source region, a us-gov model with a commercial
region, an ARN pinned to another region, a model the table does not offer there.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.model import InputError, Outcome, error, fail, ok, warn
from ccwb_doctor.registry import check

DOCS = "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html"


def _settings_outcome(facts: Any, table: Any) -> Outcome:
    from ccwb_doctor.analyzers.bedrock.catalog import is_region_name, normalise_geography, partition_of

    r = facts.regions
    ev: dict[str, Any] = {"regions": r.to_dict()}
    if r.claude is not None and not is_region_name(r.claude):
        return fail(
            f"{r.claude_source}={r.claude!r} is not an AWS region code",
            "Set AWS_REGION to e.g. us-east-1.",
            ev,
        )
    if r.small_fast is not None and not is_region_name(r.small_fast):
        return fail(
            f"ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION={r.small_fast!r} is not an AWS region code", None, ev
        )
    bedrock = r.claude or "us-east-1"
    bp = partition_of(bedrock)
    breaks: list[str] = []
    notes: list[str] = []
    if r.helper_sts and is_region_name(r.helper_sts):
        sp = partition_of(r.helper_sts)
        if sp != bp:
            breaks.append(
                f"the helper gets credentials from STS in {r.helper_sts} (partition {sp}) but Claude Code calls "
                f"Bedrock in {bedrock} (partition {bp}): credentials do not cross partitions"
            )
        elif r.helper_sts != bedrock:
            notes.append(
                f"helper STS region {r.helper_sts} differs from Bedrock region {bedrock} (fine: same partition)"
            )
    if r.small_fast and partition_of(r.small_fast) != bp:
        breaks.append(
            f"ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION={r.small_fast} is in another partition than {bedrock}"
        )
    if r.profile and is_region_name(r.profile) and r.profile != bedrock:
        if partition_of(r.profile) != bp:
            breaks.append(f"profile region {r.profile} is in another partition than Claude Code's {bedrock}")
        else:
            notes.append(
                f"profile region {r.profile} differs from AWS_REGION {bedrock} (fine: AWS_REGION wins)"
            )
    if r.cross_region_profile is not None:
        geo = normalise_geography(r.cross_region_profile)
        if geo is None:
            notes.append(
                f"helper config cross_region_profile={r.cross_region_profile!r} is not a known geography"
            )
        else:
            used = {
                m.model_id.geography
                for m in facts.model_config.targets()
                if m.model_id and m.model_id.geography
            }
            if used and geo not in used:
                notes.append(
                    f"cross_region_profile={geo} but the configured models use {', '.join(sorted(used))}: the "
                    "guidance sized AllowedBedrockRegions for the former"
                )
    if table is not None and bedrock not in table.known_regions():
        notes.append(
            f"{bedrock} is not in the Bedrock region list of the profile table (data as of {table.data_as_of})"
        )
    ev["notes"] = notes
    if breaks:
        return fail(
            "; ".join(breaks), "Use regions of one partition for the helper (aws_region) and AWS_REGION.", ev
        )
    if r.claude is None:
        fallback = "us-east-1"
        return warn(
            f"AWS_REGION is not set in Claude Code's environment; requests go to {fallback} or AWS_DEFAULT_REGION",
            'Set "AWS_REGION" in the env block of ~/.claude/settings.json (Claude Code does not read the '
            "region from ~/.aws/config).",
            ev,
        )
    if r.claude_source != "AWS_REGION":
        return warn(
            f"AWS_REGION is unset; Claude Code falls back to {r.claude_source}={r.claude}",
            'Set "AWS_REGION" explicitly in the env block of ~/.claude/settings.json.',
            ev,
        )
    extra = f" ({'; '.join(notes)})" if notes else ""
    return ok(f"Claude Code calls Bedrock in {bedrock}{extra}", ev)


def _model_outcomes(facts: Any, table: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.bedrock.matrix import plan_requests

    out: list[Outcome] = []
    for m in facts.model_config.targets():
        region = m.region or "us-east-1"
        plan = plan_requests(m.value, region, table, None)
        ev = {"model": m.to_dict(), "source_region": region, "legs": len(plan.legs), "notes": plan.notes}
        if plan.unknown_model:
            out.append(warn(f"cannot check where {m.label} is served: {'; '.join(plan.problems)}", None, ev))
        elif plan.problems:
            out.append(
                fail(
                    f"{m.label} cannot be used from {region}: {'; '.join(plan.problems)}",
                    f"Use a model id whose geography serves {region}, or set AWS_REGION to a region it serves.",
                    ev,
                )
            )
        else:
            dest = sorted({leg.region for leg in plan.legs})
            out.append(ok(f"{m.label} is served from {region} (regions involved: {', '.join(dest)})", ev))
    return out


@check(
    "REGION-ALIGNMENT",
    title="Claude Code, profile, helper and model regions agree or differ legitimately",
    area="region",
    severity="high",
    remediation="Align AWS_REGION (Claude Code settings env) with the geography of the configured models.",
    docs=DOCS,
    needs=("claude_env", "profile", "helper_profile", "profiles_table"),
)
def region_alignment(facts: Any) -> list[Outcome]:
    try:
        table = facts.profiles_table
    except InputError as exc:
        return [_settings_outcome(facts, None), error(str(exc))]
    return [_settings_outcome(facts, table), *_model_outcomes(facts, table)]
