"""The permission matrix: the requests Bedrock authorizes per model/region, evaluated against policies."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from ccwb_doctor.analyzers.bedrock.catalog import GEOGRAPHIES
from ccwb_doctor.analyzers.bedrock.matrix import MatrixEvaluator, evaluate_matrix
from ccwb_doctor.analyzers.bedrock.plan import plan_requests
from ccwb_doctor.analyzers.bedrock.profiles import ProfilesTable, build_profiles_table, load_profiles_table
from ccwb_doctor.analyzers.iam import parse as ip
from ccwb_doctor.analyzers.iam import policy as iam

ACCT = "123456789012"
INVOKE = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]


@pytest.fixture(scope="module")
def table() -> ProfilesTable:
    return load_profiles_table()


def pol(*statements: dict[str, Any], name: str = "policy") -> iam.Policy:
    return ip.parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name=name)


def allow(resources: list[str], cond: dict[str, Any] | None = None, sid: str = "") -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Action": INVOKE, "Resource": resources}
    if cond:
        st["Condition"] = cond
    if sid:
        st["Sid"] = sid
    return st


ANY_BEDROCK = ["arn:aws:bedrock:*::foundation-model/*", "arn:aws:bedrock:*:*:inference-profile/*"]


def regions_only(*regions: str) -> iam.Policy:
    return pol(allow(ANY_BEDROCK, {"StringEquals": {"aws:RequestedRegion": list(regions)}}))


def guidance_shape(regions: list[str], partition: str = "aws") -> iam.Policy:
    """Our own copy of the AWS guidance's BedrockAccessPolicy shape (anchor_study §3.3)."""
    p = partition
    return pol(
        allow(
            [
                f"arn:{p}:bedrock:*::foundation-model/*",
                f"arn:{p}:bedrock:*:*:inference-profile/*",
                f"arn:{p}:bedrock:*:*:application-inference-profile/*",
            ],
            {"StringEquals": {"aws:RequestedRegion": regions}},
            sid="AllowBedrockInvokeRegional",
        ),
        allow([f"arn:{p}:bedrock:::foundation-model/*"], sid="AllowBedrockInvokeGlobal"),
        name="BedrockAccessPolicy",
    )


def test_plan_legs_for_a_geography_profile(table: ProfilesTable) -> None:
    plan = plan_requests("us.anthropic.claude-sonnet-4-6", "us-east-2", table, ACCT)
    assert not plan.problems
    profile_arn = f"arn:aws:bedrock:us-east-2:{ACCT}:inference-profile/us.anthropic.claude-sonnet-4-6"
    assert plan.legs[0].resource == profile_arn and plan.legs[0].kind == "profile"
    models = plan.legs[1:]
    assert {leg.region for leg in models} == {
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "ca-central-1",
        "ca-west-1",
    }
    for leg in models:
        assert leg.resource == f"arn:aws:bedrock:{leg.region}::foundation-model/anthropic.claude-sonnet-4-6"
        assert leg.context() == {
            "aws:RequestedRegion": leg.region,
            "bedrock:InferenceProfileArn": profile_arn,
        }


def test_plan_global_leg(table: ProfilesTable) -> None:
    plan = plan_requests("global.anthropic.claude-opus-4-8", "eu-west-1", table, ACCT)
    kinds = [(leg.kind, leg.region) for leg in plan.legs]
    assert kinds == [("profile", "eu-west-1"), ("model-source", "eu-west-1"), ("model-global", "unspecified")]
    assert plan.legs[2].resource == "arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-8"


def test_seed_example_us_east_1_only_policy_developer_on_us_west_2(table: ProfilesTable) -> None:
    ev = MatrixEvaluator([regions_only("us-east-1")])
    v = ev.evaluate(plan_requests("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-west-2", table, ACCT))
    assert not v.allowed
    assert "us-west-2" in v.denied_regions()
    first = v.denied[0]
    assert first.leg.region == "us-west-2" and first.statement is None and first.reason == "implicit-deny"
    assert "aws:RequestedRegion" in first.detail[0] and "'us-west-2'" in first.detail[0]
    assert "us-west-2" in v.summary()
    # in-region with the same policy: the profile leg passes, other destinations still fail
    v2 = ev.evaluate(plan_requests("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1", table, ACCT))
    assert v2.denied_regions() == ["us-east-2", "us-west-1", "us-west-2"]


def test_denial_is_explained_by_the_statement_that_came_closest(table: ProfilesTable) -> None:
    """Statement #0 covers profiles only; #1 covers the model but its region list misses us-west-2: the
    explanation names #1 and its condition, not the unrelated #0."""
    p = pol(
        allow([f"arn:aws:bedrock:*:{ACCT}:inference-profile/*"], sid="Profiles"),
        allow(
            ["arn:aws:bedrock:*::foundation-model/*"],
            {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "us-east-2", "us-west-1"]}},
            sid="Models",
        ),
    )
    v = MatrixEvaluator([p]).evaluate(
        plan_requests("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1", table, ACCT)
    )
    first = v.denied[0]
    assert first.leg.region == "us-west-2"
    assert "Sid Models" in first.detail[0] and "condition failed" in first.detail[0]
    assert "'us-west-2'" in first.detail[0]
    assert "Sid Profiles" in first.detail[1] and "resource not matched" in first.detail[1]


def test_us_profile_policy_missing_one_destination(table: ProfilesTable) -> None:
    base = "anthropic.claude-opus-4-1-20250805-v1:0"  # us -> us-east-1, us-east-2, us-west-2
    p = pol(
        allow(
            [
                f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.{base}",
                f"arn:aws:bedrock:us-east-1::foundation-model/{base}",
                f"arn:aws:bedrock:us-east-2::foundation-model/{base}",
            ]
        )
    )
    v = MatrixEvaluator([p]).evaluate(plan_requests(f"us.{base}", "us-east-1", table, ACCT))
    assert v.denied_regions() == ["us-west-2"]
    assert {d.action for d in v.denied} == set(INVOKE)
    assert all(d.leg.kind == "model-destination" and "resource not matched" in d.detail[0] for d in v.denied)


def test_global_profile_against_requested_region_policy(table: ProfilesTable) -> None:
    p = regions_only(*table.regions["aws"])
    v = MatrixEvaluator([p]).evaluate(
        plan_requests("global.anthropic.claude-sonnet-4-6", "us-east-1", table, ACCT)
    )
    assert not v.allowed
    assert [d.leg.kind for d in v.denied] == ["model-global", "model-global"]
    assert v.denied_regions() == ["unspecified"]
    assert "unspecified" in v.denied[0].detail[0]


def test_scp_denies_one_destination(table: ProfilesTable) -> None:
    identity = pol(allow(ANY_BEDROCK + ["arn:aws:bedrock:::foundation-model/*"]))
    scp = pol(
        {
            "Sid": "DenyOutsideApprovedRegions",
            "Effect": "Deny",
            "Action": "bedrock:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}},
        },
        name="region-guardrail",
    )
    ev = MatrixEvaluator([identity], [scp])
    assert ev.notes and "FullAWSAccess" in ev.notes[0]
    v = ev.evaluate(plan_requests("us.anthropic.claude-opus-4-1-20250805-v1:0", "us-east-1", table, ACCT))
    assert v.denied_regions() == ["us-east-2"]
    assert v.denied[0].reason == "scp-explicit-deny"
    assert "DenyOutsideApprovedRegions" in (v.denied[0].statement or "")
    assert "denied by" in v.denied[0].describe()


def test_scp_allow_list_without_bedrock_is_implicit_scp_deny(table: ProfilesTable) -> None:
    identity = pol(allow(ANY_BEDROCK))
    scp = pol({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, name="s3-only")
    v = MatrixEvaluator([identity], [scp]).evaluate(
        plan_requests("anthropic.claude-3-7-sonnet-20250219-v1:0", "us-east-1", table, ACCT)
    )
    assert v.denied and v.denied[0].reason == "scp-implicit-deny"
    assert "no SCP statement allows it" in v.denied[0].describe()


def test_identity_explicit_deny_is_named(table: ProfilesTable) -> None:
    p = pol(
        allow(ANY_BEDROCK),
        {
            "Sid": "NoEU",
            "Effect": "Deny",
            "Action": "bedrock:*",
            "Resource": "arn:aws:bedrock:eu-*::foundation-model/*",
        },
    )
    v = MatrixEvaluator([p]).evaluate(
        plan_requests("eu.anthropic.claude-sonnet-4-6", "eu-west-1", table, ACCT)
    )
    assert v.denied and all(d.reason == "explicit-deny" and "NoEU" in (d.statement or "") for d in v.denied)


def test_govcloud_partition(table: ProfilesTable) -> None:
    model = "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0"
    plan = plan_requests(model, "us-gov-west-1", table, ACCT)
    assert all(leg.resource.startswith("arn:aws-us-gov:bedrock:") for leg in plan.legs)
    assert {leg.region for leg in plan.legs} == {"us-gov-west-1", "us-gov-east-1"}
    assert (
        MatrixEvaluator([guidance_shape(["us-gov-west-1", "us-gov-east-1"], "aws-us-gov")])
        .evaluate(plan)
        .allowed
    )
    # the commercial policy shape (arn:aws:) does not cover GovCloud resources
    assert not MatrixEvaluator([guidance_shape(["us-gov-west-1", "us-gov-east-1"])]).evaluate(plan).allowed
    wrong = plan_requests(model, "us-east-1", table, ACCT)
    assert wrong.problems and "aws-us-gov profile" in wrong.problems[0] and not wrong.legs


def test_application_inference_profile(table: ProfilesTable) -> None:
    app = f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/team-a"
    plan = plan_requests(app, "us-east-1", table, ACCT)
    assert [leg.kind for leg in plan.legs] == ["app-profile"] and "unknown offline" in plan.notes[0]
    sys_profile = (
        f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.anthropic.claude-opus-4-1-20250805-v1:0"
    )
    known = ProfilesTable(table.data_as_of, "test", table.regions, table.models, {app: (sys_profile,)}, [])
    plan = plan_requests(app, "us-east-1", known, ACCT)
    assert [leg.kind for leg in plan.legs][:2] == ["app-profile", "profile"]
    assert all(leg.via == app for leg in plan.legs[1:])
    only_via_app = pol(
        allow(
            [
                f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/team-a",
                "arn:aws:bedrock:*:*:inference-profile/*",
            ]
        ),
        allow(["arn:aws:bedrock:*::foundation-model/*"], {"ArnLike": {"bedrock:InferenceProfileArn": app}}),
    )
    assert MatrixEvaluator([only_via_app]).evaluate(plan).allowed
    direct = plan_requests("anthropic.claude-opus-4-1-20250805-v1:0", "us-east-1", table, ACCT)
    assert not MatrixEvaluator([only_via_app]).evaluate(direct).allowed  # no profile context on a direct call
    elsewhere = plan_requests(app, "us-west-2", table, ACCT)
    assert elsewhere.problems and "lives in us-east-1" in elsewhere.problems[0]


def test_live_application_profile_adds_its_system_profile_legs(table: ProfilesTable) -> None:
    from ccwb_doctor.analyzers.bedrock.profiles import merge_live_profiles

    base = "anthropic.claude-opus-4-1-20250805-v1:0"
    app = f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/team-c"
    fms = [f"arn:aws:bedrock:{r}::foundation-model/{base}" for r in ("us-east-1", "us-east-2", "us-west-2")]
    live = merge_live_profiles(
        table, [{"inferenceProfileArn": app, "type": "APPLICATION", "models": [{"modelArn": m} for m in fms]}]
    )
    plan = plan_requests(app, "us-east-1", live, ACCT)
    assert [(leg.kind, leg.region) for leg in plan.legs] == [
        ("app-profile", "us-east-1"),
        ("profile", "us-east-1"),
        ("model-source", "us-east-1"),
        ("model-destination", "us-east-2"),
        ("model-destination", "us-west-2"),
    ]
    assert plan.legs[1].resource == f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.{base}"
    no_system_profile = pol(
        allow([app.rsplit("/", 1)[0] + "/*", "arn:aws:bedrock:*::foundation-model/*"]), name="app+models"
    )
    v = MatrixEvaluator([no_system_profile]).evaluate(plan)
    assert [leg.kind for leg in v.denied_legs()] == ["profile"]


def test_guidance_policy_shape(table: ProfilesTable) -> None:
    us_dest = ["us-east-1", "us-east-2", "us-west-2", "us-west-1", "ca-central-1", "ca-west-1"]
    ev = MatrixEvaluator([guidance_shape(us_dest)])
    for model in (
        "us.anthropic.claude-sonnet-4-6",
        "global.anthropic.claude-sonnet-4-6",
        "us.anthropic.claude-opus-4-8",
    ):
        v = ev.evaluate(plan_requests(model, "us-east-1", table, ACCT))
        assert v.allowed, v.summary()
    eu = ev.evaluate(plan_requests("eu.anthropic.claude-sonnet-4-6", "eu-west-1", table, ACCT))
    assert not eu.allowed and "eu-west-1" in eu.denied_regions()
    assert "AllowBedrockInvokeRegional" in eu.denied[0].detail[0]


def test_full_grant_allows_every_cell_of_the_table(table: ProfilesTable) -> None:
    """Property: all foundation models and inference profiles, no conditions -> every (model, region) allowed."""
    grant = pol(
        allow(["arn:*:bedrock:*::foundation-model/*", "arn:*:bedrock:*:*:inference-profile/*"]),
    )
    regions = [r for rs in table.regions.values() for r in rs]
    geos = sorted({g for m in table.models.values() for g in m.profiles})
    report = evaluate_matrix(list(table.models), regions, geos, table, [grant], account=ACCT)
    counts = report.counts()
    assert counts.get("denied", 0) == 0 and counts["allowed"] >= len(table.profile_ids())
    served = {(c.model, c.geography) for c in report.cells if c.status == "allowed"}
    assert served == {(m.key, g) for m in table.models.values() for g in m.profiles}


def test_identical_requests_are_grouped(table: ProfilesTable) -> None:
    report = evaluate_matrix(
        list(table.models),
        list(table.regions["aws"]),
        ["us", "eu", "global"],
        table,
        [regions_only("us-east-1", "us-west-2")],
        account=ACCT,
    )
    assert report.denied_cells() and report.evaluations < report.requests / 2


def test_bad_inputs_become_problems_not_exceptions(table: ProfilesTable) -> None:
    for model, region, why in [
        ("us.anthropic.claude-unknown-9", "us-east-1", "not in the inference-profile table"),
        ("xx.anthropic.claude-sonnet-4-6", "us-east-1", "unknown geography prefix"),
        ("arn:aws:bedrock:us-east-1:1:inference-profile/x", "us-east-1", "not 12 digits"),
        ("us.anthropic.claude-sonnet-4-6", "moon-1", "not an AWS region code"),
        ("eu.anthropic.claude-sonnet-4-6", "us-east-1", "not offered from us-east-1"),
    ]:
        plan = plan_requests(model, region, table, ACCT)
        assert plan.problems and why in plan.problems[0], (model, plan.problems)
        assert not MatrixEvaluator([regions_only("us-east-1")]).evaluate(plan).allowed
    unknown = plan_requests("us.anthropic.claude-unknown-9", "us-east-1", table, ACCT)
    assert unknown.unknown_model
    assert (
        "000000000000" in plan_requests("us.anthropic.claude-sonnet-4-6", "us-east-1", table).legs[0].resource
    )


def test_malformed_condition_is_reported_as_error(table: ProfilesTable) -> None:
    p = pol(allow(ANY_BEDROCK, {"NoSuchOperator": {"aws:RequestedRegion": "us-east-1"}}))
    v = MatrixEvaluator([p]).evaluate(
        plan_requests("anthropic.claude-3-7-sonnet-20250219-v1:0", "us-east-1", table, ACCT)
    )
    assert not v.allowed and v.errors and "error:" in v.errors[0]


def test_matrix_accepts_profile_ids_and_reports_unknown(table: ProfilesTable) -> None:
    report = evaluate_matrix(
        ["us.anthropic.claude-opus-4-1-20250805-v1:0", "anthropic.claude-nope"],
        ["us-east-1", "eu-west-1"],
        ["us", "eu"],
        table,
        [regions_only("us-east-1", "us-east-2", "us-west-2")],
        account=ACCT,
    )
    got = {(c.model, c.region, c.geography): c.status for c in report.cells}
    assert got[("opus-4-1", "us-east-1", "us")] == "allowed"
    assert got[("opus-4-1", "eu-west-1", "us")] == "not-offered"
    assert got[("anthropic.claude-nope", "us-east-1", "us")] == "unknown-model"


def test_source_region_outside_the_guidance_region_list(table: ProfilesTable) -> None:
    """global. profiles are callable from mx-central-1, which the guidance's 29-region list omits."""
    ev = MatrixEvaluator([guidance_shape(list(table.regions["aws"]))])
    v = ev.evaluate(
        plan_requests("global.anthropic.claude-haiku-4-5-20251001-v1:0", "mx-central-1", table, ACCT)
    )
    assert v.denied_regions() == ["mx-central-1"]
    assert {leg.kind for leg in v.denied_legs()} == {"profile", "model-source"}
    assert ev.evaluate(
        plan_requests("global.anthropic.claude-haiku-4-5-20251001-v1:0", "us-east-1", table, ACCT)
    ).allowed


# ---- property: an unconditional grant of all models and profiles allows every cell of any table -------

_REGIONS = {
    "aws": [
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-northeast-1",
        "ca-central-1",
    ],
    "aws-us-gov": ["us-gov-west-1", "us-gov-east-1"],
}
GRANTS = [
    [allow(["arn:*:bedrock:*::foundation-model/*", "arn:*:bedrock:*:*:inference-profile/*"])],
    [{"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}],
    [{"Effect": "Allow", "Action": "bedrock:Invoke*", "Resource": "arn:*:bedrock:*"}],
    [
        allow([f"arn:{p}:bedrock:*::foundation-model/*" for p in _REGIONS]),
        {"Effect": "Allow", "Action": "bedrock:*", "NotResource": "arn:*:s3:::*"},
    ],
]


@hs.composite
def profile_tables(draw: Any) -> dict[str, Any]:
    models: dict[str, Any] = {}
    for i in range(draw(hs.integers(1, 4))):
        profiles: dict[str, Any] = {}
        for geo in draw(hs.lists(hs.sampled_from(sorted(GEOGRAPHIES)), min_size=1, max_size=3, unique=True)):
            pool = _REGIONS[GEOGRAPHIES[geo]]
            dest = draw(hs.lists(hs.sampled_from(pool), min_size=1, max_size=len(pool), unique=True))
            extra = draw(hs.lists(hs.sampled_from(pool), max_size=2, unique=True))
            profiles[geo] = {"destinations": dest, "sources": sorted(set(dest) | set(extra))}
        models[f"m{i}"] = {"base_id": f"anthropic.claude-test-{i}-v1:0", "family": "x", "profiles": profiles}
    return {"data_as_of": "2026-01-01", "regions": _REGIONS, "models": models}


@settings(max_examples=60, deadline=None)
@given(profile_tables(), hs.sampled_from(GRANTS), hs.sampled_from([ACCT, None]))
def test_unconditional_grant_allows_every_model_region_of_any_table(
    doc: dict[str, Any], grant: list[dict[str, Any]], account: str | None
) -> None:
    t = build_profiles_table(doc, source="generated")
    regions = [r for rs in _REGIONS.values() for r in rs]
    report = evaluate_matrix(list(t.models), regions, sorted(GEOGRAPHIES), t, [pol(*grant)], account=account)
    assert report.counts().get("denied", 0) == 0, [c.verdict.summary() for c in report.denied_cells()][:2]
    allowed = {(c.model, c.geography, c.region) for c in report.cells if c.status == "allowed"}
    assert allowed == {
        (m.key, g, r) for m in t.models.values() for g, pe in m.profiles.items() for r in pe.sources
    }
