"""Issue 16, the evaluator against the IAM User Guide: variables before the fifth colon, variables
without a value, ForAnyValue...IfExists on a missing key, and warnings for undefined cases."""

from __future__ import annotations

from typing import Any

import pytest

from ccwb_doctor.analyzers.bedrock.matrix import MatrixEvaluator
from ccwb_doctor.analyzers.bedrock.plan import plan_requests
from ccwb_doctor.analyzers.bedrock.profiles import load_profiles_table
from ccwb_doctor.analyzers.iam.parse import parse_policy
from ccwb_doctor.analyzers.iam.policy import Decision, Request, evaluate

FM = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-x"
ACCT = "111122223333"


def decide(
    statements: list[dict[str, Any]], resource: str = FM, ctx: dict[str, Any] | None = None
) -> Decision:
    pol = parse_policy({"Version": "2012-10-17", "Statement": statements}, name="p")
    return evaluate(Request("bedrock:InvokeModel", resource, None, ctx or {}), identity=[pol])


def allow(resource: Any, cond: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    st = {"Effect": "Allow", "Action": "bedrock:*", **kw}
    if resource is not None:
        st["Resource"] = resource
    if cond:
        st["Condition"] = cond
    return st


# ---- variables before the fifth colon are literal ----------------------------------------------


@pytest.mark.parametrize(
    "pattern, resource",
    [
        (
            "arn:aws:bedrock:*:${aws:PrincipalAccount}:inference-profile/*",
            f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.x",
        ),
        ("arn:aws:bedrock:${aws:RequestedRegion}::foundation-model/*", FM),
        ("arn:aws:${aws:ResourceService}:us-east-1::foundation-model/*", FM),
    ],
)
def test_a_variable_before_the_fifth_colon_is_literal_text(pattern: str, resource: str) -> None:
    ctx = {"aws:PrincipalAccount": ACCT, "aws:RequestedRegion": "us-east-1", "aws:ResourceService": "bedrock"}
    dec = decide([allow(pattern)], resource, ctx)
    assert not dec.allowed, dec.explain()
    assert any("fifth colon" in w for w in dec.warnings), dec.warnings
    assert any("fifth colon" in ln for ln in dec.explain())


def test_a_variable_after_the_fifth_colon_is_substituted() -> None:
    pattern = "arn:aws:bedrock:us-east-1::foundation-model/${aws:PrincipalTag/model}"
    assert decide([allow(pattern)], ctx={"aws:PrincipalTag/model": "anthropic.claude-x"}).allowed
    assert not decide([allow(pattern)], ctx={"aws:PrincipalTag/model": "other"}).allowed
    dec = decide([allow(pattern)])
    assert not dec.allowed and not dec.warnings


def test_the_fifth_colon_rule_reaches_the_permission_matrix() -> None:
    table = load_profiles_table()
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            allow(
                [
                    "arn:aws:bedrock:*:${aws:PrincipalAccount}:inference-profile/*",
                    "arn:aws:bedrock:*::foundation-model/*",
                ]
            )
        ],
    }
    plan = plan_requests("us.anthropic.claude-sonnet-4-6", "us-east-1", table, ACCT)
    verdict = MatrixEvaluator([parse_policy(doc)]).evaluate(plan)
    assert not verdict.allowed
    assert any("fifth colon" in w for w in verdict.warnings)
    assert verdict.to_dict()["warnings"]


# ---- variables without a value ---------------------------------------------------------------------


NEG = {"StringNotEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/x}"}}


def test_an_unresolvable_variable_in_a_negated_condition_does_not_allow() -> None:
    dec = decide([allow("*", NEG)], ctx={"aws:PrincipalTag/team": "a"})
    assert not dec.allowed, dec.explain()
    assert decide([allow("*", NEG)], ctx={"aws:PrincipalTag/team": "a", "aws:PrincipalTag/x": "b"}).allowed
    # with a default, the variable resolves
    neg_default = {"StringNotEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/x, 'b'}"}}
    assert decide([allow("*", neg_default)], ctx={"aws:PrincipalTag/team": "a"}).allowed


def test_an_unresolvable_variable_in_a_negated_deny_does_not_deny() -> None:
    deny = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": NEG}
    dec = decide([allow("*"), deny], ctx={"aws:PrincipalTag/team": "a"})
    assert dec.allowed, dec.explain()


def test_an_unresolvable_variable_in_notresource_makes_the_statement_not_apply() -> None:
    st = {
        "Effect": "Allow",
        "Action": "bedrock:*",
        "NotResource": "arn:aws:bedrock:us-east-1::foundation-model/${aws:PrincipalTag/x}",
    }
    assert not decide([st]).allowed
    assert decide([st], ctx={"aws:PrincipalTag/x": "other"}).allowed
    deny = {**st, "Effect": "Deny"}
    assert decide([allow("*"), deny]).allowed


def test_an_unresolvable_value_in_a_positive_condition_is_ignored_not_fatal() -> None:
    cond = {"StringEquals": {"aws:PrincipalTag/team": ["${aws:PrincipalTag/x}", "a"]}}
    assert decide([allow("*", cond)], ctx={"aws:PrincipalTag/team": "a"}).allowed
    cond1 = {"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/x}"}}
    assert not decide([allow("*", cond1)], ctx={"aws:PrincipalTag/team": "a"}).allowed


# ---- ForAnyValue...IfExists -------------------------------------------------------------------------


def test_foranyvalue_ifexists_on_a_missing_key_is_false() -> None:
    cond = {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["team"]}}
    assert not decide([allow("*", cond)]).allowed
    assert not decide([allow("*", cond)], ctx={"aws:TagKeys": []}).allowed
    assert decide([allow("*", cond)], ctx={"aws:TagKeys": ["team", "x"]}).allowed


# ---- warnings for what the documentation leaves undefined -----------------------------------------------


def test_a_plain_operator_on_a_multivalued_key_warns() -> None:
    dec = decide([allow("*", {"StringEquals": {"aws:TagKeys": "team"}})], ctx={"aws:TagKeys": ["team", "x"]})
    assert dec.warnings and "set operator" in dec.warnings[0]
    assert any(ln.startswith("warning:") for ln in dec.explain())
    assert dec.to_dict()["warnings"] == dec.warnings
    quiet = decide(
        [allow("*", {"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}})],
        ctx={"aws:TagKeys": ["team", "x"]},
    )
    assert quiet.allowed and not quiet.warnings


def test_an_arn_operator_on_a_value_that_is_not_an_arn_warns() -> None:
    cond = {"ArnLike": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*:*:inference-profile/*"}}
    dec = decide([allow("*", cond)], ctx={"bedrock:InferenceProfileArn": "us.anthropic.x"})
    assert not dec.allowed
    assert dec.warnings and "six-part ARN" in dec.warnings[0]
    ok = decide(
        [allow("*", cond)],
        ctx={"bedrock:InferenceProfileArn": f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.x"},
    )
    assert ok.allowed and not ok.warnings
