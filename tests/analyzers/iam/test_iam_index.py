"""The statement index (large policies) decides exactly as tracing every statement does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.iam import policy as iam
from ccwb_doctor.analyzers.iam.parse import parse_policy

ACTIONS = ["bedrock:InvokeModel", "bedrock:Invoke*", "bedrock:*", "s3:GetObject", "*", "BEDROCK:invokemodel?"]
RESOURCES = [
    "*",
    "arn:aws:bedrock:*",
    "arn:aws:bedrock:*::foundation-model/*",
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-x",
    "arn:aws:bedrock:*::foundation-model/anthropic.*",
    "arn:aws:bedrock:us-*::foundation-model/vendor?.m*",
    "arn:aws:bedrock:*:*:inference-profile/us.anthropic.*",
    "arn:aws:bedrock:*:${aws:PrincipalAccount}:inference-profile/*",
    "arn:aws:bedrock:us-east-1::foundation-model/${aws:PrincipalTag/m}",
    "arn:aws:s3:::bucket/*",
    "foundation-model/anthropic.claude-x",
]
REQ_RESOURCES = [
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-x",
    "arn:aws:bedrock:eu-west-1::foundation-model/vendor1.m2",
    "arn:aws:bedrock:us-west-2::foundation-model/vendor1.m2",
    "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-x",
    "arn:aws:s3:::bucket/key",
    None,
]

statement = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Allow", "Deny"]),
        "act": st.sampled_from(["Action", "Action", "NotAction"]),
        "actions": st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2),
        "res": st.sampled_from(["Resource", "Resource", "Resource", "NotResource"]),
        "resources": st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=3),
    }
).map(
    lambda d: {
        "Effect": d["Effect"],
        d["act"]: d["actions"],
        d["res"]: d["resources"],
    }
)


def _decide(doc: dict[str, Any], req: iam.Request) -> tuple[bool, str, list[str]]:
    dec = iam.evaluate(req, identity=[parse_policy(doc)])
    return dec.allowed, dec.reason, sorted(t.label for t in dec.deciding)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(statement, min_size=iam.INDEX_MIN + 1, max_size=iam.INDEX_MIN + 20),
    st.sampled_from(["bedrock:InvokeModel", "s3:GetObject", "bedrock:ListFoundationModels"]),
    st.sampled_from(REQ_RESOURCES),
    st.sampled_from(
        [{}, {"aws:PrincipalAccount": "111122223333", "aws:PrincipalTag/m": "anthropic.claude-x"}]
    ),
)
def test_index_decides_like_a_full_trace(
    statements: list[dict[str, Any]], action: str, resource: str | None, ctx: dict[str, Any]
) -> None:
    doc = {"Version": "2012-10-17", "Statement": statements}
    req = iam.Request(action, resource, None, ctx)
    indexed = _decide(doc, req)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(iam, "INDEX_MIN", 10**9)
        full = _decide(doc, req)
    assert indexed == full
