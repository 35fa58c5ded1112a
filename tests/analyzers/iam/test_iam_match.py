"""The wildcard matcher is linear-time and agrees with a regex reference (issue 16).

The reference below is the regex construction the evaluator used before (one ``.*`` or ``[^:]*`` per
``*``): correct but exponential on patterns with many wildcards. On short inputs the backtracking
is harmless, so it serves as the oracle for the new matcher's semantics: Action (case-insensitive,
``*``/``?`` cross everything), StringLike (case-sensitive), ArnLike (``*``/``?`` stay inside each of
the first five segments) and Resource (ARN segments, a segment-final ``*`` may cross colons).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.iam.conditions import compile_one
from ccwb_doctor.analyzers.iam.match import Piece, compile_template
from ccwb_doctor.analyzers.iam.parse import parse_policy
from ccwb_doctor.analyzers.iam.policy import Request, action_matches, evaluate, resource_matches

# ---- the regex reference (short inputs only) ------------------------------------------------------


def _body(pieces: Sequence[Piece], star: str) -> str:
    out = []
    for p in pieces:
        if p[0] == "wild":
            out.append(star if p[1] == "*" else ("." if star == ".*" else "[^:]"))
        else:
            out.append(re.escape(p[1]))
    return "".join(out)


def _segs(pieces: Sequence[Piece]) -> list[list[Piece]]:
    segs: list[list[Piece]] = [[]]
    for p in pieces:
        if p[0] == "lit" and ":" in p[1]:
            for i, chunk in enumerate(p[1].split(":")):
                if i:
                    segs.append([])
                if chunk:
                    segs[-1].append(("lit", chunk))
        else:
            segs[-1].append(p)
    return segs


def _seg(seg: Sequence[Piece], trailing: bool) -> str:
    if trailing and seg and seg[-1] == ("wild", "*"):
        return _body(seg[:-1], "[^:]*") + ".*"
    return _body(seg, "[^:]*")


def ref_arn(pattern: str, value: str, *, resource: bool) -> bool:
    pieces = compile_template(pattern, wildcards=True, variables=False).pieces
    if not resource and value.count(":") < 5:
        return False  # ArnLike compares six-part ARNs only
    if len(pieces) == 1 and pieces[0] == ("wild", "*"):
        return True
    segs = _segs(pieces)
    if len(segs) < 6:
        if resource and len(segs) > 1 and segs[-1] and segs[-1][-1] == ("wild", "*"):
            src = ":".join(_seg(s, True) for s in segs)
        elif resource and not pattern.startswith("arn:"):
            src = _body(pieces, ".*")
        else:
            return False
    else:
        tail: list[Piece] = []
        for i, s in enumerate(segs[5:]):
            if i:
                tail.append(("lit", ":"))
            tail.extend(s)
        src = ":".join(_seg(s, resource) for s in segs[:5]) + ":" + _body(tail, ".*")
    return re.fullmatch(src, value, re.DOTALL) is not None


def ref_glob(pattern: str, value: str, *, fold: bool) -> bool:
    pieces = compile_template(pattern, wildcards=True, variables=False).pieces
    return re.fullmatch(_body(pieces, ".*"), value, re.DOTALL | (re.IGNORECASE if fold else 0)) is not None


# ---- equivalence on small inputs -----------------------------------------------------------------

ALPHA = "aAb:/*?-"
pattern_st = st.text(alphabet=ALPHA, max_size=14)
value_st = st.text(alphabet="aAb:/-", max_size=16)


def _arnish(draw_parts: list[str]) -> str:
    return ":".join(draw_parts)


arn_pattern_st = st.lists(st.text(alphabet="ab*?/", max_size=4), min_size=2, max_size=8).map(_arnish)
arn_value_st = st.lists(st.text(alphabet="ab/", max_size=4), min_size=2, max_size=8).map(_arnish)


def string_like(pattern: str, value: str) -> bool:
    return compile_one("StringLike", "k", pattern, variables=False).evaluate({"k": value}).result


def arn_like(pattern: str, value: str) -> bool:
    return compile_one("ArnLike", "k", pattern, variables=False).evaluate({"k": value}).result


@settings(max_examples=400, deadline=None)
@given(pattern_st, value_st)
def test_action_and_stringlike_agree_with_the_regex_reference(pattern: str, value: str) -> None:
    assert action_matches(pattern, value) == ref_glob(pattern, value, fold=True)
    assert string_like(pattern, value) == ref_glob(pattern, value, fold=False)


@settings(max_examples=400, deadline=None)
@given(st.one_of(arn_pattern_st, pattern_st), st.one_of(arn_value_st, value_st))
def test_resource_and_arnlike_agree_with_the_regex_reference(pattern: str, value: str) -> None:
    assert resource_matches(pattern, value) == ref_arn(pattern, value, resource=True), (pattern, value)
    assert arn_like(pattern, value) == ref_arn(pattern, value, resource=False), (pattern, value)


def test_documented_case_and_segment_rules_still_hold() -> None:
    assert action_matches("Bedrock:invoke*", "bedrock:InvokeModel")
    assert not string_like("ABC*", "abcd")
    assert resource_matches("arn:aws:bedrock:*", "arn:aws:bedrock:us-east-1::foundation-model/x")
    assert resource_matches(
        "arn:aws:bedrock:us-*::foundation-model/*", "arn:aws:bedrock:us-east-1::foundation-model/a:b"
    )
    assert not arn_like(
        "arn:aws:bedrock:us-*::foundation-model/*", "arn:aws:bedrock:us:x::foundation-model/a"
    )
    assert not resource_matches(
        "arn:aws:bedrock:u?-east-1::foundation-model/x", "arn:aws:bedrock:u:-east-1::foundation-model/x"
    )
    assert not resource_matches(
        "arn:aws:bedrock:us-east-1::foundation-model/X", "arn:aws:bedrock:us-east-1::foundation-model/x"
    )


# ---- the time bound ------------------------------------------------------------------------------

BUDGET_S = 0.05
LONG = "arn:aws:bedrock:us-east-1::foundation-model/" + "a" * 10_000


def _best_of(fn, *args) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t)
    return best


def test_the_reported_backtracking_pattern_is_fast() -> None:
    # issue 16: 0.64 s at 6 wildcards, 4.2 s at 7, 29.7 s at 8 with one '.*' per '*'
    pattern = "arn:aws:bedrock:us-east-1::foundation-model/" + "*a" * 12 + "*b"
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": pattern}]}
    pol = parse_policy(doc)
    req = Request("bedrock:InvokeModel", LONG)
    assert _best_of(lambda: evaluate(req, identity=[pol])) < BUDGET_S
    assert not evaluate(req, identity=[pol]).allowed
    assert _best_of(action_matches, "*a" * 12 + "*b", "a" * 10_000) < BUDGET_S
    assert _best_of(string_like, "*a" * 12 + "*b", "a" * 10_000) < BUDGET_S
    assert _best_of(arn_like, "arn:*:*:*:*:" + "*a" * 12 + "*b", LONG) < BUDGET_S


wild_pattern_st = st.lists(
    st.sampled_from(["*", "?", "a", "b", ":", "/", "*a", "a*", "?:", "*:"]), min_size=8, max_size=40
).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wild_pattern_st, st.sampled_from(["a", "ab", "a:", "a/", ":"]))
def test_any_pattern_with_many_wildcards_is_linear(pattern: str, unit: str) -> None:
    value = "arn:aws:bedrock:us-east-1::foundation-model/" + (unit * (10_000 // len(unit)))
    arnpat = "arn:aws:bedrock:*:*:" + pattern
    for fn, pat in (
        (resource_matches, arnpat),
        (resource_matches, pattern),
        (arn_like, arnpat),
        (string_like, pattern),
        (action_matches, pattern),
    ):
        assert _best_of(fn, pat, value) < BUDGET_S, (fn.__name__, pat)
