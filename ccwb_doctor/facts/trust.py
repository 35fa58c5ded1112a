"""Trust facts: the role's trust policy, the IAM OIDC provider, and the role (ARN, session durations).

Sources, first that has it: command-line files (--trust-policy, --provider-url/--client-id), the
CloudFormation template (--template/--param), the helper's config.json, then (--live) IAM itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import field
from pathlib import Path
from typing import Any

from ccwb_doctor.analyzers.trust.webid import federated_principals, prefix_from_principal, provider_prefix
from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.model import InputError
from ccwb_doctor.records import record

MAX_POLICY_FILE = 1024 * 1024
_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)$")
_OIDC_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/")


@record
class TrustPolicyFact:
    """The role's trust policy document and where it was read from."""

    source: str  # --trust-policy | --template | live
    path: str | None
    document: dict[str, Any]
    role_arn: str | None = None
    role_name: str | None = None
    max_session_duration: int | None = None
    policy: Any = None  # analyzers.iam.policy.Policy, or None when it does not parse
    error: str | None = None  # why it does not parse
    notes: list[str] = field(default_factory=list)

    def federated(self) -> list[str]:
        stmts = self.document.get("Statement")
        stmts = [stmts] if isinstance(stmts, dict) else stmts if isinstance(stmts, list) else []
        out: list[str] = []
        for st in stmts:
            if isinstance(st, dict):
                out += [f for f in federated_principals(st) if f not in out]
        return out

    def evidence(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "path": self.path,
            "role_arn": self.role_arn,
            "federated_principals": self.federated(),
            "notes": self.notes,
        }


@record
class ProviderFact:
    """The IAM OIDC provider: its URL, ARN, audiences and thumbprints."""

    url: str | None = None
    arn: str | None = None
    client_ids: list[str] = field(default_factory=list)
    thumbprints: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # field -> where it came from

    @property
    def prefix(self) -> str | None:
        return provider_prefix(self.url) if self.url else None

    def evidence(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "arn": self.arn,
            "client_ids": self.client_ids,
            "thumbprints": self.thumbprints,
            "sources": self.sources,
        }


@record
class RoleFact:
    """The role the helper assumes: its ARN, MaxSessionDuration and the duration requested."""

    arn: str | None = None
    max_session_duration: int | None = None  # the role's MaxSessionDuration
    requested_duration: int | None = None  # DurationSeconds the helper asks for
    sources: dict[str, str] = field(default_factory=dict)

    def evidence(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "max_session_duration": self.max_session_duration,
            "requested_duration": self.requested_duration,
            "sources": self.sources,
        }


def _parse(doc: Any, name: str, fact_: TrustPolicyFact) -> TrustPolicyFact:
    from ccwb_doctor.analyzers.iam.parse import parse_policy
    from ccwb_doctor.analyzers.iam.policy import PolicyError

    try:
        fact_.policy = parse_policy(doc, name=name)
        fact_.document = fact_.policy.document
    except PolicyError as exc:
        fact_.error = str(exc)
    return fact_


def _read_json(path: Path, what: str) -> Any:
    try:
        if path.stat().st_size > MAX_POLICY_FILE:
            raise InputError(f"{what} is larger than {MAX_POLICY_FILE} bytes", str(path))
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{what} not found", str(path)) from None
    except (IsADirectoryError, UnicodeDecodeError, PermissionError) as exc:
        raise InputError(f"{what} cannot be read ({type(exc).__name__})", str(path)) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(f"{what} is not valid JSON ({str(exc).splitlines()[0][:100]})", str(path)) from None


def _from_file(path: Path) -> TrustPolicyFact:
    data = _read_json(path, "trust policy file")
    role = data.get("Role") if isinstance(data, dict) and isinstance(data.get("Role"), dict) else {}
    doc = data
    fact_ = TrustPolicyFact("--trust-policy", str(path), {})
    if role:
        fact_.role_arn = role.get("Arn") if isinstance(role.get("Arn"), str) else None
        fact_.role_name = role.get("RoleName") if isinstance(role.get("RoleName"), str) else None
        msd = role.get("MaxSessionDuration")
        fact_.max_session_duration = msd if isinstance(msd, int) else None
        fact_.notes.append("read from `aws iam get-role` output")
    return _parse(doc, path.name, fact_)


def _template(facts: Facts) -> Any:
    """The loaded CFN template (analyzers.cfn.template), or None when there is none or the loader is missing."""
    path = facts.options.template
    if path is None:
        return None
    try:
        from ccwb_doctor.analyzers.cfn import template as cfn
    except ImportError:
        raise InputError("template support is not available in this build", str(path)) from None
    hp = facts.peek("helper_profile") or {}
    m = _ROLE_ARN.match(str(hp.get("federated_role_arn") or hp.get("role_arn") or ""))
    region = facts.options.params.get("AWS::Region") or hp.get("aws_region") or "us-east-1"
    account = facts.options.params.get("AWS::AccountId") or (m.group(2) if m else "111122223333")
    try:
        return cfn.load_template(Path(path), dict(facts.options.params), region=region, account=account)
    except cfn.TemplateError as exc:
        raise InputError(str(exc)) from None


@fact("cfn_template")
def _cfn_template(facts: Facts) -> Any:
    return _template(facts)


def _role_trusts_oidc(trust: Any) -> bool:
    stmts = trust.get("Statement") if isinstance(trust, dict) else None
    stmts = [stmts] if isinstance(stmts, dict) else stmts or []
    return any(isinstance(st, dict) and federated_principals(st) for st in stmts)


def _template_role(tpl: Any, wanted_arn: str | None) -> Any:
    roles = [r for r in tpl.roles() if _role_trusts_oidc(getattr(r, "trust_policy", None))]
    if wanted_arn:
        for r in roles:
            if r.deployed_as(wanted_arn):
                r.arn = wanted_arn  # the deployed role (CloudFormation may have generated its name)
                return r
    direct = [
        r
        for r in roles
        if any(_OIDC_ARN.match(f) for st in _stmts(r.trust_policy) for f in federated_principals(st))
    ]
    return (direct or roles or [None])[0]


def _stmts(doc: Any) -> list[dict[str, Any]]:
    s = doc.get("Statement") if isinstance(doc, dict) else None
    s = [s] if isinstance(s, dict) else s if isinstance(s, list) else []
    return [x for x in s if isinstance(x, dict)]


def _live_role(facts: Facts, role_arn: str) -> TrustPolicyFact | None:
    m = _ROLE_ARN.match(role_arn)
    if not m:
        return None
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        from ccwb_doctor.facts import aws

        iam = aws.client(facts, "iam")
        if iam is None:
            return None
        role = iam.get_role(RoleName=m.group(3))["Role"]
    except (ImportError, BotoCoreError, ClientError, KeyError):
        return None
    doc = role.get("AssumeRolePolicyDocument")
    fact_ = TrustPolicyFact(
        "live", None, {}, role.get("Arn"), role.get("RoleName"), role.get("MaxSessionDuration")
    )
    fact_.notes.append("IAM GetRole")
    return _parse(json.dumps(doc) if isinstance(doc, dict) else doc, m.group(3), fact_)


@fact("trust_policy")
def _trust_policy(facts: Facts) -> TrustPolicyFact | None:
    opts = facts.options
    if opts.trust_policy:
        return _from_file(Path(opts.trust_policy))
    hp = facts.peek("helper_profile") or {}
    wanted = hp.get("federated_role_arn") or hp.get("role_arn")
    tpl = facts.cfn_template
    if tpl is not None:
        role = _template_role(tpl, wanted)
        if role is None:
            return None
        fact_ = TrustPolicyFact(
            "--template",
            str(opts.template),
            {},
            getattr(role, "arn", None),
            getattr(role, "name", None),
            getattr(role, "max_session_duration", None),
        )
        fact_.notes.append(f"role {getattr(role, 'logical_id', getattr(role, 'name', '?'))} in the template")
        missing = list(getattr(tpl, "missing_params", []) or [])
        if missing:
            fact_.notes.append(f"parameters without a value (give --param): {', '.join(map(str, missing))}")
        return _parse(
            role.trust_policy, f"{Path(str(opts.template)).name}:{getattr(role, 'logical_id', 'role')}", fact_
        )
    if opts.live and wanted:
        return _live_role(facts, wanted)
    return None


@fact("role")
def _role(facts: Facts) -> RoleFact:
    rf = RoleFact()
    hp = facts.peek("helper_profile") or {}
    trust: TrustPolicyFact | None = facts.peek("trust_policy")
    if hp.get("federated_role_arn") or hp.get("role_arn"):
        rf.arn, rf.sources["arn"] = hp.get("federated_role_arn") or hp.get("role_arn"), "helper config"
    if trust is not None:
        if trust.role_arn and (not rf.arn or trust.source == "live"):
            rf.arn, rf.sources["arn"] = trust.role_arn, trust.source
        if trust.max_session_duration is not None:
            rf.max_session_duration = trust.max_session_duration
            rf.sources["max_session_duration"] = trust.source
    if hp.get("federation_type", "direct") == "direct" and isinstance(hp.get("max_session_duration"), int):
        rf.requested_duration = hp["max_session_duration"]
        rf.sources["requested_duration"] = "helper config max_session_duration"
    return rf


WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


@record
class TrustEval:
    """The trust policy evaluated for the token: context, request principal, decision, findings."""

    prefix: str
    principal: str
    context: dict[str, Any]
    audience: str | None
    notes: list[str]
    decision: Any = None  # analyzers.iam.policy.Decision for sts:AssumeRoleWithWebIdentity
    unexposed: list[Any] = field(default_factory=list)  # analyzers.trust.webid.Unexposed

    def decide(self, facts: Facts, action: str) -> Any:
        """Evaluate another action (sts:TagSession, sts:SetSourceIdentity) with the same request."""
        from ccwb_doctor.analyzers.iam.policy import Request, evaluate

        trust: TrustPolicyFact = facts.trust_policy
        role: RoleFact = facts.role
        req = Request(action, role.arn, {"Federated": self.principal}, self.context)
        return evaluate(req, resource=[trust.policy])


def principal_for(prefix: str, provider: ProviderFact | None, trust: TrustPolicyFact, role: RoleFact) -> str:
    """The Federated principal STS presents: the provider ARN (or a built-in IdP's name)."""
    if (
        provider is not None
        and provider.arn
        and provider_prefix(provider.arn.split("oidc-provider/", 1)[-1]) == prefix
    ):
        return provider.arn
    for fed in trust.federated():
        if prefix_from_principal(fed) == prefix:
            return fed
    if prefix in (
        "accounts.google.com",
        "cognito-identity.amazonaws.com",
        "www.amazon.com",
        "graph.facebook.com",
    ):
        return prefix
    m = _ROLE_ARN.match(role.arn or "")
    partition, account = (m.group(1), m.group(2)) if m else ("aws", "000000000000")
    return f"arn:{partition}:iam::{account}:oidc-provider/{prefix}"


@fact("trust_eval")
def _trust_eval(facts: Facts) -> TrustEval | None:
    """None when there is no token or no parsable trust policy (checks say why)."""
    from ccwb_doctor.analyzers.iam.policy import Request, evaluate
    from ccwb_doctor.analyzers.trust.webid import build_context, unexposed_conditions

    tok = facts.token
    trust: TrustPolicyFact | None = facts.trust_policy
    if not tok.found or not tok.decoded.ok or trust is None or trust.policy is None:
        return None
    provider: ProviderFact | None = facts.peek("oidc_provider")
    role: RoleFact = facts.role
    url = (provider.url if provider and provider.url else None) or tok.decoded.iss or ""
    prefix = provider_prefix(url)
    principal = principal_for(prefix, provider, trust, role)
    wctx = build_context(tok.claims, url, provider_arn=principal if principal.startswith("arn:") else None)
    req = Request(WEB_IDENTITY, role.arn, {"Federated": principal}, wctx.keys)
    te = TrustEval(prefix, principal, wctx.keys, wctx.audience, wctx.notes)
    te.decision = evaluate(req, resource=[trust.policy])
    te.unexposed = unexposed_conditions(trust.document, prefix)
    return te
