"""The IAM evaluator against an independent simulator: npm ``@cloud-copilot/iam-simulate`` (issue 16).

Hypothesis generates identity-policy (+SCP) cases over Bedrock requests (wildcards in Action and
Resource, NotAction/NotResource, policy variables with and without values and defaults, string/ARN
operators with set qualifiers and IfExists, multivalued keys). Every case is decided by our evaluator
in-process; all of them are then decided by iam-simulate in one Node process
(``iam_simulate/driver.mjs``). A disagreement must belong to a difference documented, with the
documentation that decides it, in ``known_differences.md``; anything else fails the test.

The simulator is installed with npm into a cache directory (``~/.cache/ccwb-doctor-tests``) by a session
fixture; the test skips, saying why, when node/npm are absent or the registry refuses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.iam.parse import parse_policy
from ccwb_doctor.analyzers.iam.policy import Decision, Request, evaluate

HERE = Path(__file__).parent
PACKAGE = "@cloud-copilot/iam-simulate"
VERSION = "0.1.173"
CASES = 2500
ACCOUNT = "111122223333"


@pytest.fixture(scope="session")
def iam_simulate_dir() -> Path:
    from npm_witness import npm_install

    target = npm_install(PACKAGE, VERSION)
    shutil.copy(HERE / "iam_simulate" / "driver.mjs", target / "driver.mjs")  # beside node_modules (ESM)
    return target


# ---- the case generator ---------------------------------------------------------------------------

FM = "arn:aws:bedrock:{r}::foundation-model/{m}"
REQ_RESOURCES = [
    FM.format(r="us-east-1", m="anthropic.claude-x"),
    FM.format(r="eu-west-1", m="anthropic.claude-x"),
    FM.format(r="us-west-2", m="meta.llama-y"),
    f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.anthropic.claude-x",
]
ACTION_PATTERNS = [
    "bedrock:InvokeModel",
    "bedrock:Invoke*",
    "bedrock:*",
    "*",
    "bedrock:invokemodel",
    "BEDROCK:InvokeModel?*",
    "bedrock:*Stream",
    "bedrock:Invoke?odel",
    "s3:*",
]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:bedrock:*",
    "arn:aws:bedrock:*::foundation-model/*",
    "arn:aws:bedrock:us-east-1::foundation-model/*",
    "arn:aws:bedrock:*::foundation-model/anthropic.*",
    "arn:aws:bedrock:us-*::foundation-model/*claude*",
    "arn:aws:bedrock:eu-?est-1::foundation-model/*",
    "arn:aws:bedrock:*:*:inference-profile/*",
    f"arn:aws:bedrock:*:{ACCOUNT}:inference-profile/us.*",
    "arn:aws:bedrock:*:${aws:PrincipalAccount}:inference-profile/*",
    "arn:aws:bedrock:${aws:RequestedRegion}::foundation-model/*",
    "arn:aws:bedrock:us-east-1::foundation-model/${aws:PrincipalTag/m}",
    "arn:aws:bedrock:*::foundation-model/${aws:PrincipalTag/m, 'anthropic.claude-x'}",
    "arn:aws:s3:::bucket/*",
]
CONDITION_VALUES = {
    "aws:RequestedRegion": ["us-east-1", "eu-*", "us-*", "${aws:PrincipalTag/region}"],
    "aws:PrincipalTag/team": ["a", "b", "A", "${aws:PrincipalTag/x}"],
    "aws:TagKeys": ["team", "x", "t*"],
    "bedrock:InferenceProfileArn": [
        "arn:aws:bedrock:*:*:inference-profile/us.*",
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/*",
        "us.*",
    ],
}
OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "ArnLike",
    "ArnNotLike",
    "ForAnyValue:StringEquals",
    "ForAnyValue:StringLike",
    "ForAllValues:StringEquals",
    "ForAllValues:StringNotEquals",
    "ForAnyValue:StringEqualsIfExists",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
    "Null",
]


@st.composite
def condition(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(st.sampled_from(OPERATORS))
    key = draw(st.sampled_from(sorted(CONDITION_VALUES)))
    if op == "Null":
        vals: Any = draw(st.sampled_from(["true", "false"]))
    else:
        vals = draw(st.lists(st.sampled_from(CONDITION_VALUES[key]), min_size=1, max_size=2, unique=True))
        vals = vals[0] if len(vals) == 1 else vals
    return {op: {key: vals}}


@st.composite
def statement(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    st_: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    acts = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=2, unique=True))
    st_[draw(st.sampled_from(["Action", "Action", "Action", "NotAction"]))] = acts
    res = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2, unique=True))
    st_[draw(st.sampled_from(["Resource", "Resource", "Resource", "NotResource"]))] = res
    conds: dict[str, Any] = {}
    for c in draw(st.lists(condition(), max_size=2)):
        for op, body in c.items():
            conds.setdefault(op, {}).update(body)
    if conds:
        st_["Condition"] = conds
    return st_


def _doc(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


CONTEXT = {
    "aws:RequestedRegion": [None, "us-east-1", "eu-west-1"],
    "aws:PrincipalTag/team": [None, "a", "b"],
    "aws:PrincipalTag/x": [None, "a", "b"],
    "aws:PrincipalTag/m": [None, "anthropic.claude-x"],
    "aws:PrincipalTag/region": [None, "us-east-1"],
    "aws:TagKeys": [None, [], ["team"], ["team", "x"], ["y", "z"]],
    "bedrock:InferenceProfileArn": [
        None,
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.anthropic.claude-x",
        "us.anthropic.claude-x",
    ],
}


@st.composite
def case(draw: st.DrawFn) -> dict[str, Any]:
    identity = draw(st.lists(st.lists(statement(), min_size=1, max_size=3).map(_doc), min_size=1, max_size=2))
    scps: list[dict[str, Any]] = []
    if draw(st.booleans()):
        scp_allow = draw(st.sampled_from([{"Effect": "Allow", "Action": "*", "Resource": "*"}, None]))
        scp_st = [scp_allow] if scp_allow else [draw(statement("Allow"))]
        scp_st += draw(st.lists(statement("Deny"), max_size=1))
        scps = [_doc(scp_st)]
    ctx = {"aws:PrincipalAccount": ACCOUNT}
    for k, choices in CONTEXT.items():
        v = draw(st.sampled_from(choices))
        if v is not None:
            ctx[k] = v
    return {
        "identity": identity,
        "scps": scps,
        "action": draw(st.sampled_from(["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"])),
        "resource": draw(st.sampled_from(REQ_RESOURCES)),
        "context": ctx,
    }


def ours(c: dict[str, Any]) -> Decision:
    return evaluate(
        Request(c["action"], c["resource"], None, c["context"]),
        identity=[parse_policy(d, name=f"id{i}") for i, d in enumerate(c["identity"])],
        scps=[parse_policy(d, name=f"scp{i}") for i, d in enumerate(c["scps"])],
    )


# ---- the documented differences (known_differences.md) ---------------------------------------------


def _conditions(c: dict[str, Any]) -> list[tuple[str, str, Any]]:
    out = []
    for d in [*c["identity"], *c["scps"]]:
        for s in d["Statement"]:
            for op, body in s.get("Condition", {}).items():
                for k, v in body.items():
                    out.append((op, k, v))
    return out


def kd_multivalued(c: dict[str, Any], dec: Decision) -> bool:
    """KD-1: a plain (no ForAnyValue/ForAllValues) operator on a list-valued request key."""
    return any("multivalued key" in w for w in dec.warnings)


def kd_not_an_arn(c: dict[str, Any], dec: Decision) -> bool:
    """KD-2: an Arn* operator on a request value (or with a policy value) that is not a six-part ARN."""
    return any("six-part ARN" in w or "not an ARN pattern" in w for w in dec.warnings)


def kd_empty_set(c: dict[str, Any], dec: Decision) -> bool:
    """KD-3: a condition on a key the request gives as an empty list ([] is 'missing' to us, a present
    array to the simulator)."""
    return any("empty set" in w for w in dec.warnings)


def kd_unresolved_negated(c: dict[str, Any], dec: Decision) -> bool:
    """KD-4: a NotResource value whose policy variable has no value and no default."""
    for d in [*c["identity"], *c["scps"]]:
        for s in d["Statement"]:
            unresolved = "aws:PrincipalTag/m" not in c["context"]
            if unresolved and any("${aws:PrincipalTag/m}" in r for r in s.get("NotResource", [])):
                return True
    return False


KNOWN: dict[str, Callable[[dict[str, Any], Decision], bool]] = {
    "KD-1": kd_multivalued,
    "KD-2": kd_not_an_arn,
    "KD-3": kd_empty_set,
    "KD-4": kd_unresolved_negated,
}


def _sim_allowed(r: dict[str, Any]) -> bool | None:
    return {"Allowed": True, "ImplicitlyDenied": False, "ExplicitlyDenied": False}.get(r.get("result") or "")


def _simulate(directory: Path, spawn: Any, cases: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    proc = spawn(
        ["node", str(directory / "driver.mjs")],
        cwd=directory,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate(json.dumps(cases), timeout=120)
    assert proc.returncode == 0, err[-2000:]
    return {r["id"]: r for r in json.loads(out)}


def _neutral(c: dict[str, Any]) -> dict[str, Any]:
    """The case without what KD-1..KD-3 are about: list-valued keys and keys read by Arn* operators
    are dropped from the request (both tools agree on a missing key)."""
    arn_keys = {k.lower() for op, k, _ in _conditions(c) if "arn" in op.lower()}
    ctx = {k: v for k, v in c["context"].items() if not isinstance(v, list) and k.lower() not in arn_keys}
    return {**c, "context": ctx}


def test_evaluator_agrees_with_iam_simulate(iam_simulate_dir: Path, spawn: Any) -> None:
    cases: list[dict[str, Any]] = []

    @settings(
        max_examples=CASES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case())
    def gather(c: dict[str, Any]) -> None:
        ours(c)  # never raises
        cases.append(c)

    gather()
    for i, c in enumerate(cases):
        c["id"] = i
    results = _simulate(iam_simulate_dir, spawn, cases)
    agree = 0
    classified: list[tuple[str, dict[str, Any]]] = []
    unexplained: list[dict[str, Any]] = []
    for c in cases:
        r = results[c["id"]]
        sim = _sim_allowed(r)
        assert sim is not None, f"simulator error on case {c}: {r}"
        assert not r.get("ignored"), f"simulator ignored context keys {r['ignored']} in {c}"
        dec = ours(c)
        if dec.allowed == sim:
            agree += 1
            continue
        kinds = [k for k, pred in KNOWN.items() if pred(c, dec)]
        if kinds:
            classified.append((kinds[0], c))
        else:
            unexplained.append(
                {"case": c, "ours": dec.reason, "simulator": r["result"], "warnings": dec.warnings}
            )
    # A classified disagreement must be *caused* by its difference: without the ambiguous keys, agree.
    neutral = [_neutral(c) for kind, c in classified if kind != "KD-4"]
    again = _simulate(iam_simulate_dir, spawn, neutral) if neutral else {}
    for n in neutral:
        dec = ours(n)
        if dec.allowed != _sim_allowed(again[n["id"]]) and not kd_unresolved_negated(n, dec):
            unexplained.append(
                {"case": n, "ours": dec.reason, "simulator": again[n["id"]]["result"], "neutral": True}
            )
    by_kind = Counter(kind for kind, _ in classified)
    rate = agree / len(cases)
    dump = os.environ.get("CCWB_IAM_DIFF_DUMP")  # a path: write every unexplained disagreement there
    if dump:
        Path(dump).write_text(json.dumps(unexplained, indent=1))
    print(
        f"\niam-simulate {VERSION}: {agree}/{len(cases)} agree ({rate:.2%}); documented differences: {dict(by_kind)}"
    )
    assert not unexplained, json.dumps(unexplained[:3], indent=1) + f"\n({len(unexplained)} unexplained)"
    assert len(cases) >= CASES * 0.9


def test_every_known_difference_is_documented() -> None:
    import re

    text = (HERE / "known_differences.md").read_text("utf-8")
    assert set(re.findall(r"^\| (KD-\d+) \|", text, re.M)) == set(KNOWN)
