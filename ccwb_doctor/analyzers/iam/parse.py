"""Parsing IAM policy documents (JSON text, a dict, or ``aws iam get-role`` / CloudFormation wrappers) into
compiled :class:`~ccwb_doctor.analyzers.iam.policy.Policy` objects, rejecting what IAM rejects.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from ccwb_doctor.analyzers.iam.conditions import compile_conditions
from ccwb_doctor.analyzers.iam.match import (
    Piece,
    Template,
    compile_arns,
    compile_resource_template,
)
from ccwb_doctor.analyzers.iam.policy import (
    _ACCOUNT,
    _PRINCIPAL_TYPES,
    _STATEMENT_KEYS,
    Policy,
    PolicyError,
    Statement,
    _arn_account,
    _compile_actions,
    _Principal,
    _Resources,
)

# ---- parsing -------------------------------------------------------------------------------------


def _load_text(text: str, name: str) -> Any:
    s = text.strip()
    if not s:
        raise PolicyError(f"{name}: empty policy document")
    try:
        return json.loads(s)
    except (ValueError, RecursionError) as exc:
        if "%7B" in s[:8].upper() or "%22" in s.upper():
            try:
                return json.loads(urllib.parse.unquote(s))
            except (ValueError, RecursionError):
                pass
        msg = (
            f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        raise PolicyError(f"{name}: not valid JSON ({msg})") from None


def _unwrap(doc: Any, name: str, depth: int = 0) -> dict[str, Any]:
    """Find the policy document inside CLI/API output shapes."""
    if depth > 4:
        raise PolicyError(f"{name}: too deeply wrapped to find a policy document")
    if isinstance(doc, bytes | bytearray):
        try:
            doc = doc.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PolicyError(f"{name}: not UTF-8 text") from None
    if isinstance(doc, str):
        doc = _load_text(doc, name)
    if not isinstance(doc, Mapping):
        raise PolicyError(f"{name}: expected a JSON object, got {type(doc).__name__}")
    if "Statement" in doc:
        return dict(doc)
    for outer, inner in (("Role", "AssumeRolePolicyDocument"), ("PolicyVersion", "Document")):
        sub = doc.get(outer)
        if isinstance(sub, Mapping) and inner in sub:
            return _unwrap(sub[inner], name, depth + 1)
    for key in ("AssumeRolePolicyDocument", "PolicyDocument", "Document"):
        if key in doc:
            return _unwrap(doc[key], name, depth + 1)
    raise PolicyError(
        f"{name}: no Statement element (not a policy document or get-role/get-role-policy output)"
    )


def _strings(val: Any, what: str) -> list[str]:
    items = val if isinstance(val, list) else [val]
    if not all(isinstance(x, str) for x in items):
        raise PolicyError(f"{what} must be a string or a list of strings")
    return items


def _compile_resources(vals: list[str], variables: bool) -> _Resources:
    static: list[tuple[Piece, ...]] = []
    dynamic: list[Template] = []
    warnings: list[str] = []
    for v in vals:
        tpl, warning = compile_resource_template(v, variables=variables)
        if warning:
            warnings.append(warning)
        (dynamic.append(tpl) if tpl.has_vars else static.append(tpl.pieces))
    rx, _ = compile_arns(static)
    return _Resources(rx, dynamic, static, warnings)


def _compile_principal(val: Any, what: str) -> _Principal:
    if val == "*":
        return _Principal(star=True)
    if not isinstance(val, Mapping):
        raise PolicyError(f'{what} must be "*" or an object like {{"Federated": "..."}}')
    p = _Principal()
    by: dict[str, set[str]] = {}
    accounts: set[str] = set()
    for typ, v in val.items():
        low = str(typ).lower()
        if low not in _PRINCIPAL_TYPES:
            raise PolicyError(f"{what} has unknown principal type {typ!r}")
        vals = _strings(v, f"{what}.{typ}")
        if low == "aws":
            for x in vals:
                if x == "*":
                    p.aws_star = True
                elif _ACCOUNT.match(x):
                    accounts.add(x)
                elif x.endswith(":root") and _arn_account(x):
                    accounts.add(_arn_account(x) or "")
        by.setdefault(low, set()).update(vals)
    p.by_type = {k: frozenset(v) for k, v in by.items()}
    p.aws_accounts = frozenset(accounts)
    return p


def _compile_statement(i: int, st: Any, name: str, variables: bool) -> Statement:
    where = f"{name}: statement #{i}"
    if not isinstance(st, Mapping):
        raise PolicyError(f"{where} is not an object")
    lower: dict[str, Any] = {}
    for k, v in st.items():
        lk = str(k).lower()
        if lk not in _STATEMENT_KEYS:
            raise PolicyError(f"{where} has unknown element {k!r}")
        if lk in lower:
            raise PolicyError(f"{where} repeats element {k!r}")
        lower[lk] = v
    sid = lower.get("sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}: Sid must be a string")
    where = f"{name}: statement #{i}" + (f" (Sid {sid})" if sid else "")
    effect = lower.get("effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f'{where}: Effect must be "Allow" or "Deny", got {effect!r}')
    for a, b in (("action", "notaction"), ("resource", "notresource"), ("principal", "notprincipal")):
        if a in lower and b in lower:
            raise PolicyError(f"{where} has both {a.title()} and Not{a.title()}")
    if "action" not in lower and "notaction" not in lower:
        raise PolicyError(f"{where} has neither Action nor NotAction")
    not_action = "notaction" in lower
    actions = _compile_actions(_strings(lower["notaction" if not_action else "action"], f"{where}: Action"))
    resources = None
    not_resource = "notresource" in lower
    if "resource" in lower or not_resource:
        rvals = _strings(lower["notresource" if not_resource else "resource"], f"{where}: Resource")
        resources = _compile_resources(rvals, variables)
    principal = None
    not_principal = "notprincipal" in lower
    if "principal" in lower or not_principal:
        principal = _compile_principal(
            lower["notprincipal" if not_principal else "principal"], f"{where}: Principal"
        )
    conds, err = compile_conditions(lower.get("condition"), variables=variables)
    return Statement(
        index=i,
        sid=sid,
        effect=effect,
        raw=dict(st),
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principal=principal,
        not_principal=not_principal,
        conditions=conds,
        error=f"{where}: {err}" if err else None,
        warnings=[f"{where}: {w}" for w in (resources.warnings if resources else [])],
    )


def parse_policy(doc: str | bytes | Mapping[str, Any], *, name: str = "policy") -> Policy:
    """Parse a policy document (JSON text, bytes or dict), or `aws iam get-role` /
    `get-role-policy` / `get-policy-version` output. Raises only PolicyError."""
    try:
        body = _unwrap(doc, name)
        version = body.get("Version")
        if hasattr(version, "isoformat"):  # a YAML loader turned 2012-10-17 into a date
            version = version.isoformat()
        if version is not None and version not in ("2012-10-17", "2008-10-17"):
            raise PolicyError(f"{name}: unsupported Version {version!r}")
        sts = body["Statement"]
        if isinstance(sts, Mapping):
            sts = [sts]
        if not isinstance(sts, list):
            raise PolicyError(f"{name}: Statement must be an object or a list")
        variables = version == "2012-10-17"
        statements = [_compile_statement(i, st, name, variables) for i, st in enumerate(sts)]
        return Policy(name=name, statements=statements, document=body, version=version)
    except PolicyError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, re.error) as exc:
        raise PolicyError(f"{name}: malformed policy ({type(exc).__name__}: {exc})") from None
