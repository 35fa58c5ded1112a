"""The model and region verdicts the doctor (MODEL-ID, MODEL-PERMISSION, REGION-ALIGNMENT) and CI
(CONFORM-MODEL-ID, CONFORM-MODEL-PERMISSION, CONFORM-REGION-ALIGNMENT) share.

MODEL-PERMISSION computes the exact requests Bedrock authorizes (``bedrock.matrix``) for each configured
model from Claude Code's region and evaluates them against the identity policies and SCPs.
REGION-ALIGNMENT: legitimate is the helper's STS region or the profile region differing from Claude
Code's AWS_REGION (credentials are global within a partition); breaking is a different partition between
STS and Bedrock, a geography prefix that does not serve the source region, a us-gov model with a
commercial region, an ARN pinned to another region, a model the table does not offer there.

Inputs are values, or callables asked for only when the verdict gets that far (they may raise
``InputError``, as a fact does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ccwb_doctor.analyzers.bedrock.models import ALIASES, DEPRECATED_VARS, TIER_VARS
from ccwb_doctor.model import InputError, Outcome, Status, error, fail, ok, skip, warn


def _deprecation(m: Any, mc: Any) -> str:
    """The deprecation note for a value, or "" when it is harmless.

    ANTHROPIC_SMALL_FAST_MODEL beside ANTHROPIC_DEFAULT_HAIKU_MODEL with the same value is what the guidance
    writes on purpose (older Claude Code releases read only the old name): nothing to change.
    """
    if not m.deprecated:
        return ""
    newer = DEPRECATED_VARS.get(m.var, "ANTHROPIC_DEFAULT_HAIKU_MODEL")
    if any(o.var == newer and o.value == m.value for o in mc.models):
        return ""
    if any(o.var == newer for o in mc.models):
        return f" ({m.var} is deprecated and differs from {newer}, which Claude Code uses instead)"
    return (
        f" ({m.var} is deprecated: Claude Code still reads it, but a release that drops it falls back to its "
        f"built-in default for that tier, which the permission policy may not allow; set {newer} to the same value)"
    )


def _alias_resolution(m: Any, mc: Any) -> list[Any] | None:
    """The pinned models an alias resolves to (one per tier it uses), or None if a tier is not pinned."""
    tiers = ALIASES.get(m.alias or "")
    if not tiers:
        return None
    out = []
    for tier in tiers:
        pinned = next((o for var in TIER_VARS[tier] for o in mc.models if o.var == var), None)
        if pinned is None:
            return None
        out.append(pinned)
    return out


def _id_outcome(m: Any, table: Any, mc: Any) -> Outcome:
    ev = {"model": m.to_dict(), "table": table.to_dict()}
    if m.kind == "invalid":
        return fail(
            f"{m.label}: {m.problem}",
            fix="Use a Bedrock model id such as us.anthropic.claude-sonnet-4-6, or an ARN.",
            evidence=ev,
        )
    if m.kind == "alias":
        pins = _alias_resolution(m, mc)
        if pins is None:
            return warn(f"{m.label} is an alias that depends on the Claude Code release", evidence=ev)
        # each pin is judged on its own line: the alias itself is then exactly those ids
        ev["resolves_to"] = {p.var: p.value for p in pins}
        return ok(
            f"{m.label}: alias resolves to " + ", ".join(f"{p.value} ({p.var})" for p in pins), evidence=ev
        )
    dep = _deprecation(m, mc)
    outcome = warn if dep else ok
    if m.kind == "app-profile-arn":
        targets = table.application_profiles.get(str(m.arn))
        if targets:
            shown = ", ".join(t.split(":", 5)[-1] for t in targets[:2])
            more = f" and {len(targets) - 2} more" if len(targets) > 2 else ""
            what = f"routes to {shown}{more}"
        else:
            what = "its models are resolvable only with --live"
        return outcome(f"{m.label} is an application inference profile ({what}){dep}", evidence=ev)
    mid = m.model_id
    if mid is None:  # pragma: no cover - every other kind carries a model id
        return error(f"{m.label}: no model id")
    if not mid.is_anthropic:
        return warn(f"{m.label} is not an Anthropic model (provider {mid.provider})", fix=None, evidence=ev)
    live = "live" in table.source
    if not table.base_models(mid.base):
        msg = f"{m.label}: {mid.base} is not a Claude model in the profile table (data as of {table.data_as_of})"
        fix = "Check the id with `aws bedrock list-inference-profiles`; newer models: run with --live or point CCWB_DOCTOR_PROFILES_FILE at a newer table."
        return (fail if live else warn)(msg, fix=fix, evidence=ev)
    if mid.geography:
        found = table.profile(mid.raw)
        if found is None:
            geos = sorted({g for e in table.base_models(mid.base) for g in e.profiles})
            return fail(
                f"{m.label}: {mid.base} has no {mid.geography}. inference profile (offered: {', '.join(geos)})",
                fix=f"Use one of: {', '.join(f'{g}.{mid.base}' for g in geos)}.",
                evidence=ev,
            )
        entry, _ = found
        return outcome(
            f"{m.label} is the {mid.geography} inference profile of {entry.name}{dep}", evidence=ev
        )
    return warn(
        f"{m.label} is a bare foundation-model id: Claude models on Bedrock are invoked through an inference "
        f"profile (e.g. us.{mid.base}); direct on-demand invocation may be refused{dep}",
        fix=f"Use a geography-prefixed id such as us.{mid.base} or global.{mid.base}.",
        evidence=ev,
    )


def _table_says(model: str, region: str, table: Any) -> tuple[str, bool]:
    """(what the profile table says of a profile id called from ``region``, usable)."""
    found = table.profile(model)
    if found is None:
        return f"{model} is not in the profile table (data as of {table.data_as_of})", False
    entry, pe = found
    if region not in pe.sources:
        return (
            f"{model} (the {pe.geography} inference profile of {entry.name}) is not offered from {region}",
            False,
        )
    return f"{model} is the {pe.geography} inference profile of {entry.name}", True


def _default_model_outcome(mc: Any, table: Any, cv: Any) -> Outcome | None:
    """ANTHROPIC_MODEL unset (or ``default``): the model the installed Claude Code calls, judged with the
    table; a skip naming the reason when its version is unknown; None when ANTHROPIC_MODEL is pinned."""
    main = next((m for m in mc.models if m.var == "ANTHROPIC_MODEL"), None)
    if main is not None and not (main.kind == "alias" and main.alias == "default"):
        return None
    from ccwb_doctor.analyzers.bedrock.claude_calls import RELEASES

    what = "ANTHROPIC_MODEL is unset" if main is None else "ANTHROPIC_MODEL=default"
    ev: dict[str, Any] = {"claude_code": cv.to_dict() if hasattr(cv, "to_dict") else None}
    rel = _release(cv)
    if rel is None:
        ver = getattr(cv, "version", None)
        why = (
            f"Claude Code {ver} ({getattr(cv, 'source', '')}) is not in the doctor's release table "
            f"(known: {', '.join(sorted(RELEASES))})"
            if ver
            else getattr(cv, "reason", "") or "the installed Claude Code's version is unknown"
        )
        return skip(f"{what}: Claude Code's default model is not judged: {why}", evidence=ev)
    src = f"Claude Code {rel.version} ({cv.source})"
    pin = next(
        (o for var in TIER_VARS[rel.default_tier] for o in mc.models if o.var == var and o.kind != "invalid"),
        None,
    )
    if pin is not None:
        return ok(
            f"{what}: {src} uses its {rel.default_tier} tier, pinned by {pin.label} (judged on its own line)",
            evidence=ev,
        )
    region = mc.region or "us-east-1"
    ev.update(default_model=rel.default_model, fallback_model=rel.fallback_model, region=region)
    head = f"{what}: {src} calls {rel.default_model}"
    d_msg, d_ok = _table_says(rel.default_model, region, table)
    if d_ok:
        return ok(f"{head}: {d_msg}", evidence=ev)
    f_msg, f_ok = _table_says(rel.fallback_model, region, table)
    if f_ok:
        return ok(
            f"{head}, but {d_msg}: when its probe fails Claude Code falls back to {rel.fallback_model} "
            f"(only degrades; pin ANTHROPIC_MODEL to choose the model): {f_msg}",
            evidence=ev,
        )
    return warn(
        f"{head}, but {d_msg}, and its fallback: {f_msg}",
        fix=f"Pin ANTHROPIC_MODEL to an inference profile offered from {region}, e.g. from "
        "`aws bedrock list-inference-profiles`.",
        evidence=ev,
    )


def model_id_verdicts(
    mc: Any, profiles_table: Callable[[], Any], claude_version: Callable[[], Any] | None = None
) -> list[Outcome]:
    """MODEL-ID: each configured model (``mc``: the model configuration) is a known model or inference
    profile; unpinned, the installed Claude Code's (``claude_version()``) default model is judged too;
    ``profiles_table()`` may raise InputError (an error outcome)."""
    try:
        table = profiles_table()
    except InputError as exc:
        return [error(str(exc))]
    default = _default_model_outcome(mc, table, _version_of(claude_version)) if claude_version else None
    if not mc.models:
        if default is not None and default.status is not Status.SKIP:
            return [default]
        why = f"; {default.message.split(': ', 1)[1]}" if default is not None else ""
        return [skip("no model is pinned (" + "; ".join(mc.notes) + ")" + why, evidence={"notes": mc.notes})]
    out = [_id_outcome(m, table, mc) for m in mc.models]
    if default is not None:
        out.append(default)
    if any(m.kind == "alias" and _alias_resolution(m, mc) is None for m in mc.models):
        out.append(
            ok("aliases: " + "; ".join(n for n in mc.notes if "alias" in n), evidence={"notes": mc.notes})
        )
    return out


def _account(pp: Any) -> str | None:
    from ccwb_doctor.analyzers.bedrock.catalog import account_of_role_arn

    got = account_of_role_arn(pp.role_arn) if pp is not None else None
    return got[1] if got else None


def _permission_outcome(
    m: Any, ev_: Any, table: Any, account: str | None, base_ev: dict[str, Any]
) -> Outcome:
    from ccwb_doctor.analyzers.bedrock.plan import plan_requests

    region = m.region or "us-east-1"
    plan = plan_requests(m.value, region, table, account)
    if plan.problems:
        return skip(
            f"{m.label}: requests cannot be computed ({'; '.join(plan.problems)}); see REGION-ALIGNMENT / MODEL-ID"
        )
    verdict = ev_.evaluate(plan)
    ev = {**base_ev, **verdict.to_dict()}
    if verdict.errors:
        return error(
            f"{m.label}: a policy statement could not be evaluated: {verdict.errors[0][7:]}", evidence=ev
        )
    if verdict.allowed:
        note = f" ({'; '.join(plan.notes)})" if plan.notes else ""
        return ok(f"{verdict.summary()}{note}", evidence=ev)
    first = verdict.denied[0]
    why = first.statement or "; ".join(first.detail[:1]) or "no Allow statement matches"
    unresolved = [
        n for n in base_ev["policies"]["notes"] if n.startswith("template parameters without a value")
    ]
    hint = f" ({unresolved[0].split(':')[0]})" if unresolved else ""
    fatal = (
        " (fatal: Claude Code sends the prompt with InvokeModelWithResponseStream)"
        if any(v.action == "bedrock:InvokeModelWithResponseStream" for v in verdict.denied)
        else ""
    )
    return fail(f"{verdict.summary()}; {why}{hint}{fatal}", fix=_fix(verdict), evidence=ev)


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


def _version_of(claude_version: Callable[[], Any] | None) -> Any:
    """The ClaudeVersion-like value (``.version``, ``.source``, ``.reason``), or None."""
    if claude_version is None:
        return None
    try:
        return claude_version()
    except InputError:
        return None


def _release(cv: Any) -> Any:
    from ccwb_doctor.analyzers.bedrock.claude_calls import release_for

    return release_for(getattr(cv, "version", None)) if cv is not None else None


def _with_note(o: Outcome, note: str, ev: dict[str, Any]) -> Outcome:
    """The outcome with Claude Code's extra calls appended to its message and evidence."""
    from dataclasses import replace

    evidence = {**(o.evidence or {}), "claude_code_calls": ev}
    return replace(o, message=f"{o.message}; {note}", evidence=evidence)


def _unpinned_permission(
    mc: Any, cv: Any, ev_: Any, table: Any, account: str | None, base_ev: dict[str, Any]
) -> Outcome | None:
    """ANTHROPIC_MODEL unset and nothing concrete pinned: the installed release's default model (its denial
    degrades: Claude Code falls back) and the fallback (its stream is the prompt: fatal)."""
    from ccwb_doctor.analyzers.bedrock.plan import plan_requests

    rel = _release(cv)
    if rel is None:
        return None
    region = mc.region or "us-east-1"
    ev = {**base_ev, "claude_code": rel.version, "default_model": rel.default_model}
    head = f"ANTHROPIC_MODEL is unset: Claude Code {rel.version} calls {rel.default_model}"
    dv = ev_.evaluate(plan_requests(rel.default_model, region, table, account))
    if dv.allowed:
        return ok(f"{head}: {dv.summary()}", evidence={**ev, **dv.to_dict()})
    why = dv.summary() if not dv.plan.problems else "; ".join(dv.plan.problems)
    fv = ev_.evaluate(plan_requests(rel.fallback_model, region, table, account))
    ev["fallback"] = fv.to_dict()
    if fv.allowed:
        return ok(
            f"{head}, which cannot be used ({why}): it falls back to {rel.fallback_model} (only degrades): "
            f"{fv.summary()}",
            evidence=ev,
        )
    return fail(
        f"{head}, which cannot be used ({why}), and its fallback {rel.fallback_model} is denied too "
        f"(fatal: the prompt's InvokeModelWithResponseStream): {fv.summary()}",
        fix="Pin ANTHROPIC_MODEL to a model the policy allows, or allow "
        + (_fix(fv) if fv.verdicts else f"{rel.fallback_model}."),
        evidence=ev,
    )


def model_permission_verdicts(
    mc: Any,
    permission_policies: Callable[[], Any],
    live_error: Callable[[], Any],
    profiles_table: Callable[[], Any],
    scp_policies: Callable[[], Any],
    claude_version: Callable[[], Any] | None = None,
) -> list[Outcome]:
    """MODEL-PERMISSION: the permission policies (and SCPs) allow every request Bedrock authorizes for each
    configured model, and say what Claude Code's other calls (ListInferenceProfiles, the probes of unpinned
    tiers: their denial only degrades) get; each input is asked for only when the verdict gets that far.
    ``claude_version()`` is the installed Claude Code's version (None/unknown: the recorded release's calls
    are assumed, and an unpinned default model is not judged)."""
    if mc.gateway:
        return [
            skip(
                f"gateway mode: {mc.gateway_reason}; the gateway's own credentials are what Bedrock authorizes"
            )
        ]
    pp = permission_policies()
    if pp is None:
        live_err = live_error()
        why = f" (IAM: {live_err})" if live_err else ""
        return [
            skip(
                "no permission policy available: pass --permissions-policy FILE, --template FILE, or --live with IAM "
                f"read access{why}"
            )
        ]
    # The evaluator (IAM policy language, the request matrix) is imported only once there is a policy to judge.
    from ccwb_doctor.analyzers.bedrock.claude_calls import RECORDED, RELEASES, judge_extra_calls
    from ccwb_doctor.analyzers.bedrock.matrix import MatrixEvaluator

    targets = mc.targets()
    cv = _version_of(claude_version)
    if not targets and _release(cv) is None:
        why = f"; Claude Code's default model is not judged: {cv.reason}" if getattr(cv, "reason", "") else ""
        return [skip("no concrete model is configured to check (" + "; ".join(mc.notes) + ")" + why)]
    table = profiles_table()
    scps = scp_policies()
    ev_ = MatrixEvaluator(pp.policies, scps)
    base_ev = {"policies": pp.evidence(), "scps": [p.name for p in scps], "evaluator_notes": ev_.notes}
    account = _account(pp)
    out = [_permission_outcome(m, ev_, table, account, base_ev) for m in targets]
    if not targets:
        got = _unpinned_permission(mc, cv, ev_, table, account, base_ev)
        out = [got] if got is not None else out
    if not out or out[0].status in (Status.SKIP, Status.ERROR):
        return out
    rel = _release(cv)
    note, cev = judge_extra_calls(
        mc,
        rel or RELEASES[RECORDED],
        rel is None,
        mc.region or "us-east-1",
        table,
        account,
        lambda actions: MatrixEvaluator(pp.policies, scps, actions=actions),
    )
    out[0] = _with_note(out[0], note, cev)
    return out


# ---- REGION-ALIGNMENT -----------------------------------------------------------------------------


def _settings_outcome(r: Any, targets: Callable[[], Any], table: Any) -> Outcome:
    from ccwb_doctor.analyzers.bedrock.catalog import is_region_name, normalise_geography, partition_of

    ev: dict[str, Any] = {"regions": r.to_dict()}
    if r.claude is not None and not is_region_name(r.claude):
        return fail(
            f"{r.claude_source}={r.claude!r} is not an AWS region code",
            fix="Set AWS_REGION to e.g. us-east-1.",
            evidence=ev,
        )
    if r.small_fast is not None and not is_region_name(r.small_fast):
        return fail(
            f"ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION={r.small_fast!r} is not an AWS region code",
            fix=None,
            evidence=ev,
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
    ep_url, ep_source = getattr(r, "endpoint_url", None), getattr(r, "endpoint_source", None)
    ep_region = getattr(r, "endpoint_region", None)
    ep_break = False
    if ep_url and ep_region and ep_region != bedrock:
        ep_break = True
        breaks.append(
            f"{ep_source}={ep_url} is Bedrock in {ep_region} but Claude Code signs its requests for {bedrock} "
            f"({r.claude_source or 'the default region'}): the endpoint refuses a signature scoped to another region"
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
            used = {m.model_id.geography for m in targets() if m.model_id and m.model_id.geography}
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
        fix = (
            f"Point ANTHROPIC_BEDROCK_BASE_URL at the Bedrock runtime endpoint of {bedrock}, or set AWS_REGION "
            f"to {ep_region}."
            if ep_break and len(breaks) == 1
            else "Use regions of one partition for the helper (aws_region) and AWS_REGION."
        )
        return fail("; ".join(breaks), fix=fix, evidence=ev)
    if r.claude is None:
        fallback = "us-east-1"
        return warn(
            f"AWS_REGION is not set in Claude Code's environment; requests go to {fallback} or AWS_DEFAULT_REGION",
            fix='Set "AWS_REGION" in the env block of ~/.claude/settings.json (Claude Code does not read the '
            "region from ~/.aws/config).",
            evidence=ev,
        )
    if r.claude_source != "AWS_REGION":
        return warn(
            f"AWS_REGION is unset; Claude Code falls back to {r.claude_source}={r.claude}",
            fix='Set "AWS_REGION" explicitly in the env block of ~/.claude/settings.json.',
            evidence=ev,
        )
    extra = f" ({'; '.join(notes)})" if notes else ""
    at = ""
    if ep_url:
        at = f" at {ep_url}" + (f" ({ep_source})" if ep_source and ep_source.isupper() else "")
    by = _set_by(r, "AWS_REGION")
    return ok(f"Claude Code calls Bedrock in {bedrock}{f' ({by})' if by else ''}{at}{extra}", evidence=ev)


def _set_by(r: Any, key: str) -> str:
    """'KEY set by <layer>[, overriding <lower layers>]', or "" when the origin is unknown."""
    origin = (getattr(r, "origins", None) or {}).get(key)
    if not origin:
        return ""
    over = (getattr(r, "overridden", None) or {}).get(key)
    return f"{key} set by {origin}" + (f", overriding {'; '.join(over)}" if over else "")


def _where_to_change(r: Any, key: str, what: str) -> str:
    from ccwb_doctor.analyzers.clientconfig.settings_layers import where_to_change

    return where_to_change((getattr(r, "origins", None) or {}).get(key, ""), what, getattr(r, "home", None))


def _model_region_fix(r: Any, m: Any, region: str) -> str:
    region_key = getattr(r, "claude_source", None) or "AWS_REGION"
    model_key = m.var.split()[-1]  # an alias reads "ANTHROPIC_MODEL=sonnet -> ANTHROPIC_DEFAULT_SONNET_MODEL"
    first = _where_to_change(r, model_key, f"set {model_key} to a model id whose geography serves {region}")
    second = _where_to_change(r, region_key, f"set {region_key} to a region {m.value} is served from")
    return f"{first[0].upper()}{first[1:]}; or {second}."


def _model_outcomes(targets: Callable[[], Any], table: Any, r: Any = None) -> list[Outcome]:
    from ccwb_doctor.analyzers.bedrock.plan import plan_requests

    out: list[Outcome] = []
    for m in targets():
        region = m.region or "us-east-1"
        plan = plan_requests(m.value, region, table, None)
        ev = {"model": m.to_dict(), "source_region": region, "legs": len(plan.legs), "notes": plan.notes}
        region_key = getattr(r, "claude_source", None) or "AWS_REGION"
        by = _set_by(r, region_key) if r is not None and region == getattr(r, "claude", None) else ""
        if by:
            ev["region_set_by"] = by
        if plan.unknown_model:
            out.append(
                warn(
                    f"cannot check where {m.label} is served: {'; '.join(plan.problems)}",
                    fix=None,
                    evidence=ev,
                )
            )
        elif plan.problems:
            out.append(
                fail(
                    f"{m.label} cannot be used from {region}{f' ({by})' if by else ''}: {'; '.join(plan.problems)}",
                    fix=_model_region_fix(r, m, region)
                    if r is not None
                    else f"Use a model id whose geography serves {region}, or set AWS_REGION to a region it serves.",
                    evidence=ev,
                )
            )
        else:
            dest = sorted({leg.region for leg in plan.legs})
            out.append(
                ok(f"{m.label} is served from {region} (regions involved: {', '.join(dest)})", evidence=ev)
            )
    return out


def region_alignment_verdicts(
    regions: Callable[[], Any], targets: Callable[[], Any], profiles_table: Callable[[], Any]
) -> list[Outcome]:
    """REGION-ALIGNMENT: Claude Code's, the profile's and the helper's regions (``regions()``) and the
    configured models (``targets()``) agree or differ legitimately; the table may raise InputError."""
    try:
        table = profiles_table()
    except InputError as exc:
        return [_settings_outcome(regions(), targets, None), error(str(exc))]
    r = regions()
    return [_settings_outcome(r, targets, table), *_model_outcomes(targets, table, r)]
