"""Conform findings that reuse the doctor's own verdicts (analyzers/*/verdicts.py) on synthetic facts.

* CONFORM-TRUST: each claims-file identity against each federated role, decided by the TRUST-ISSUER,
  TRUST-AUDIENCE and TRUST-CONDITIONS verdicts over Facts built from the role (not a token);
* CONFORM-TAGSESSION: TRUST-TAGSESSION for identities that send tags or a source identity;
* CONFORM-SESSION-DURATION: TRUST-SESSION-DURATION for each helper config profile x role;
* CONFORM-SETTINGS: CONFIG-SETTINGS for each Claude Code settings file;
* CONFORM-MODEL-PERMISSION: the permission matrix (models x regions x geographies) per role.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.conform.inputs import ConformInputs, Identity
from ccwb_doctor.conform.roles import RoleCtx, _statements, ev
from ccwb_doctor.conform.template import _region_values, granted_models, scope_models
from ccwb_doctor.conform.verdicts import (
    model_id,
    model_permission,
    region_alignment,
    trust_audience,
    trust_conditions,
    trust_issuer,
    trust_tagsession,
)
from ccwb_doctor.model import Outcome, Status, error, fail, ok, skip, warn

UNSET = "its template has unset parameters ({}); see CONFORM-PARAMS"


def _facts(rc: RoleCtx, claims: dict[str, Any] | None, path: str, requested: int | None = None) -> Any:
    from ccwb_doctor.analyzers.token.jwt import DecodedToken
    from ccwb_doctor.facts import Facts
    from ccwb_doctor.facts.token import TokenFact
    from ccwb_doctor.facts.trust import ProviderFact, RoleFact, TrustPolicyFact
    from ccwb_doctor.options import OFFLINE, RunOptions

    tok = TokenFact(source="claims file", path=path)
    if claims is not None:
        tok.decoded = DecodedToken(header={"alg": "RS256", "typ": "JWT"}, claims=claims)
    trust = TrustPolicyFact(
        "conform",
        rc.path,
        rc.trust,
        rc.role_arn,
        None,
        rc.max_session_duration,
        rc.trust_policy,
        rc.trust_error,
    )
    provider = ProviderFact(
        rc.provider_url, rc.provider_arn, list(rc.client_ids), [], {"url": rc.path, "client_ids": rc.path}
    )
    role = RoleFact(rc.role_arn, rc.max_session_duration, requested, {"max_session_duration": rc.path})
    overrides = {
        "token": tok,
        "trust_policy": trust,
        "oidc_provider": provider,
        "role": role,
        "jwks_client": None,
        "token_keys": None,
    }
    return Facts(RunOptions(mode=OFFLINE), env={}, overrides=overrides)


def _claims_for(ident: Identity, rc: RoleCtx, provider_url: str | None) -> dict[str, Any]:
    claims = dict(ident.claims)
    claims.setdefault("iss", provider_url or rc.provider_url)
    if "aud" not in claims and rc.client_ids:
        claims["aud"] = rc.client_ids[0]
    return claims


def _as_list(x: Any) -> list[Outcome]:
    return x if isinstance(x, list) else [x]


def find_trust(roles: list[RoleCtx], inputs: ConformInputs) -> tuple[list[Outcome], list[Outcome]]:
    """(CONFORM-TRUST outcomes, CONFORM-TAGSESSION outcomes)."""
    trust_out: list[Outcome] = []
    tag_out: list[Outcome] = []
    for cf in inputs.claims:
        for ident in cf.identities:
            for rc in roles:
                subj = f"{rc.subject} <- {ident.name} ({ident.expect})"
                e = ev(
                    ident.path, ident.line, subj, role=rc.subject, identity=ident.name, expect=ident.expect
                )
                if rc.unset:
                    trust_out.append(skip(UNSET.format(", ".join(rc.unset)), evidence=e))
                    continue
                claims = _claims_for(ident, rc, cf.provider_url)
                facts = _facts(rc, claims, ident.path)
                outs: list[tuple[str, Outcome]] = []
                for logic, fn in (
                    ("TRUST-ISSUER", trust_issuer),
                    ("TRUST-AUDIENCE", trust_audience),
                    ("TRUST-CONDITIONS", trust_conditions),
                ):
                    try:
                        outs += [(logic, o) for o in _as_list(fn(facts))]
                    except Exception as exc:  # noqa: BLE001 - one identity's crash is one error finding
                        outs.append((logic, error(f"{type(exc).__name__}: {exc}")))
                trust_out.append(_judge(ident, outs, e))
                if ident.expect == "allow" and any(
                    k in claims
                    for k in ("https://aws.amazon.com/tags", "https://aws.amazon.com/source_identity")
                ):
                    try:
                        o = trust_tagsession(facts)
                    except Exception as exc:  # noqa: BLE001
                        o = error(f"{type(exc).__name__}: {exc}")
                    tag_out.append(
                        _wrap(
                            o,
                            f"{ident.name}: ",
                            {
                                **e,
                                "location": {"path": rc.path, "line": rc.line},
                                "claims_file": ident.path,
                                "logic": "TRUST-TAGSESSION",
                            },
                        )
                    )
    return trust_out, tag_out


def _wrap(o: Outcome, prefix: str, evidence: dict[str, Any]) -> Outcome:
    return Outcome(o.status, prefix + o.message, o.remediation, {**evidence, "detail": o.evidence})


def _judge(ident: Identity, outs: list[tuple[str, Outcome]], e: dict[str, Any]) -> Outcome:
    errors = [(lg, o) for lg, o in outs if o.status == Status.ERROR]
    fails = [(lg, o) for lg, o in outs if o.status == Status.FAIL]
    if errors:
        lg, o = errors[0]
        return error(f"{ident.name}: {lg}: {o.message}", evidence={**e, "logic": lg})
    if ident.expect == "deny":
        if fails:
            lg, o = fails[0]
            return ok(f"{ident.name} is denied as required ({lg}: {o.message})", evidence={**e, "logic": lg})
        return fail(
            f"{ident.name} must be denied, but the provider and trust policy let it assume the role",
            fix="Narrow the trust policy (pin :aud to the client id, :sub to the allowed subjects) so this identity "
            "no longer matches.",
            evidence={**e, "logic": "TRUST-CONDITIONS", "detail": [o.evidence for _, o in outs][-1:]},
        )
    if fails:
        lg, o = fails[0]
        return fail(
            f"{ident.name} must be allowed, but {lg} fails: {o.message}",
            fix=o.remediation,
            evidence={**e, "logic": lg, "detail": o.evidence},
        )
    warns = [(lg, o) for lg, o in outs if o.status == Status.WARN]
    if warns:
        lg, o = warns[0]
        return warn(
            f"{ident.name} is allowed; {lg}: {o.message}", fix=o.remediation, evidence={**e, "logic": lg}
        )
    return ok(f"{ident.name} is allowed (issuer, audience and trust conditions hold)", evidence=e)


def find_session_duration(roles: list[RoleCtx], inputs: ConformInputs) -> list[Outcome]:
    from ccwb_doctor.analyzers.trust.verdicts import session_duration_verdict

    out: list[Outcome] = []
    for hc in inputs.helper_configs:
        for pname, prof in hc.config.profiles.items():
            if prof.get("federation_type") != "direct":
                continue
            for rc in roles:
                subj = f"{hc.path}:{pname} -> {rc.subject}"
                e = ev(hc.path, None, subj, logic="TRUST-SESSION-DURATION")
                if rc.unset and rc.max_session_duration is None:
                    out.append(skip(UNSET.format(", ".join(rc.unset)), evidence=e))
                    continue
                o = session_duration_verdict(_facts(rc, None, hc.path, prof.get("max_session_duration")).role)
                out.append(_wrap(o, f"profile {pname}: ", e))
    return out


def find_settings(inputs: ConformInputs) -> list[Outcome]:
    from ccwb_doctor.analyzers.clientconfig.claude_settings import SettingsFile, merge
    from ccwb_doctor.analyzers.clientconfig.verdicts import settings_verdict
    from ccwb_doctor.facts.config import ClaudeSettings

    out: list[Outcome] = []
    for si in inputs.settings:
        files = [SettingsFile(si.path, "managed" if "managed" in si.path else "user", si.data)]
        merged, env = merge(files, {})
        cs = ClaudeSettings(files=files, errors=[], merged=merged, env=env)
        for o in _as_list(settings_verdict(cs, lambda: None)):  # no AWS config file among conform inputs
            out.append(_wrap(o, "", ev(si.path, 1, si.path, logic="CONFIG-SETTINGS")))
    return out


# ---- CONFORM-MODEL-PERMISSION --------------------------------------------------------------------


def _scope_regions(rc: RoleCtx, inputs: ConformInputs, table: Any) -> list[str]:
    allr = list(table.regions.get(rc.partition, ()))
    if inputs.scope and inputs.scope.regions:
        return list(inputs.scope.regions)
    listed: set[str] = set()
    for ref in rc.policies:
        for st in _statements(ref.document):
            vals = _region_values(st)
            if vals:
                listed.update(vals)
    import fnmatch

    sel = [r for r in allr if any(fnmatch.fnmatchcase(r, p) for p in listed)] if listed else allr
    return sel or allr


def find_model_permission(roles: list[RoleCtx], inputs: ConformInputs, table: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.bedrock.matrix import evaluate_matrix

    out: list[Outcome] = []
    for rc in roles:
        e0 = ev(rc.path, rc.line, rc.subject, logic="MODEL-PERMISSION")
        if rc.unset:
            out.append(skip(UNSET.format(", ".join(rc.unset)), evidence=e0))
            continue
        policies = [p.policy for p in rc.policies if p.policy is not None]
        if not policies:
            out.append(skip("no permission policy attached to the role in these inputs", evidence=e0))
            continue
        scoped = bool(inputs.scope and inputs.scope.models)
        granted = set() if scoped else granted_models(policies, table, rc.partition)
        models = [m.key for m in scope_models(table, inputs.scope, rc.partition, granted)]
        if granted:
            for entry in table.models.values():
                if entry.partition == rc.partition and entry.key not in granted:
                    out.append(
                        skip(
                            f"{entry.key}: the permission policy grants none of its foundation-model legs, so it "
                            "is out of this deployment's scope (name it in a *.scope.json file to require it)",
                            evidence=ev(
                                rc.path, rc.line, f"{rc.subject} {entry.key}", logic="MODEL-PERMISSION"
                            ),
                        )
                    )
        regions = _scope_regions(rc, inputs, table)
        geos = (
            list(inputs.scope.geographies)
            if inputs.scope and inputs.scope.geographies
            else sorted({g for k in models for g in table.models[k].profiles})
        )
        account = (rc.role_arn or "").split(":")[4] if (rc.role_arn or "").count(":") >= 5 else None
        report = evaluate_matrix(models, regions, geos, table, policies, (), account)
        by_model: dict[str, list[Any]] = {}
        for c in report.cells:
            by_model.setdefault(c.model, []).append(c)
        line = rc.policies[0].line if rc.policies else rc.line
        path = rc.policies[0].path if rc.policies else rc.path
        for model, cells in by_model.items():
            denied = [c for c in cells if c.status == "denied"]
            served = [c for c in cells if c.status in ("allowed", "denied")]
            subj = f"{rc.subject} {model}"
            e = ev(
                path,
                line,
                subj,
                logic="MODEL-PERMISSION",
                regions=len(regions),
                geographies=geos,
                cells={s: sum(1 for c in cells if c.status == s) for s in {c.status for c in cells}},
            )
            warned = sorted({w for c in served if c.verdict for w in c.verdict.warnings})
            if warned:
                e["warnings"] = warned[:10]
            if denied:
                first = denied[0]
                e["denied"] = [f"{c.geography} from {c.region}: {c.verdict.summary()}" for c in denied[:10]]
                out.append(
                    fail(
                        f"{model}: {len(denied)} of {len(served)} profile x source-region cells are denied, e.g. "
                        f"{first.geography} from {first.region}: {first.verdict.summary()}",
                        fix="Grant InvokeModel/InvokeModelWithResponseStream on the profile in each source region and "
                        "on the foundation model in every destination region (plus the region-less ARN with "
                        "aws:RequestedRegion 'unspecified' for global.).",
                        evidence=e,
                    )
                )
            elif served:
                if warned:
                    out.append(
                        warn(
                            f"{model}: all {len(served)} profile x source-region cells are allowed, but the "
                            f"policy is ambiguous there: {warned[0]}",
                            fix="Rewrite the condition so IAM's documented semantics decide it (a set operator "
                            "for multivalued keys, full six-part ARNs for Arn* operators, variables only after "
                            "the fifth colon of a Resource ARN).",
                            evidence=e,
                        )
                    )
                else:
                    out.append(
                        ok(
                            f"{model}: all {len(served)} profile x source-region cells are allowed",
                            evidence=e,
                        )
                    )
            else:
                out.append(
                    skip(f"{model}: no profile of it is offered from the regions in scope", evidence=e)
                )
    return out


# ---- settings files: REGION-ALIGNMENT, MODEL-ID and MODEL-PERMISSION logic --------------------------


def _key_line(path: str, key: str) -> int | None:
    try:
        text = open(path, encoding="utf-8-sig").read()  # noqa: SIM115 - small file, read once
    except OSError:
        return None
    i = text.find(f'"{key}"')
    return text.count("\n", 0, i) + 1 if i >= 0 else None


def _helper_profile(inputs: ConformInputs, env: dict[str, str]) -> dict[str, Any] | None:
    """The helper config profile these settings use: the one named by AWS_PROFILE, else the only one."""
    profiles = [(n, p) for hc in inputs.helper_configs for n, p in hc.config.profiles.items()]
    wanted = env.get("AWS_PROFILE")
    for name, prof in profiles:
        if wanted and name == wanted:
            return dict(prof)
    return dict(profiles[0][1]) if len(profiles) == 1 and not wanted else None


def _settings_facts(si: Any, inputs: ConformInputs, table: Any, extra: dict[str, Any] | None = None) -> Any:
    from ccwb_doctor.analyzers.clientconfig.claude_settings import SettingsFile, merge
    from ccwb_doctor.facts import Facts
    from ccwb_doctor.facts.config import ClaudeSettings
    from ccwb_doctor.options import OFFLINE, RunOptions

    files = [SettingsFile(si.path, "managed" if "managed" in si.path else "user", si.data)]
    merged, env = merge(files, {})
    cs = ClaudeSettings(files=files, errors=[], merged=merged, env=env)
    overrides = {
        "claude_settings": cs,
        "aws_config": None,
        "profile": None,
        "helper_profile": _helper_profile(inputs, env),
        "profiles_table": table,
        "scp_policies": [],
        **(extra or {}),
    }
    return Facts(RunOptions(mode=OFFLINE), env={}, overrides=overrides)


def _model_subject(si: Any, o: Outcome) -> tuple[str, int | None]:
    m = (o.evidence or {}).get("model") if isinstance(o.evidence, dict) else None
    if isinstance(m, dict) and m.get("var"):
        return f"{si.path} {m['var']}", _key_line(si.path, str(m["var"]))
    return si.path, _key_line(si.path, "AWS_REGION") or 1


def find_settings_models(
    roles: list[RoleCtx], inputs: ConformInputs, table: Any
) -> tuple[list[Outcome], list[Outcome], list[Outcome]]:
    """(CONFORM-REGION-ALIGNMENT, CONFORM-MODEL-ID, settings-pinned CONFORM-MODEL-PERMISSION) outcomes:
    the doctor's REGION-ALIGNMENT, MODEL-ID and MODEL-PERMISSION checks over each settings file (with the
    helper config profile it names, and each federated role's permission policies)."""
    from ccwb_doctor.facts.model import PermissionPolicies

    regions: list[Outcome] = []
    ids: list[Outcome] = []
    perms: list[Outcome] = []
    for si in inputs.settings:
        facts = _settings_facts(si, inputs, table)
        if not facts.model_config.use_bedrock:
            continue  # CONFORM-SETTINGS already says Bedrock is not selected
        for logic, fn, sink in (("REGION-ALIGNMENT", region_alignment, regions), ("MODEL-ID", model_id, ids)):
            for o in _as_list(fn(facts)):
                subj, line = _model_subject(si, o)
                sink.append(_wrap(o, "", ev(si.path, line, subj, logic=logic)))
        for rc in roles:
            policies = [p.policy for p in rc.policies if p.policy is not None]
            if not policies or rc.unset:
                continue
            pp = PermissionPolicies("conform", policies, rc.role_arn)
            pfacts = _settings_facts(si, inputs, table, {"permission_policies": pp})
            outs = _as_list(model_permission(pfacts))
            targets = pfacts.model_config.targets()
            for i, o in enumerate(outs):
                subj, line = si.path, _key_line(si.path, "env") or 1
                if len(outs) == len(targets):  # one outcome per target model, in order
                    subj, line = f"{si.path} {targets[i].var}", _key_line(si.path, targets[i].var)
                perms.append(
                    _wrap(o, "", ev(si.path, line, f"{subj} -> {rc.subject}", logic="MODEL-PERMISSION"))
                )
    return regions, ids, perms
