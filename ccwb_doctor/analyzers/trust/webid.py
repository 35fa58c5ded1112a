"""ID-token claims -> the IAM condition context STS builds for AssumeRoleWithWebIdentity (pure).

The key prefix is the provider URL without ``https://``, keeping any path and trailing slash. Only the
documented keys are exposed (``aud``, ``sub``, ``amr``, ``azp``; ``oaud`` for Google; Cognito's keys; the
2026 provider-specific claims of GitHub/Google/CircleCI/OCI); any other claim never becomes a condition
key, so a condition on it can never match — :func:`unexposed_conditions` reports such conditions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import field
from typing import Any

from ccwb_doctor.analyzers.token.jwt import SOURCE_IDENTITY_CLAIM, TAGS_CLAIM, audiences, session_tags
from ccwb_doctor.records import record

GOOGLE = "accounts.google.com"
COGNITO = "cognito-identity.amazonaws.com"
GITHUB = "token.actions.githubusercontent.com"
GENERIC_KEYS = ("aud", "sub", "amr", "azp")
# Provider-specific keys STS started validating in 2026 (trust policy only, not available in session).
PROVIDER_KEYS: dict[str, tuple[str, ...]] = {
    GITHUB: (
        "actor",
        "actor_id",
        "job_workflow_ref",
        "repository",
        "repository_id",
        "workflow",
        "ref",
        "environment",
        "enterprise_id",
    ),
    GOOGLE: ("email", "email_verified", "hd"),
}
OAUTH2_KEYS: dict[str, tuple[str, ...]] = {
    "www.amazon.com": ("app_id", "user_id"),
    "graph.facebook.com": ("app_id", "id"),
}
BUILTIN_PRINCIPALS = (GOOGLE, COGNITO, "www.amazon.com", "graph.facebook.com")
_ARN_PROVIDER = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):oidc-provider/(.+)$")


def provider_prefix(url: str) -> str:
    """IAM's key prefix and ARN suffix for a provider URL: drop ``https://``, keep path and trailing slash."""
    u = url.strip()
    for scheme in ("https://", "http://"):
        if u.lower().startswith(scheme):
            return u[len(scheme) :]
    return u


def provider_arn(url: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:oidc-provider/{provider_prefix(url)}"


def prefix_from_principal(federated: str) -> str:
    """The key prefix named by a ``Federated`` principal (an oidc-provider ARN or a built-in IdP name)."""
    m = _ARN_PROVIDER.match(federated)
    return m.group(3) if m else federated


def allowed_claims(prefix: str) -> frozenset[str]:
    base = set(GENERIC_KEYS)
    if prefix == GOOGLE:
        base = {"aud", "oaud", "sub", "azp"}
    elif prefix.startswith("cognito-identity"):
        base = {"aud", "sub", "amr"}
    elif prefix in OAUTH2_KEYS:  # Login with Amazon / Facebook (OAuth2 ProviderId flows, not JWTs)
        base = set(OAUTH2_KEYS[prefix])
    return frozenset(base | set(PROVIDER_KEYS.get(prefix, ())))


@record
class WebIdContext:
    prefix: str
    keys: dict[str, Any] = field(default_factory=dict)
    audience: str | None = None  # what STS matches against the client-id list (response Audience)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "keys": self.keys, "audience": self.audience, "notes": self.notes}


def build_context(
    claims: Mapping[str, Any], provider_url: str, *, provider_arn: str | None = None
) -> WebIdContext:
    """The condition keys an AssumeRoleWithWebIdentity request with these claims carries."""
    prefix = provider_prefix(provider_url)
    ctx = WebIdContext(prefix)
    keys = ctx.keys
    auds = audiences(claims)
    azp = claims.get("azp") if isinstance(claims.get("azp"), str) else None
    if prefix == GOOGLE:
        if azp:
            keys[f"{prefix}:aud"], ctx.audience = azp, azp
            if auds:
                keys[f"{prefix}:oaud"] = auds[0] if len(auds) == 1 else auds
            ctx.notes.append("Google with azp: :aud is the token's azp and :oaud its aud")
        elif auds:
            keys[f"{prefix}:aud"] = keys[f"{prefix}:oaud"] = auds[0] if len(auds) == 1 else auds
            ctx.audience = auds[0] if len(auds) == 1 else None
    elif len(auds) == 1:
        keys[f"{prefix}:aud"] = ctx.audience = auds[0]
    elif len(auds) > 1:
        if azp:
            keys[f"{prefix}:aud"] = ctx.audience = azp
            ctx.notes.append(f"{len(auds)} audiences: STS uses azp {azp!r} as the audience")
        else:
            ctx.notes.append(
                f"{len(auds)} audiences and no azp: STS rejects the token (InvalidIdentityToken)"
            )
    if isinstance(claims.get("sub"), str):
        keys[f"{prefix}:sub"] = claims["sub"]
    allowed = allowed_claims(prefix)
    if "amr" in allowed and "amr" in claims:
        amr = claims["amr"]
        keys[f"{prefix}:amr"] = [str(a) for a in amr] if isinstance(amr, list) else str(amr)
    if azp and "azp" in allowed:
        keys[f"{prefix}:azp"] = azp
    for claim in PROVIDER_KEYS.get(prefix, ()):
        if claim in claims and isinstance(claims[claim], str | int | bool):
            keys[f"{prefix}:{claim}"] = (
                str(claims[claim]).lower() if isinstance(claims[claim], bool) else str(claims[claim])
            )
    keys["aws:FederatedProvider"] = provider_arn or prefix
    tags = session_tags(claims.get(TAGS_CLAIM))
    for k, v in tags.items():
        keys[f"aws:RequestTag/{k}"] = v
    if tags:
        keys["aws:TagKeys"] = list(tags)
    si = claims.get(SOURCE_IDENTITY_CLAIM)
    if isinstance(si, str):
        keys["sts:SourceIdentity"] = si
    return ctx


@record(frozen=True)
class Unexposed:
    """A condition on a claim IAM never exposes as a key: it never matches (or always passes if negated)."""

    statement: str
    operator: str
    key: str
    claim: str
    always: bool  # True: the condition is always satisfied (negated / IfExists); False: never satisfied

    @property
    def message(self) -> str:
        if self.always:
            return (
                f"{self.statement}: {self.operator} on {self.key!r} is always true: IAM never exposes the "
                f"'{self.claim}' claim, so the key is always missing and the condition restricts nothing"
            )
        return (
            f"{self.statement}: {self.operator} on {self.key!r} can never match: IAM never exposes the "
            f"'{self.claim}' claim as a condition key (documented keys: aud, sub, amr, azp)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "statement": self.statement,
            "operator": self.operator,
            "key": self.key,
            "claim": self.claim,
            "always_true": self.always,
            "message": self.message,
        }


def iter_conditions(policy: object) -> Iterator[tuple[str, dict[str, Any], str, str, Any]]:
    """(statement label, statement, operator, key, values) for every condition of a raw policy document."""
    if not isinstance(policy, Mapping):
        return
    stmts = policy.get("Statement")
    if isinstance(stmts, Mapping):
        stmts = [stmts]
    if not isinstance(stmts, list):
        return
    for i, st in enumerate(stmts):
        if not isinstance(st, Mapping):
            continue
        label = f"Statement {st.get('Sid')!r}" if st.get("Sid") else f"Statement[{i}]"
        cond = st.get("Condition")
        if not isinstance(cond, Mapping):
            continue
        for op, block in cond.items():
            if isinstance(block, Mapping):
                for key, values in block.items():
                    yield label, dict(st), str(op), str(key), values


def _holds_when_missing(op: str, key: str, values: Any) -> bool:
    """What the evaluator decides for this condition when its key is absent (negated operators,
    IfExists and ForAllValues hold; ForAnyValue never does, even negated; Null depends on its value)."""
    from ccwb_doctor.analyzers.iam.conditions import compile_one

    cond = compile_one(op, key, values, variables=True)
    return cond.error is None and cond.evaluate({}).result


def unexposed_conditions(policy: object, prefix: str) -> list[Unexposed]:
    """Conditions on ``<prefix>:<claim>`` keys that STS never populates."""
    allowed = allowed_claims(prefix)
    out: list[Unexposed] = []
    lp = prefix.lower() + ":"
    for label, _st, op, key, values in iter_conditions(policy):
        if not key.lower().startswith(lp):
            continue
        claim = key[len(lp) :]
        if claim.lower() in {a.lower() for a in allowed}:
            continue
        out.append(Unexposed(label, op, key, claim, _holds_when_missing(op, key, values)))
    return out


def federated_principals(statement: Mapping[str, Any]) -> list[str]:
    p = statement.get("Principal")
    if not isinstance(p, Mapping):
        return []
    fed = p.get("Federated")
    if isinstance(fed, str):
        return [fed]
    if isinstance(fed, list):
        return [f for f in fed if isinstance(f, str)]
    return []


def condition_keys(statement: Mapping[str, Any]) -> list[str]:
    cond = statement.get("Condition")
    out: list[str] = []
    if isinstance(cond, Mapping):
        for block in cond.values():
            if isinstance(block, Mapping):
                out += [str(k) for k in block]
    return out
