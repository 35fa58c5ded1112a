"""The federated roles (and standalone policy sets) a conform run judges, read from templates and policy
files: trust policy, provider, attached identity policies, and where each lives (file, line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import field
from typing import Any

from ccwb_doctor.conform.inputs import ConformInputs
from ccwb_doctor.model import Outcome, error
from ccwb_doctor.records import record

_OIDC_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/")


def ev(path: str, line: int | None, subject: str, **more: Any) -> dict[str, Any]:
    return {"location": {"path": path, "line": line}, "subject": subject, **more}


def active_resources(ti: Any, rtypes: str | tuple[str, ...], out: list[Any]) -> Iterator[tuple[Any, Any]]:
    """(resource, resolved properties) of the template's active resources of these types; a resource that
    cannot be resolved becomes an error outcome in ``out`` (one template's problem, not the run's)."""
    from ccwb_doctor.analyzers.cfn.template import TemplateError
    from ccwb_doctor.model import error

    types = (rtypes,) if isinstance(rtypes, str) else rtypes
    tpl = ti.template
    for res in tpl.resources.values():
        if res.type not in types:
            continue
        try:
            if not tpl.active(res):
                continue
            props = tpl.resolve(res.properties)
        except TemplateError as exc:
            out.append(error(str(exc), evidence=ev(ti.path, res.line, f"{ti.path}:{res.logical_id}")))
            continue
        yield res, props if isinstance(props, dict) else {}


@record
class PolicyRef:
    name: str
    path: str
    line: int | None
    document: dict[str, Any]
    policy: Any = None  # analyzers.iam.policy.Policy
    statement_lines: list[int | None] = field(default_factory=list)


@record
class RoleCtx:
    """A federated role to judge: its trust policy, provider, identity policies and where it lives."""

    subject: str
    path: str
    line: int | None
    trust: dict[str, Any]
    trust_policy: Any  # analyzers.iam.policy.Policy or None
    trust_error: str | None
    role_arn: str | None
    max_session_duration: int | None
    provider_url: str | None
    provider_arn: str | None
    client_ids: list[str]
    policies: list[PolicyRef]
    partition: str = "aws"
    unset: list[str] = field(default_factory=list)  # template parameters left unset


def _statements(doc: Any) -> list[dict[str, Any]]:
    s = doc.get("Statement") if isinstance(doc, dict) else None
    s = [s] if isinstance(s, dict) else s if isinstance(s, list) else []
    return [x for x in s if isinstance(x, dict)]


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [] if v is None else [v]


def _doc(value: Any) -> dict[str, Any]:
    """Adapter: a policy document given as a JSON string (Fn::Sub bodies) becomes a dict."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def _parse(doc: dict[str, Any], name: str) -> tuple[Any, str | None]:
    from ccwb_doctor.analyzers.iam.parse import parse_policy
    from ccwb_doctor.analyzers.iam.policy import PolicyError

    try:
        return parse_policy(doc, name=name), None
    except PolicyError as exc:
        return None, str(exc)


def _statement_lines(tpl: Any, line: int | None, count: int) -> list[int | None]:
    for res in tpl.resources.values():
        if res.line == line and res.type in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            return [res.line_of("PolicyDocument", "Statement", i) for i in range(count)]
    return [line] * count


def federated_oidc(st: dict[str, Any]) -> list[str]:
    from ccwb_doctor.analyzers.trust.webid import federated_principals

    return [f for f in federated_principals(st) if _OIDC_ARN.match(f) or f == "accounts.google.com"]


def roles_of(inputs: ConformInputs) -> tuple[list[RoleCtx], list[Outcome]]:
    """Federated roles from templates and standalone trust policies; problems as CONFORM-PARSE outcomes."""
    from ccwb_doctor.analyzers.cfn.template import TemplateError

    roles: list[RoleCtx] = []
    problems: list[Outcome] = []
    standalone = [
        PolicyRef(p.path.rsplit("/", 1)[-1], p.path, 1, p.document, p.policy)
        for p in inputs.policies
        if p.kind == "permission"
    ]
    for ti in inputs.templates:
        tpl = ti.template
        try:
            providers = tpl.oidc_providers()
            for r in tpl.roles():
                trust = _doc(r.trust)
                if not any(federated_oidc(st) for st in _statements(trust)):
                    continue
                res = tpl.resources[r.logical_id]
                pol, perr = _parse(trust, f"{r.logical_id} trust")
                refs = []
                for pd in tpl.policies_for_role(r.logical_id):
                    pdoc = _doc(pd.document)
                    ppol, pperr = _parse(pdoc, pd.name)
                    if pperr:
                        problems.append(error(f"{pd.name}: {pperr}", evidence=ev(ti.path, pd.line, pd.name)))
                        continue
                    lines = _statement_lines(tpl, pd.line, len(_statements(pdoc)))
                    refs.append(PolicyRef(pd.name, ti.path, pd.line, pdoc, ppol, lines))
                feds = [f for st in _statements(trust) for f in federated_oidc(st)]
                prov = next((p for p in providers if p.arn in feds), None)
                url = (
                    prov.url
                    if prov
                    else (f"https://{feds[0].split('oidc-provider/', 1)[-1]}" if feds else None)
                )
                roles.append(
                    RoleCtx(
                        subject=f"{ti.path}:{r.logical_id}",
                        path=ti.path,
                        line=res.line_of("AssumeRolePolicyDocument"),
                        trust=trust,
                        trust_policy=pol,
                        trust_error=perr,
                        role_arn=r.arn,
                        max_session_duration=r.max_session_duration,
                        provider_url=url,
                        provider_arn=prov.arn if prov else (feds[0] if feds else None),
                        client_ids=list(prov.client_ids) if prov else [],
                        policies=refs,
                        partition=tpl.partition,
                        unset=list(tpl.missing_params),
                    )
                )
        except TemplateError as exc:
            problems.append(error(str(exc), evidence=ev(ti.path, None, ti.path)))
    for p in inputs.policies:
        if p.kind != "trust":
            continue
        feds = [f for st in _statements(p.document) for f in federated_oidc(st)]
        if not feds:
            continue
        roles.append(
            RoleCtx(
                subject=p.path,
                path=p.path,
                line=1,
                trust=p.document,
                trust_policy=p.policy,
                trust_error=None,
                role_arn=p.role_arn,
                max_session_duration=p.max_session_duration,
                provider_url=f"https://{feds[0].split('oidc-provider/', 1)[-1]}",
                provider_arn=feds[0],
                client_ids=[],
                policies=standalone,
            )
        )
    return roles, problems


def policy_sets_of(inputs: ConformInputs, roles: list[RoleCtx]) -> list[RoleCtx]:
    """Standalone permission policies with no standalone trust policy: judged together as one identity."""
    perms = [p for p in inputs.policies if p.kind == "permission"]
    if not perms or any(r.path == p.path for r in roles for p in inputs.policies if p.kind == "trust"):
        return []
    refs = [PolicyRef(p.path.rsplit("/", 1)[-1], p.path, 1, p.document, p.policy) for p in perms]
    subject = "policies " + ", ".join(r.name for r in refs)
    return [RoleCtx(subject, perms[0].path, 1, {}, None, None, None, None, None, None, [], refs)]
