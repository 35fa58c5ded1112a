"""Condition operators of IAM policies, compiled at parse time (pure, no I/O).

Semantics follow the IAM user guide (iam_research.md §4):

* key names are case-insensitive; values are case-sensitive except for ``...IgnoreCase``;
* several values for one key -> OR; several keys or operators -> AND;
* negated operators (``StringNotEquals``, ``NotIpAddress``, ``ArnNotLike``, ...) -> the request
  value must match none of the policy values, and a missing key makes them true;
* ``...IfExists`` -> a missing key is true (not allowed with ``Null``);
* ``ForAnyValue:`` -> false on a missing or empty key, else some request value satisfies the operator;
  ``ForAllValues:`` -> true on a missing or empty key, else every request value satisfies it;
* ``ForAnyValue:...IfExists`` on a missing key is **false**: the IAM User Guide
  (reference_policies_condition-single-vs-multi-valued-context-keys, "ForAnyValue") says ForAnyValue
  "returns false" when the key is not in the request, and the set operator, not IfExists, decides a
  set; a public re:Post report ("ForAnyValue:StringEqualsIfExists behaving unexpectedly",
  repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w) shows the live service denying in exactly this case;
* a plain operator on a multi-valued request key is satisfied when any request value matches
  (negated: when no request value matches any policy value) -- the documentation says multivalued
  keys *require* a set operator and does not define this case, so the trace carries a **warning**;
* an ``Arn*`` operator on a request value that is not a six-part ARN never matches (negated: always
  holds), with a **warning** (the documentation compares ARNs part by part and says nothing of other
  values);
* a policy variable without a value in the request and without a default (``${aws:PrincipalTag/x}``
  with no tag ``x``): per the IAM User Guide, reference_policies_variables ("If AWS cannot resolve a
  variable this might cause the entire statement to be invalid", and section "Policy variables with no
  value", #policy-vars-no-value) any attempt to match that value fails: a positive operator ignores
  the value (other values may still match), a negated operator is **false** (it never holds because
  an unmatchable value "does not match").

A malformed condition never raises: the compiled :class:`Cond` carries ``error`` and evaluates false.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from ccwb_doctor.analyzers.iam.match import (
    Piece,
    Template,
    compile_template,
    render_pieces,
)
from ccwb_doctor.analyzers.iam.operators import OPERATORS, Builder, Matcher
from ccwb_doctor.records import record

__all__ = ["ConditionTrace", "Cond", "compile_conditions", "OPERATORS"]

Ctx = Mapping[str, "str | list[str]"]


@record(slots=True)
class ConditionTrace:
    """One key under one operator: what the policy expected, what the request had, the outcome."""

    operator: str
    key: str
    expected: list[str]
    actual: str | list[str] | None
    result: bool
    note: str = ""
    warning: str = ""


MULTI_WARNING = (
    "{op} on the multivalued key {key} ({n} value(s)) without ForAnyValue:/ForAllValues: -- the IAM "
    "documentation requires a set operator here and does not define the result (evaluated as: any value)"
)
EMPTY_WARNING = (
    "{op} {key}: the request gives this multivalued key as an empty set -- the documentation treats "
    "an empty key like a missing one only for the set operators (evaluated as: missing)"
)
ARN_WARNING = (
    "{op} {key}: request value {value!r} is not a six-part ARN -- Arn* operators compare ARNs part by "
    "part and the documentation does not define other values (evaluated as: no match)"
)


@record(slots=True)
class Cond:
    """One (operator, key) pair of a Condition block, ready to evaluate."""

    operator: str
    key: str
    lkey: str
    expected: list[str]
    qualifier: str = ""  # "" | "any" | "all"
    ifexists: bool = False
    negated: bool = False
    is_null: bool = False
    is_arn: bool = False
    error: str | None = None
    note: str = ""
    matcher: Matcher | None = None
    templates: list[Template] | None = None
    builder: Builder | None = None
    _cache: dict[tuple[tuple[Piece, ...], ...], Matcher] = field(default_factory=dict)

    def evaluate(self, ctx: Ctx) -> ConditionTrace:
        actual = ctx.get(self.lkey)
        if self.error is not None:
            return ConditionTrace(self.operator, self.key, self.expected, actual, False, self.error)
        if self.is_null:
            missing = actual is None or actual == []
            want = {e.lower() == "true" for e in self.expected}
            res = missing in want
            return ConditionTrace(
                self.operator,
                self.key,
                self.expected,
                actual,
                res,
                "key missing" if missing else "key present",
                EMPTY_WARNING.format(op=self.operator, key=self.key) if actual == [] else "",
            )
        values: list[str] | None
        values = None if actual is None else (actual if isinstance(actual, list) else [actual])
        empty = not values
        if empty:
            if self.qualifier == "any":
                res, note = False, "key missing or empty: ForAnyValue is false"
                if self.ifexists:
                    note = "key missing or empty: ForAnyValue over an empty set is false, IfExists or not"
            elif self.qualifier == "all":
                res, note = True, "key missing or empty: ForAllValues is true"
            elif self.ifexists:
                res, note = True, "key missing: IfExists is true"
            elif self.negated:
                res, note = True, "key missing: a negated operator is true"
            else:
                res, note = False, "key missing"
            warning = ""
            if actual == []:
                warning = (
                    MULTI_WARNING.format(op=self.operator, key=self.key, n=0)
                    if not self.qualifier
                    else EMPTY_WARNING.format(op=self.operator, key=self.key)
                )
            return ConditionTrace(self.operator, self.key, self.expected, actual, res, note, warning)
        assert values is not None
        matcher = self.matcher
        note = self.note
        if matcher is None:
            matcher, err, unresolved = self._dynamic(ctx)
            if matcher is None:
                return ConditionTrace(self.operator, self.key, self.expected, actual, False, err)
            if unresolved and self.negated:
                return ConditionTrace(self.operator, self.key, self.expected, actual, False, unresolved)
            note = unresolved or note
        hits = [matcher(v) for v in values]
        warning = ""
        if self.is_arn:
            bad = [v for v in values if v.count(":") < 5]
            if bad:
                warning = ARN_WARNING.format(op=self.operator, key=self.key, value=bad[0])
            elif note.startswith("not an ARN pattern"):
                warning = (
                    f"{self.operator} {self.key}: policy value {note} -- the documentation does not define it"
                )
        if self.qualifier == "all":
            res = not any(hits) if self.negated else all(hits)
        elif self.qualifier == "any":
            res = not all(hits) if self.negated else any(hits)
        else:
            res = not any(hits) if self.negated else any(hits)
            if isinstance(actual, list):  # a multivalued key in the request, whatever its length
                warning = MULTI_WARNING.format(op=self.operator, key=self.key, n=len(values))
        return ConditionTrace(self.operator, self.key, self.expected, actual, res, note, warning)

    def _dynamic(self, ctx: Ctx) -> tuple[Matcher | None, str, str]:
        """(matcher or None, error, note on unresolvable variables). A value whose variable has no
        value and no default is left out: any attempt to match it fails (see the module docstring)."""
        assert self.templates is not None and self.builder is not None
        rendered: list[tuple[Piece, ...]] = []
        missing: list[str] = []
        for tpl in self.templates:
            r = render_pieces(tpl, ctx.get)  # type: ignore[arg-type]
            if r is not None:
                rendered.append(r)
            else:
                missing.append(tpl.raw)
        unresolved = ""
        if missing:
            unresolved = (
                "policy variable without a value in the request (no default) in "
                + ", ".join(repr(m) for m in missing)
                + ": any attempt to match it fails"
            )
        if not rendered:
            return None, unresolved, unresolved
        key = tuple(rendered)
        m = self._cache.get(key)
        if m is None:
            try:
                m, _ = self.builder(rendered)
            except ValueError as exc:
                return None, str(exc), unresolved
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = m
        return m, "", unresolved


def _values(raw: Any) -> list[str] | None:
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for it in items:
        if isinstance(it, bool):
            out.append("true" if it else "false")
        elif isinstance(it, int | float) and not isinstance(it, bool):
            out.append(str(it))
        elif isinstance(it, str):
            out.append(it)
        else:
            return None
    return out


def _split_operator(op: str) -> tuple[str, str, bool]:
    """'ForAnyValue:StringLikeIfExists' -> ('any', 'stringlike', True)."""
    low = op.lower()
    qual = ""
    if low.startswith("foranyvalue:"):
        qual, low = "any", low[len("foranyvalue:") :]
    elif low.startswith("forallvalues:"):
        qual, low = "all", low[len("forallvalues:") :]
    ifexists = low.endswith("ifexists") and low != "ifexists"
    if ifexists:
        low = low[: -len("ifexists")]
    return qual, low, ifexists


def compile_one(op: str, key: str, raw: Any, *, variables: bool) -> Cond:
    """Compile one operator/key/values triple; problems end up in ``Cond.error``."""
    qual, base, ifexists = _split_operator(op)
    vals = _values(raw)
    expected = vals if vals is not None else [repr(raw)]
    c = Cond(operator=op, key=key, lkey=key.lower(), expected=expected, qualifier=qual, ifexists=ifexists)
    if vals is None:
        c.error = f"condition {op} {key!r}: values must be strings, numbers or booleans"
        return c
    if base == "null":
        if ifexists or qual:
            c.error = f"condition {op}: Null takes no IfExists or set qualifier"
        elif any(v.lower() not in ("true", "false") for v in vals):
            c.error = f"condition {op} {key!r}: Null values must be true or false"
        elif any("${" in v for v in vals):
            c.error = f"condition {op} {key!r}: policy variables are not allowed in Null"
        c.is_null = True
        return c
    spec = OPERATORS.get(base)
    if spec is None:
        c.error = f"unknown condition operator {op!r}"
        return c
    c.negated = spec.negated
    c.is_arn = base.startswith("arn")
    c.builder = spec.builder
    templates = [compile_template(v, wildcards=spec.wildcards, variables=variables) for v in vals]
    if any(t.has_vars for t in templates):
        c.templates = templates
        return c
    try:
        c.matcher, c.note = spec.builder([t.pieces for t in templates])
    except ValueError as exc:
        c.error = f"condition {op} {key!r}: {exc}"
    return c


def compile_conditions(block: Any, *, variables: bool) -> tuple[list[Cond], str | None]:
    """Compile a statement's Condition element; returns (conditions, error or None)."""
    if block is None:
        return [], None
    if not isinstance(block, dict):
        return [], "Condition must be an object of operator -> {key: values}"
    conds: list[Cond] = []
    errors: list[str] = []
    for op, body in block.items():
        if not isinstance(op, str) or not isinstance(body, dict):
            errors.append(f"condition operator {op!r} must map to an object of key -> values")
            continue
        for key, raw in body.items():
            c = compile_one(op, str(key), raw, variables=variables)
            if c.error:
                errors.append(c.error)
            conds.append(c)
    return conds, ("; ".join(errors) if errors else None)


def normalise_context(context: Mapping[str, Any] | None) -> dict[str, str | list[str]]:
    """Lower-case keys; bool -> 'true'/'false'; numbers -> str; sequences -> list[str]; None dropped."""
    out: dict[str, str | list[str]] = {}
    if not context:
        return out
    for k, v in context.items():
        if v is None:
            continue
        lk = str(k).lower()
        if isinstance(v, str):
            out[lk] = v
        elif isinstance(v, bool):
            out[lk] = "true" if v else "false"
        elif isinstance(v, int | float):
            out[lk] = str(v)
        elif isinstance(v, Sequence | set | frozenset):
            out[lk] = [
                ("true" if x else "false") if isinstance(x, bool) else str(x) for x in v if x is not None
            ]
        else:
            out[lk] = str(v)
    return out
