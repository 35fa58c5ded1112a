"""Static findings over loaded conform inputs: roles, parameters, trust conditions, listeners, regions.

Each ``find_*`` function returns a list of :class:`ccwb_doctor.model.Outcome` whose evidence carries
``{"location": {"path", "line"}, "subject": ...}`` so JUnit/SARIF point at the file and line.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.conform.inputs import ConformInputs
from ccwb_doctor.conform.roles import (
    RoleCtx,
    _as_list,
    _doc,
    _statements,
    ev,
    federated_oidc,
)
from ccwb_doctor.model import Outcome, error, fail, ok, skip, warn

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
AUTH_ACTIONS = ("authenticate-oidc", "authenticate-cognito", "jwt-validation")


# ---- CONFORM-PARSE / CONFORM-PARAMS ---------------------------------------------------------------


def find_parse(inputs: ConformInputs) -> list[Outcome]:
    out = [
        error(f"{p.path}{f':{p.line}' if p.line else ''}: {p.reason}", ev(p.path, p.line, p.path))
        for p in inputs.problems
        if p.kind in ("parse", "unknown")
    ]
    loaded = [t.path for t in inputs.templates] + [p.path for p in inputs.policies]
    loaded += [c.path for c in inputs.helper_configs] + [s.path for s in inputs.settings]
    loaded += [c.path for c in inputs.claims]
    out += [ok("parsed", ev(p, 1, p)) for p in loaded]
    return out


def find_params(inputs: ConformInputs) -> list[Outcome]:
    out = [
        error(f"parameters file {p.path}: {p.reason}", ev(p.path, None, p.path))
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
                    "Pass --param KEY=VALUE or --param-file FILE with the values the pipeline deploys with.",
                    e,
                )
            )
        elif bad:
            out.append(fail("; ".join(bad), "Give values that satisfy AllowedPattern / AllowedValues.", e))
        else:
            out.append(ok(f"all {len(tpl.parameters)} parameters have values", e))
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
                    'Add "Condition": {"StringEquals": {"<provider host/path>:aud": "<client id>"}} (and a :sub '
                    "StringLike pattern where wanted) to the trust statement.",
                    e,
                )
            )
        elif no_aud:
            out.append(
                warn(
                    f"{no_aud[0]} pinning :sub but not :aud: tokens the provider issues to its other client ids "
                    "with a matching sub can assume the role",
                    'Add "StringEquals": {"<provider>:aud": "<client id>"} next to the :sub condition.',
                    e,
                )
            )
        else:
            out.append(ok("every OIDC trust statement pins :aud", e))
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
                    'Add "StringEquals": {"cognito-identity.amazonaws.com:aud": "<identity pool id>"} and '
                    '"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}.',
                    e,
                )
            )
        elif no_amr:
            out.append(
                warn(
                    f"{no_amr[0]} pins :aud but not :amr: unauthenticated identities of the pool match too",
                    'Add "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}.',
                    e,
                )
            )
        else:
            out.append(
                ok("the Cognito identity trust pins the pool (:aud) and authenticated identities (:amr)", e)
            )
    return out


# ---- CONFORM-COLLECTOR-AUTH ----------------------------------------------------------------------


def _chain(actions: Any) -> list[dict[str, Any]]:
    acts = [a for a in _as_list(actions) if isinstance(a, dict)]
    return sorted(acts, key=lambda a: int(a["Order"]) if str(a.get("Order", "")).isdigit() else 50000)


def _unauth_forward(actions: Any) -> bool:
    authed = False
    for a in _chain(actions):
        t = str(a.get("Type", "")).lower()
        if t in AUTH_ACTIONS:
            authed = True
        elif t == "forward":
            return not authed
        elif t in ("redirect", "fixed-response"):
            return False
    return False


def find_collector_auth(inputs: ConformInputs) -> list[Outcome]:
    from ccwb_doctor.analyzers.cfn.template import TemplateError

    out: list[Outcome] = []
    for ti in inputs.templates:
        tpl = ti.template
        for res in tpl.resources.values():
            if res.type not in (
                "AWS::ElasticLoadBalancingV2::Listener",
                "AWS::ElasticLoadBalancingV2::ListenerRule",
            ):
                continue
            try:
                if not tpl.active(res):
                    continue
                props = tpl.resolve(res.properties)
            except TemplateError as exc:
                out.append(error(str(exc), ev(ti.path, res.line, f"{ti.path}:{res.logical_id}")))
                continue
            is_rule = res.type.endswith("ListenerRule")
            key = "Actions" if is_rule else "DefaultActions"
            proto, port = props.get("Protocol", "?"), props.get("Port", "?")
            subj = f"{ti.path}:{res.logical_id}" + ("" if is_rule else f" ({proto}:{port})")
            e = ev(
                ti.path,
                res.line_of(key),
                subj,
                protocol=proto,
                port=port,
                actions=[str(a.get("Type")) for a in _chain(props.get(key))],
            )
            if _unauth_forward(props.get(key)):
                if is_rule:
                    out.append(
                        warn(
                            f"listener rule {res.logical_id} forwards to the collector without authenticating the "
                            "request (only its rule conditions guard it)",
                            "Put a jwt-validation (or authenticate-oidc) action before the forward.",
                            e,
                        )
                    )
                else:
                    out.append(
                        fail(
                            f"listener {res.logical_id} ({proto}:{port}) forwards to the collector without "
                            "authentication: anyone who reaches it can post telemetry as any user",
                            "Make port 80 only redirect to HTTPS, and put a jwt-validation action (Issuer, "
                            "JwksEndpoint, aud) before the forward on the HTTPS listener.",
                            e,
                        )
                    )
            else:
                out.append(ok("no unauthenticated forward: " + " -> ".join(e["actions"]), e))
    return out


def skipped(reason: str) -> Outcome:
    return skip(reason)
