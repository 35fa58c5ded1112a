"""An offline IAM policy evaluator with an explanation trace (pure library, no I/O).

Public API::

    iam.parse.parse_policy(doc, name=...) -> Policy   # PolicyError (a ValueError) on malformed input
    evaluate(Request(...), identity=[...], resource=[...], scps=[...]) -> Decision

Scope and choices (semantics in ``iam_research.md`` §4):

* Same-account evaluation: an explicit Deny in any policy wins (SCP denies are reported as
  ``scp-explicit-deny``); when SCPs are given at least one SCP statement must allow the request
  (all SCPs passed are treated as one level of the organisation: pass ``FullAWSAccess`` alongside a
  deny-only guardrail, exactly as AWS attaches it by default); otherwise an Allow in an identity OR
  a resource policy allows. For a role trust policy use ``resource=[trust]`` and no identity policy.
* ``Principal``/``NotPrincipal`` are matched only for resource policies and only when the request
  names a principal; ``Resource``/``NotResource`` only when the request names a resource (a trust
  policy has no Resource element).
* A statement with a malformed condition or an unknown operator never raises: it does not apply,
  its trace carries ``error`` and the decision lists it in ``errors`` (the caller reports an error
  finding). Structural problems (no Statement, bad Effect, unknown elements) raise PolicyError.
* Policy variables (``${aws:username}``) are substituted from the request context in condition
  values and in the resource part (after the fifth colon) of Resource/NotResource ARNs when the policy
  Version is 2012-10-17; before the fifth colon they are literal text (with a warning). The substituted
  text is literal. A variable without a value or default makes that value unmatchable: a negated
  condition is then false and a NotResource statement does not apply (see ``conditions``).
* Cases the IAM documentation leaves undefined (a plain operator on a multivalued key, ``Arn*`` on a
  value that is not an ARN, an empty multivalued key) are decided as documented in ``conditions`` and
  reported in ``Decision.warnings`` (and ``explain()``), never silently.
* Policies with more than ``INDEX_MIN`` statements are evaluated through a statement index (exact: a
  statement left out can match neither the action nor the resource); ``Decision.skipped`` counts the
  statements that therefore have no trace.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from ccwb_doctor.analyzers.iam.conditions import Cond, ConditionTrace, normalise_context
from ccwb_doctor.analyzers.iam.decision import Decision, Request, StatementTrace
from ccwb_doctor.analyzers.iam.index import StatementIndex
from ccwb_doctor.analyzers.iam.match import (
    GlobSet,
    Piece,
    Template,
    compile_arns,
    compile_globs,
    compile_template,
    render_pieces,
)
from ccwb_doctor.records import record

__all__ = [
    "PolicyError",
    "Policy",
    "Statement",
    "Request",
    "Decision",
    "StatementTrace",
    "ConditionTrace",
    "evaluate",
    "action_matches",
    "resource_matches",
]

_STATEMENT_KEYS = {
    "sid",
    "effect",
    "principal",
    "notprincipal",
    "action",
    "notaction",
    "resource",
    "notresource",
    "condition",
}
_PRINCIPAL_TYPES = {
    "aws": "AWS",
    "federated": "Federated",
    "service": "Service",
    "canonicaluser": "CanonicalUser",
}
_ACCOUNT = re.compile(r"^\d{12}$")


class PolicyError(ValueError):
    """A policy document that cannot be parsed; ``str(exc)`` is a one-line reason."""


@record
class _Principal:
    star: bool = False
    by_type: dict[str, frozenset[str]] = field(default_factory=dict)  # lower type -> values
    aws_star: bool = False
    aws_accounts: frozenset[str] = frozenset()

    def matches(self, req: Mapping[str, list[str]]) -> bool:
        if self.star:
            return True
        for typ, vals in req.items():
            if typ == "aws":
                if self.aws_star and vals:
                    return True
                for v in vals:
                    if v in self.by_type.get("aws", ()) or _arn_account(v) in self.aws_accounts:
                        return True
                continue
            allowed = self.by_type.get(typ)
            if allowed and any(v in allowed for v in vals):
                return True
        return False


def _arn_account(v: str) -> str | None:
    if _ACCOUNT.match(v):
        return v
    parts = v.split(":", 5)
    return parts[4] if len(parts) == 6 else None


@functools.lru_cache(maxsize=512)
def _resource_rx(pieces: tuple[Piece, ...]) -> GlobSet | None:
    rx, _ = compile_arns([pieces])
    return rx


@record
class _Resources:
    regex: GlobSet | None
    dynamic: list[Template]
    static: list[tuple[Piece, ...]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def matches(self, resource: str, ctx: Mapping[str, str | list[str]]) -> bool:
        return self.match_detail(resource, ctx)[0]

    def match_detail(self, resource: str, ctx: Mapping[str, str | list[str]]) -> tuple[bool, list[str]]:
        """(some value matches, the values whose variables have no value and no default)."""
        if self.regex is not None and self.regex.match(resource):
            return True, []
        unresolved: list[str] = []
        for tpl in self.dynamic:
            r = render_pieces(tpl, ctx.get)  # type: ignore[arg-type]
            if r is None:
                unresolved.append(tpl.raw)
                continue
            rx = _resource_rx(r)
            if rx is not None and rx.match(resource):
                return True, []
        return False, unresolved


@record
class Statement:
    index: int
    sid: str | None
    effect: str
    raw: dict[str, Any]
    actions: GlobSet | None
    not_action: bool
    resources: _Resources | None
    not_resource: bool
    principal: _Principal | None
    not_principal: bool
    conditions: list[Cond]
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


# ---- the statement index (issue 16: 10k statements x the Bedrock matrix must stay linear) ----------

INDEX_MIN = 32
"""Policies with more statements than this are evaluated through :class:`index.StatementIndex`; smaller ones trace
every statement (their explanation lists every statement that did not apply)."""


@record
class Policy:
    name: str
    statements: list[Statement]
    document: dict[str, Any]
    version: str | None = None
    _index: StatementIndex | None = field(default=None, repr=False, compare=False)

    def index(self) -> StatementIndex:
        if self._index is None:
            self._index = StatementIndex(self.statements)
        return self._index

    def __repr__(self) -> str:
        return f"Policy({self.name!r}, {len(self.statements)} statements)"

    @property
    def errors(self) -> list[str]:
        """Problems of every statement (unknown operators, malformed conditions), for static checks."""
        return [st.error for st in self.statements if st.error]

    @property
    def warnings(self) -> list[str]:
        """Static policy warnings (e.g. a variable before the fifth colon of a Resource ARN)."""
        return [w for st in self.statements for w in st.warnings]


def _compile_actions(vals: list[str]) -> GlobSet | None:
    """Action patterns: case-insensitive (both sides lower-cased), ``*`` and ``?`` cross everything."""
    return compile_globs(
        [compile_template(v, wildcards=True, variables=False).pieces for v in vals], fold=True
    )


# ---- evaluation ----------------------------------------------------------------------------------


def _norm_principal(p: Mapping[str, str | Sequence[str]] | None) -> dict[str, list[str]] | None:
    if p is None:
        return None
    out: dict[str, list[str]] = {}
    for k, v in p.items():
        out[str(k).lower()] = [v] if isinstance(v, str) else [str(x) for x in v]
    return out


def _trace(
    st: Statement,
    policy: str,
    kind: str,
    action: str,
    resource: str | None,
    principal: dict[str, list[str]] | None,
    ctx: dict[str, str | list[str]],
) -> StatementTrace:
    matched = st.actions is not None and st.actions.match(action)
    action_ok = matched != st.not_action
    res_ok = True
    note = ""
    if st.resources is not None and resource is not None:
        hit, unresolved = st.resources.match_detail(resource, ctx)
        res_ok = hit != st.not_resource
        if unresolved and st.not_resource and res_ok:
            # A NotResource value that cannot be resolved cannot be matched, so "matches none of
            # them" cannot be established either: the statement does not apply (IAM User Guide,
            # reference_policies_variables, "Policy variables with no value").
            res_ok = False
            note = (
                f"NotResource {unresolved[0]!r}: a policy variable has no value in the request "
                "(no default): any attempt to match it fails, so the statement does not apply"
            )
    princ_ok = True
    if kind == "resource":
        if st.principal is None:
            princ_ok = False
            note = "resource policy statement without Principal"
        elif principal is not None:
            princ_ok = st.principal.matches(principal) != st.not_principal
    conds: list[ConditionTrace] = []
    cond_ok = True
    if action_ok and res_ok and princ_ok:
        for c in st.conditions:
            ct = c.evaluate(ctx)
            conds.append(ct)
            if not ct.result:
                cond_ok = False
    applies = action_ok and res_ok and princ_ok and cond_ok and st.error is None
    warnings = list(st.warnings)
    warnings.extend(c.warning for c in conds if c.warning)
    return StatementTrace(
        policy=policy,
        index=st.index,
        sid=st.sid,
        effect=st.effect,
        action_matched=action_ok,
        resource_matched=res_ok,
        principal_matched=princ_ok,
        conditions=conds,
        applies=applies,
        kind=kind,
        error=st.error,
        note=note,
        warnings=warnings,
    )


def evaluate(
    request: Request,
    identity: Sequence[Policy] = (),
    resource: Sequence[Policy] = (),
    scps: Sequence[Policy] = (),
) -> Decision:
    """Evaluate ``request`` against the policies; never raises on well-typed input."""
    ctx = normalise_context(request.context)
    principal = _norm_principal(request.principal)
    traces: list[StatementTrace] = []
    errors: list[str] = []
    warnings: list[str] = []
    skipped = 0
    for kind, policies in (("scp", scps), ("identity", identity), ("resource", resource)):
        for pol in policies:
            statements: Sequence[Statement] = pol.statements
            if len(statements) > INDEX_MIN:
                picked = pol.index().candidates(request.action, request.resource)
                skipped += len(statements) - len(picked)
                statements = [pol.statements[i] for i in picked]
            for st in statements:
                t = _trace(st, pol.name, kind, request.action, request.resource, principal, ctx)
                traces.append(t)
                could_apply = t.action_matched and t.resource_matched and t.principal_matched
                if st.error and could_apply and st.error not in errors:
                    errors.append(st.error)
                if t.action_matched:  # a warning about a statement that could concern this request
                    warnings.extend(w for w in t.warnings if w not in warnings)
    scp_deny = [t for t in traces if t.applies and t.effect == "Deny" and t.kind == "scp"]
    if scp_deny:
        return Decision(False, "scp-explicit-deny", traces, scp_deny, errors, warnings, skipped)
    deny = [t for t in traces if t.applies and t.effect == "Deny"]
    if deny:
        return Decision(False, "explicit-deny", traces, deny, errors, warnings, skipped)
    if scps and not any(t.applies and t.kind == "scp" for t in traces):
        return Decision(False, "scp-implicit-deny", traces, [], errors, warnings, skipped)
    allow = [t for t in traces if t.applies and t.kind != "scp"]
    if allow:
        return Decision(True, "allowed", traces, allow, errors, warnings, skipped)
    return Decision(False, "implicit-deny", traces, [], errors, warnings, skipped)


# ---- small helpers other analyzers use -----------------------------------------------------------


def action_matches(pattern: str, action: str) -> bool:
    """IAM action pattern match: case-insensitive, ``*`` and ``?`` wildcards."""
    rx = _action_glob(pattern)
    return rx is not None and rx.match(action)


@functools.lru_cache(maxsize=1024)
def _action_glob(pattern: str) -> GlobSet | None:
    return _compile_actions([pattern])


def resource_matches(pattern: str, resource: str) -> bool:
    """IAM Resource pattern match: ARN-aware (``*`` does not cross ``:`` before the resource part, unless
    it is the last character of a segment, as the IAM user guide documents for resource ARNs)."""
    rx, _ = compile_arns([compile_template(pattern, wildcards=True, variables=False).pieces])
    return rx is not None and rx.match(resource)
