"""Static findings over loaded conform inputs: roles, parameters, trust conditions, listeners, regions.

Each ``find_*`` function returns a list of :class:`ccwb_doctor.model.Outcome` whose evidence carries
``{"location": {"path", "line"}, "subject": ...}`` so JUnit/SARIF point at the file and line.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import Any

from ccwb_doctor.conform.inputs import ConformInputs, Scope
from ccwb_doctor.conform.roles import (
    PolicyRef,
    RoleCtx,
    _as_list,
    _doc,
    _statements,
    ev,
    federated_oidc,
)
from ccwb_doctor.model import Outcome, error, fail, ok, skip, warn

INVOKE = "bedrock:InvokeModel"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
_REGION_WILDCARD = re.compile(r"^arn:[^:]*:bedrock:([^:]*):")


# ---- CONFORM-PARSE / CONFORM-PARAMS ---------------------------------------------------------------


def find_parse(inputs: ConformInputs) -> list[Outcome]:
    out = [
        error(f"{p.path}{f':{p.line}' if p.line else ''}: {p.reason}", evidence=ev(p.path, p.line, p.path))
        for p in inputs.problems
        if p.kind in ("parse", "unknown")
    ]
    loaded = [t.path for t in inputs.templates] + [p.path for p in inputs.policies]
    loaded += [c.path for c in inputs.helper_configs] + [s.path for s in inputs.settings]
    loaded += [c.path for c in inputs.claims]
    out += [ok("parsed", evidence=ev(p, 1, p)) for p in loaded]
    return out


def find_params(inputs: ConformInputs) -> list[Outcome]:
    out = [
        error(f"parameters file {p.path}: {p.reason}", evidence=ev(p.path, None, p.path))
        for p in inputs.problems
        if p.kind == "params"
    ]
    for ti in inputs.templates:
        tpl = ti.template
        bad = [e for e in tpl.param_errors if "is not declared" not in e]
        e = ev(ti.path, 1, ti.path, missing=tpl.missing_params, invalid=bad)
        if tpl.missing_params:
            names = ", ".join(tpl.missing_params)
            out.append(
                fail(
                    f"{len(tpl.missing_params)} parameter(s) have no value and no Default: {names} "
                    "(not guessed: checks that need them are skipped)",
                    fix="Pass --param KEY=VALUE or --param-file FILE with the values the pipeline deploys with.",
                    evidence=e,
                )
            )
        elif bad:
            out.append(
                fail(
                    "; ".join(bad), fix="Give values that satisfy AllowedPattern / AllowedValues.", evidence=e
                )
            )
        else:
            out.append(ok(f"all {len(tpl.parameters)} parameters have values", evidence=e))
    return out


# ---- CONFORM-OIDC-CONDITION ----------------------------------------------------------------------


def find_oidc_condition(roles: list[RoleCtx]) -> list[Outcome]:
    from ccwb_doctor.analyzers.iam.policy import action_matches
    from ccwb_doctor.analyzers.trust.webid import condition_keys, prefix_from_principal

    out: list[Outcome] = []
    for rc in roles:
        loose: list[str] = []
        no_aud: list[str] = []
        for i, st in enumerate(_statements(rc.trust)):
            if st.get("Effect") != "Allow":
                continue
            acts = [str(a) for a in _as_list(st.get("Action"))]
            if not any(action_matches(a, WEB_IDENTITY) for a in acts):
                continue
            keys = [k.lower() for k in condition_keys(st)]
            for fed in federated_oidc(st):
                pre = prefix_from_principal(fed).lower()
                label = f"statement #{i}{' (' + str(st['Sid']) + ')' if st.get('Sid') else ''} trusts {fed}"
                if not any(k in (f"{pre}:aud", f"{pre}:oaud") for k in keys):
                    (no_aud if f"{pre}:sub" in keys else loose).append(label)
        e = ev(rc.path, rc.line, rc.subject, findings=loose + no_aud)
        if loose:
            out.append(
                fail(
                    f"OIDC principal without an aud/sub condition: {loose[0]} with no :aud or :sub condition; any "
                    "token the provider issues to any of its client ids can assume the role",
                    fix='Add "Condition": {"StringEquals": {"<provider host/path>:aud": "<client id>"}} (and a :sub '
                    "StringLike pattern where wanted) to the trust statement.",
                    evidence=e,
                )
            )
        elif no_aud:
            out.append(
                warn(
                    f"{no_aud[0]} pinning :sub but not :aud: tokens the provider issues to its other client ids "
                    "with a matching sub can assume the role",
                    fix='Add "StringEquals": {"<provider>:aud": "<client id>"} next to the :sub condition.',
                    evidence=e,
                )
            )
        else:
            out.append(ok("every OIDC trust statement pins :aud", evidence=e))
    return out


def _cognito(st: dict[str, Any]) -> list[str]:
    from ccwb_doctor.analyzers.trust.webid import federated_principals

    return [f for f in federated_principals(st) if f.startswith("cognito-identity")]


def find_cognito_condition(inputs: ConformInputs) -> list[Outcome]:
    """Roles trusting Cognito identity pools (the guidance's cognito federation): the statement must pin
    ``cognito-identity.amazonaws.com:aud`` to the pool id, or any identity pool in any account can
    assume the role; an ``amr`` condition keeps unauthenticated identities out."""
    from ccwb_doctor.analyzers.cfn.template import TemplateError
    from ccwb_doctor.analyzers.iam.policy import action_matches
    from ccwb_doctor.analyzers.trust.webid import condition_keys

    trusts: list[tuple[str, int | None, str, dict[str, Any]]] = []
    for ti in inputs.templates:
        try:
            for r in ti.template.roles():
                res = ti.template.resources[r.logical_id]
                trusts.append(
                    (
                        ti.path,
                        res.line_of("AssumeRolePolicyDocument"),
                        f"{ti.path}:{r.logical_id}",
                        _doc(r.trust),
                    )
                )
        except TemplateError:
            continue  # reported by CONFORM-PARSE
    trusts += [(p.path, 1, p.path, p.document) for p in inputs.policies if p.kind == "trust"]
    out: list[Outcome] = []
    for path, line, subject, trust in trusts:
        bad: list[str] = []
        no_amr: list[str] = []
        seen = False
        for i, st in enumerate(_statements(trust)):
            acts = [str(a) for a in _as_list(st.get("Action"))]
            if st.get("Effect") != "Allow" or not any(action_matches(a, WEB_IDENTITY) for a in acts):
                continue
            for fed in _cognito(st):
                seen = True
                keys = [k.lower() for k in condition_keys(st)]
                label = f"statement #{i}{' (' + str(st['Sid']) + ')' if st.get('Sid') else ''} trusts {fed}"
                # GovCloud principals spell the host differently; accept any cognito-identity key prefix
                if not any(k.startswith("cognito-identity") and k.endswith(":aud") for k in keys):
                    bad.append(label)
                elif not any(k.startswith("cognito-identity") and k.endswith(":amr") for k in keys):
                    no_amr.append(label)
        if not seen:
            continue
        e = ev(path, line, subject, findings=bad + no_amr)
        if bad:
            out.append(
                fail(
                    f"Cognito identity principal without an aud condition: {bad[0]} with no :aud condition; an "
                    "identity from any identity pool (any account) can assume the role",
                    fix='Add "StringEquals": {"cognito-identity.amazonaws.com:aud": "<identity pool id>"} and '
                    '"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}.',
                    evidence=e,
                )
            )
        elif no_amr:
            out.append(
                warn(
                    f"{no_amr[0]} pins :aud but not :amr: unauthenticated identities of the pool match too",
                    fix='Add "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}.',
                    evidence=e,
                )
            )
        else:
            out.append(
                ok(
                    "the Cognito identity trust pins the pool (:aud) and authenticated identities (:amr)",
                    evidence=e,
                )
            )
    return out


# ---- Bedrock statements --------------------------------------------------------------------------


def _invoke_statements(ref: PolicyRef) -> Iterable[tuple[int, dict[str, Any]]]:
    from ccwb_doctor.analyzers.iam.policy import action_matches

    for i, st in enumerate(_statements(ref.document)):
        if st.get("Effect") != "Allow":
            continue
        acts = [str(a) for a in _as_list(st.get("Action"))]
        if any(action_matches(a, INVOKE) for a in acts):
            yield i, st


def _region_values(st: dict[str, Any]) -> list[str] | None:
    cond = st.get("Condition")
    if not isinstance(cond, dict):
        return None
    for op, block in cond.items():
        if not isinstance(block, dict) or "not" in op.lower():
            continue
        for k, v in block.items():
            if k.lower() == "aws:requestedregion":
                return [str(x) for x in _as_list(v)]
    return None


def _policy_refs(roles: list[RoleCtx], inputs: ConformInputs) -> list[PolicyRef]:
    seen: dict[tuple[str, str, int | None], PolicyRef] = {}
    for rc in roles:
        for ref in rc.policies:
            seen.setdefault((ref.path, ref.name, ref.line), ref)
    for p in inputs.policies:
        if p.kind == "permission":
            ref = PolicyRef(p.path.rsplit("/", 1)[-1], p.path, 1, p.document, p.policy)
            seen.setdefault((ref.path, ref.name, ref.line), ref)
    return list(seen.values())


def _line(ref: PolicyRef, i: int) -> int | None:
    return ref.statement_lines[i] if i < len(ref.statement_lines) else ref.line


def find_bedrock_region_condition(roles: list[RoleCtx], inputs: ConformInputs) -> list[Outcome]:
    out: list[Outcome] = []
    for ref in _policy_refs(roles, inputs):
        bad: list[tuple[int, str]] = []
        for i, st in _invoke_statements(ref):
            wild = [
                str(r)
                for r in _as_list(st.get("Resource"))
                if str(r) == "*" or "*" in (_REGION_WILDCARD.match(str(r)) or [None, ""])[1]
            ]
            if wild and _region_values(st) is None:
                bad.append(
                    (
                        i,
                        f"statement #{i}{' (' + str(st['Sid']) + ')' if st.get('Sid') else ''} allows "
                        f"{wild[0]} with no aws:RequestedRegion condition",
                    )
                )
        subj = f"{ref.path}:{ref.name}"
        if bad:
            i, msg = bad[0]
            out.append(
                fail(
                    f"Bedrock wildcard without a region condition: {msg}",
                    fix="Add Condition StringEquals aws:RequestedRegion: [<source and destination regions>] (and a "
                    "separate region-less statement with aws:RequestedRegion 'unspecified' for global.).",
                    evidence=ev(ref.path, _line(ref, i), subj, findings=[m for _, m in bad]),
                )
            )
        elif any(True for _ in _invoke_statements(ref)):
            out.append(
                ok(
                    "every Bedrock invoke wildcard is limited by aws:RequestedRegion",
                    evidence=ev(ref.path, ref.line, subj),
                )
            )
    return out


# ---- CONFORM-REGION-LIST -------------------------------------------------------------------------


def granted_models(policies: list[Any], table: Any, partition: str) -> set[str]:
    """Keys of the models whose foundation model the policies let InvokeModel reach in at least one of
    its destination regions. A deployment restricted to some models (auth.yaml ModelIds) is judged on
    those; the others are out of scope unless a scope file names them."""
    from ccwb_doctor.analyzers.iam.policy import Request, evaluate

    out: set[str] = set()
    for m in table.models.values():
        if m.partition != partition:
            continue
        for d in sorted({d for pe in m.profiles.values() for d in pe.destinations}):
            arn = f"arn:{partition}:bedrock:{d}::foundation-model/{m.base_id}"
            if evaluate(Request(INVOKE, arn, None, {"aws:RequestedRegion": d}), identity=policies).allowed:
                out.add(m.key)
                break
    return out


def scope_models(
    table: Any, scope: Scope | None, partition: str, granted: set[str] | None = None
) -> list[Any]:
    """The models to judge: the scope file's, else the partition's models the policies grant at all
    (every one of them when the policies grant none: then each is reported denied)."""
    if scope and scope.models:
        return [table.models[m] for m in scope.models if m in table.models]
    models = [m for m in table.models.values() if m.partition == partition]
    return [m for m in models if m.key in granted] if granted else models


def find_region_list(roles: list[RoleCtx], inputs: ConformInputs, table: Any) -> list[Outcome]:
    out: list[Outcome] = []
    scope = inputs.scope
    for ref in _policy_refs(roles, inputs):
        granted_by: dict[str, set[str]] = {}
        for i, st in _invoke_statements(ref):
            listed = _region_values(st)
            if listed is None or any("UNRESOLVED(" in r for r in listed):
                continue
            regional = [r for r in listed if r != "unspecified"]
            if not regional:
                continue

            def has(region: str, listed: list[str] = regional) -> bool:
                return any(fnmatch.fnmatchcase(region, pat) for pat in listed)

            missing: dict[str, list[str]] = {}
            partition = "aws" if not any(r.startswith("us-gov") for r in regional) else "aws-us-gov"
            if ref.policy is not None and partition not in granted_by:
                granted_by[partition] = granted_models([ref.policy], table, partition)
            granted = granted_by.get(partition)
            for entry in scope_models(table, scope, partition, granted):
                for geo, pe in entry.profiles.items():
                    if geo == "global" or (scope and scope.geographies and geo not in scope.geographies):
                        continue
                    sources = [
                        s
                        for s in pe.sources
                        if has(s) and (not scope or not scope.regions or s in scope.regions)
                    ]
                    if not sources:
                        continue
                    for d in pe.destinations:
                        if not has(d):
                            missing.setdefault(d, []).append(pe.profile_id)
            sid = f" ({st['Sid']})" if st.get("Sid") else ""
            subj = f"{ref.path}:{ref.name}#{i}{sid}"
            e = ev(
                ref.path,
                _line(ref, i),
                subj,
                listed=listed,
                missing={d: sorted(set(p))[:5] for d, p in sorted(missing.items())},
            )
            if missing:
                first = sorted(missing)[0]
                out.append(
                    fail(
                        f"aws:RequestedRegion list misses inference-profile destination(s) "
                        f"{', '.join(sorted(missing))}: e.g. {missing[first][0]} routes requests to {first}; "
                        "those requests are denied (AccessDenied) at random",
                        fix=f"Add {', '.join(sorted(missing))} to the region list (every destination of every profile "
                        "served from a listed source region).",
                        evidence=e,
                    )
                )
            else:
                out.append(
                    ok(
                        f"statement #{i}{sid}: every destination of the profiles served from its {len(regional)} "
                        "regions is listed",
                        evidence=e,
                    )
                )
    return out


def skipped(reason: str) -> Outcome:
    return skip(reason)
