"""Bedrock statements in the permission policies: CONFORM-BEDROCK-REGION-CONDITION and CONFORM-REGION-LIST
(the aws:RequestedRegion list against every destination of the inference profiles served).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import Any

from ccwb_doctor.conform.inputs import ConformInputs, Scope
from ccwb_doctor.conform.roles import PolicyRef, RoleCtx, _as_list, _statements, ev
from ccwb_doctor.model import Outcome, fail, ok

INVOKE = "bedrock:InvokeModel"
_REGION_WILDCARD = re.compile(r"^arn:[^:]*:bedrock:([^:]*):")


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
                    "Add Condition StringEquals aws:RequestedRegion: [<source and destination regions>] (and a "
                    "separate region-less statement with aws:RequestedRegion 'unspecified' for global.).",
                    ev(ref.path, _line(ref, i), subj, findings=[m for _, m in bad]),
                )
            )
        elif any(True for _ in _invoke_statements(ref)):
            out.append(
                ok(
                    "every Bedrock invoke wildcard is limited by aws:RequestedRegion",
                    ev(ref.path, ref.line, subj),
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
                        f"Add {', '.join(sorted(missing))} to the region list (every destination of every profile "
                        "served from a listed source region).",
                        e,
                    )
                )
            else:
                out.append(
                    ok(
                        f"statement #{i}{sid}: every destination of the profiles served from its {len(regional)} "
                        "regions is listed",
                        e,
                    )
                )
    return out
