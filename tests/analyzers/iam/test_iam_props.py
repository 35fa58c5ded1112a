"""Hypothesis properties of the IAM evaluator and parser."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.iam.parse import parse_policy
from ccwb_doctor.analyzers.iam.policy import PolicyError, Request, evaluate

SETTINGS = settings(max_examples=150, deadline=None)

KEYS = ["k1", "K2", "aws:username", "idp.example.com:aud"]
WORDS = st.sampled_from(["a", "b", "ab", "A", "", "x:y", "arn:aws:iam::1:role/r", "10", "true", "2020-01-01"])
PATTERNS = st.sampled_from(
    ["a", "a*", "*", "?", "ab", "arn:aws:iam::*:role/*", "${aws:username}", "${*}", "1"]
)
OPERATORS = st.sampled_from(
    [
        "StringEquals",
        "StringNotEquals",
        "StringLike",
        "StringNotLikeIfExists",
        "StringEqualsIgnoreCase",
        "ArnLike",
        "ArnNotEquals",
        "NumericLessThan",
        "DateGreaterThanIfExists",
        "Bool",
        "IpAddress",
        "Null",
        "BinaryEquals",
        "ForAnyValue:StringLike",
        "ForAllValues:StringEquals",
        "ForAnyValue:StringNotEqualsIfExists",
        "Bogus",
        "NullIfExists",
    ]
)
CONDITIONS = st.dictionaries(
    OPERATORS,
    st.dictionaries(
        st.sampled_from(KEYS), st.one_of(PATTERNS, st.lists(PATTERNS, max_size=3), st.booleans())
    ),
    max_size=3,
)
ACTIONS = st.sampled_from(["s3:GetObject", "s3:*", "*", "S3:get?bject", "ec2:Run*"])
RESOURCES = st.sampled_from(["*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::c"])


@st.composite
def statements(draw: Any, effect: Any = None) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": draw(effect if effect is not None else st.sampled_from(["Allow", "Deny"]))}
    s["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(
        st.one_of(ACTIONS, st.lists(ACTIONS, max_size=3))
    )
    s["NotResource" if draw(st.integers(0, 4)) == 0 else "Resource"] = draw(RESOURCES)
    cond = draw(CONDITIONS)
    if cond:
        s["Condition"] = cond
    return s


POLICIES = st.lists(statements(), min_size=1, max_size=4).map(
    lambda s: {"Version": "2012-10-17", "Statement": s}
)
CONTEXTS = st.dictionaries(
    st.sampled_from(KEYS + ["AWS:UserName"]),
    st.one_of(st.none(), WORDS, st.lists(WORDS, max_size=3), st.booleans(), st.integers(-5, 20)),
    max_size=4,
)
REQUESTS = st.builds(
    Request,
    action=st.sampled_from(["s3:GetObject", "ec2:RunInstances", "iam:PassRole"]),
    resource=st.sampled_from([None, "arn:aws:s3:::b/a", "arn:aws:s3:::c", "arn:aws:s3:::b/ab"]),
    context=CONTEXTS,
)


@SETTINGS
@given(POLICIES, REQUESTS)
def test_evaluate_never_raises(doc: dict[str, Any], req: Request) -> None:
    dec = evaluate(req, identity=[parse_policy(doc)])
    assert dec.reason in ("allowed", "explicit-deny", "implicit-deny")
    assert dec.allowed == (dec.reason == "allowed")
    assert isinstance(dec.explain(), list)
    json.dumps(
        [t.conditions for t in dec.traces], default=lambda o: o.__dict__ if hasattr(o, "__dict__") else str(o)
    )


@SETTINGS
@given(POLICIES, REQUESTS, statements(effect=st.just("Deny")))
def test_adding_a_deny_never_allows_more(doc: dict[str, Any], req: Request, deny: dict[str, Any]) -> None:
    before = evaluate(req, identity=[parse_policy(doc)])
    after_doc = {"Version": "2012-10-17", "Statement": [*doc["Statement"], deny]}
    after = evaluate(req, identity=[parse_policy(after_doc)])
    if not before.allowed:
        assert not after.allowed
    # the same Deny in a resource policy (Principal "*") never allows either
    res_deny = parse_policy({"Statement": [dict(deny, Principal="*")]})
    again = evaluate(req, identity=[parse_policy(doc)], resource=[res_deny])
    assert again.allowed <= before.allowed


LITERALS = st.text(alphabet="abAB:/-.0", max_size=6)


@SETTINGS
@given(
    st.lists(LITERALS, min_size=1, max_size=3), st.one_of(st.none(), LITERALS, st.lists(LITERALS, max_size=3))
)
def test_stringlike_without_wildcards_is_stringequals(values: list[str], actual: Any) -> None:
    req = Request("s3:GetObject", "arn:aws:s3:::b", context={"k": actual})
    results = []
    for op in ("StringLike", "StringEquals"):
        pol = parse_policy(
            {
                "Statement": {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {op: {"k": values}},
                }
            }
        )
        results.append(evaluate(req, identity=[pol]).allowed)
    assert results[0] == results[1]


@SETTINGS
@given(st.lists(LITERALS, min_size=1, max_size=3), LITERALS)
def test_negation_is_complement_for_present_single_values(values: list[str], actual: str) -> None:
    req = Request("s3:GetObject", context={"K": actual})
    out = []
    for op in ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike"):
        pol = parse_policy(
            {"Statement": {"Effect": "Allow", "Action": "*", "Condition": {op: {"k": values}}}}
        )
        out.append(evaluate(req, identity=[pol]).allowed)
    assert out[0] != out[1] and out[2] != out[3]


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "Statement",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "Principal",
                    "Condition",
                    "Version",
                    "Role",
                    "AssumeRolePolicyDocument",
                    "PolicyDocument",
                    "Federated",
                    "StringEquals",
                    "Sid",
                    "x",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)


@SETTINGS
@given(st.one_of(JSON, JSON.map(json.dumps), st.binary(max_size=64), st.text(max_size=64)))
def test_parse_policy_raises_only_policy_error(doc: Any) -> None:
    try:
        pol = parse_policy(doc)
    except PolicyError as exc:
        assert "\n" not in str(exc)
        return
    evaluate(
        Request("s3:GetObject", "arn:aws:s3:::b", {"AWS": "x"}, {"k": "v"}), identity=[pol], resource=[pol]
    )


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["Effect", "Action", "Resource", "Condition", "Principal"]), JSON, min_size=1
    )
)
def test_parse_statement_shapes_raise_only_policy_error(stmt: dict[str, Any]) -> None:
    try:
        pol = parse_policy({"Version": "2012-10-17", "Statement": [stmt]})
    except PolicyError as exc:
        assert str(exc)  # a clear, non-empty reason
        return
    dec = evaluate(Request("s3:GetObject", None, {"Federated": "p"}, {"k": ["v"]}), resource=[pol])
    assert isinstance(dec.allowed, bool) and dec.reason


SET_OPS = st.sampled_from(
    [
        "StringEquals",
        "StringNotEquals",
        "StringLike",
        "StringNotLike",
        "ArnLike",
        "NumericLessThan",
        "DateGreaterThan",
        "Bool",
        "IpAddress",
        "BinaryEquals",
    ]
)


@SETTINGS
@given(SET_OPS, st.lists(PATTERNS, min_size=1, max_size=3), st.sampled_from([None, []]))
def test_set_operators_on_missing_or_empty_keys(op: str, values: list[str], actual: Any) -> None:
    req = Request("s3:GetObject", context={"k": actual})
    got = {}
    for qual in ("ForAnyValue", "ForAllValues"):
        cond = {f"{qual}:{op}": {"k": values}}
        pol = parse_policy(
            {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Condition": cond}}
        )
        dec = evaluate(req, identity=[pol])
        if dec.errors:  # e.g. a Bool or IpAddress operator given a non-bool / non-CIDR value
            return
        got[qual] = dec.allowed
    assert got == {"ForAnyValue": False, "ForAllValues": True}


def _allowed(op: str, values: list[str], actual: Any) -> bool:
    pol = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "*", "Condition": {op: {"k": values}}},
        }
    )
    return evaluate(Request("s3:GetObject", context={"k": actual}), identity=[pol]).allowed


PRESENT_OPS = st.sampled_from(
    ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase", "ArnLike"]
)


@SETTINGS
@given(PRESENT_OPS, st.lists(PATTERNS, min_size=1, max_size=3), WORDS)
def test_ifexists_on_a_present_key_is_the_plain_operator(op: str, values: list[str], actual: str) -> None:
    assert _allowed(op + "IfExists", values, actual) == _allowed(op, values, actual)


@SETTINGS
@given(PRESENT_OPS, st.lists(PATTERNS, min_size=1, max_size=3), WORDS)
def test_set_operators_on_a_single_present_value_are_the_plain_operator(
    op: str, values: list[str], actual: str
) -> None:
    plain = _allowed(op, values, actual)
    assert _allowed(f"ForAnyValue:{op}", values, actual) == plain
    assert _allowed(f"ForAllValues:{op}", values, actual) == plain
    assert _allowed(f"ForAllValues:{op}", values, [actual]) == plain
