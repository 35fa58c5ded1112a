"""Bedrock knowledge: partitions, endpoints (botocore rule sets), model ids, ARNs, the profile table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.bedrock import catalog as b
from ccwb_doctor.analyzers.bedrock import profiles as bp


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("ap-southeast-4", "aws"),
        ("us-gov-west-1", "aws-us-gov"),
        ("cn-northwest-1", "aws-cn"),
        ("us-iso-east-1", "aws-iso"),
        ("not a region", None),
        ("", None),
    ],
)
def test_partition_of(region: str, partition: str | None) -> None:
    assert b.partition_of(region) == partition


def test_partition_regions_and_suffix() -> None:
    assert "us-gov-east-1" in b.partition_regions("aws-us-gov")
    assert b.dns_suffix("aws-cn") == "amazonaws.com.cn"
    assert b.dns_suffix("nope") is None


@pytest.mark.parametrize(
    ("region", "fips", "url"),
    [
        ("us-east-1", False, "https://bedrock-runtime.us-east-1.amazonaws.com"),
        ("us-west-2", True, "https://bedrock-runtime-fips.us-west-2.amazonaws.com"),
        ("us-gov-west-1", True, "https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com"),
        ("cn-north-1", False, "https://bedrock-runtime.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_runtime_endpoint_matches_botocore(region: str, fips: bool, url: str) -> None:
    assert b.runtime_endpoint(region, fips=fips) == url
    assert b.runtime_hostname(region, fips=fips) == url.removeprefix("https://")


def test_control_endpoint_and_bad_region() -> None:
    assert b.control_endpoint("eu-west-1") == "https://bedrock.eu-west-1.amazonaws.com"
    with pytest.raises(ValueError, match="not an AWS region"):
        b.runtime_endpoint("mars-1")


def test_parse_model_id_profile() -> None:
    m = b.parse_model_id("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert (m.geography, m.base, m.provider, m.name, m.date, m.version) == (
        "us",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "anthropic",
        "claude-sonnet-4-5",
        "20250929",
        "v1:0",
    )
    assert m.is_profile and m.partition == "aws"


@pytest.mark.parametrize(
    ("text", "geo", "name", "version"),
    [
        ("us-gov.anthropic.claude-opus-4-8", "us-gov", "claude-opus-4-8", None),
        ("global.anthropic.claude-opus-4-6-v1", "global", "claude-opus-4-6", "v1"),
        ("apac.anthropic.claude-3-7-sonnet-20250219-v1:0", "apac", "claude-3-7-sonnet", "v1:0"),
        ("au.anthropic.claude-haiku-4-5-20251001-v1:0", "au", "claude-haiku-4-5", "v1:0"),
        ("jp.anthropic.claude-sonnet-4-6", "jp", "claude-sonnet-4-6", None),
        ("eu.anthropic.claude-sonnet-4-6", "eu", "claude-sonnet-4-6", None),
        ("anthropic.claude-3-sonnet-20240229-v1:0:200k", None, "claude-3-sonnet", "v1:0:200k"),
        ("amazon.nova-pro-v1:0", None, "nova-pro", "v1:0"),
        ("openai.gpt-oss-120b-1:0", None, "gpt-oss-120b", "1:0"),
        ("anthropic.claude-opus-4-8", None, "claude-opus-4-8", None),
    ],
)
def test_parse_model_id_variants(text: str, geo: str | None, name: str, version: str | None) -> None:
    m = b.parse_model_id(text)
    assert (m.geography, m.name, m.version) == (geo, name, version)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("ca.anthropic.claude-sonnet-4-6", "unknown geography prefix 'ca'"),
        ("claude-sonnet-4-6", "no provider prefix"),
        ("arn:aws:bedrock:us-east-1::foundation-model/x.y", "is an ARN"),
        (" us.anthropic.claude-sonnet-4-6", "whitespace"),
        ("us.anthropic.claude:sonnet", "':' outside"),
        ("us.Anthropic.claude", "is not <provider>"),
    ],
)
def test_parse_model_id_rejects(text: str, why: str) -> None:
    with pytest.raises(b.ModelIdError, match=why):
        b.parse_model_id(text)


def test_parse_model_id_non_string() -> None:
    with pytest.raises(b.ModelIdError, match="must be a string"):
        b.parse_model_id(42)


def test_arn_builders_and_parse_roundtrip() -> None:
    fm = b.foundation_model_arn("anthropic.claude-sonnet-4-6", "eu-west-1")
    assert fm == "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-sonnet-4-6"
    glob = b.foundation_model_arn("anthropic.claude-sonnet-4-6", None)
    assert glob == "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6"
    ip = b.inference_profile_arn("us-gov.anthropic.claude-opus-4-8", "us-gov-east-1", "123456789012")
    assert ip.startswith("arn:aws-us-gov:bedrock:us-gov-east-1:123456789012:inference-profile/")
    app = b.application_inference_profile_arn("a1b2c3d4e5", "us-east-1", "123456789012")
    for arn in (fm, glob, ip, app):
        assert str(b.parse_arn(arn)) == arn
    assert b.parse_arn(glob).region == "" and b.parse_arn(glob).account == ""
    assert b.parse_arn(app).resource_type == "application-inference-profile"
    cn = b.foundation_model_arn("anthropic.claude-3-haiku-20240307-v1:0", "cn-north-1")
    assert cn.startswith("arn:aws-cn:bedrock:cn-north-1::")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "arn:aws:bedrock:us-gov-west-1::foundation-model/anthropic.claude-x",
            "belongs to partition aws-us-gov",
        ),
        ("arn:aws:bedrock:us-east-1:123456789012:foundation-model/anthropic.claude-x", "no account field"),
        ("arn:aws:bedrock:us-east-1:12345:inference-profile/us.anthropic.claude-x", "not 12 digits"),
        ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us-gov.anthropic.claude-x", "partition"),
        ("arn:aws:s3:::bucket", "6 ':'-separated|not 'bedrock'"),
        ("arn:aws:bedrock:us-east-1::model/x", "is not one of"),
        ("arn:awsx:bedrock:us-east-1::foundation-model/anthropic.x", "unknown partition"),
        ("arn:aws:bedrock::123456789012:inference-profile/us.anthropic.claude-x", "needs a region"),
        ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a/b", "is not"),
        ("not-an-arn", "does not start"),
        ("arn:aws:bedrock:us-east-1", "6 ':'-separated"),
    ],
)
def test_parse_arn_rejects(text: str, why: str) -> None:
    with pytest.raises(b.ArnError, match=why):
        b.parse_arn(text)


def test_builders_check_partitions() -> None:
    with pytest.raises(b.ArnError, match="is a aws-us-gov profile"):
        b.inference_profile_arn("us-gov.anthropic.claude-opus-4-8", "us-east-1", "123456789012")
    with pytest.raises(b.ArnError, match="inference profile id"):
        b.foundation_model_arn("us.anthropic.claude-opus-4-8", "us-east-1")
    with pytest.raises(b.ArnError, match="not aws"):
        b.foundation_model_arn("anthropic.claude-opus-4-8", "us-gov-west-1", "aws")


def test_account_of_role_arn() -> None:
    assert b.account_of_role_arn("arn:aws-us-gov:iam::123456789012:role/x/y") == (
        "aws-us-gov",
        "123456789012",
    )
    assert b.account_of_role_arn("arn:aws:iam::1234:role/x") is None
    assert b.account_of_role_arn(None) is None


# ---- hypothesis: the parsers never raise anything but their own error, and round-trip -----------

_name = st.from_regex(
    r"claude(-([a-u][a-z0-9]{0,5}|[0-9]{1,2})){1,3}", fullmatch=True
)  # no segment looks like a version
_geo = st.sampled_from([None, *b.GEOGRAPHIES])
_date = st.one_of(st.none(), st.from_regex(r"20[0-9]{6}", fullmatch=True))
_ver = st.one_of(st.none(), st.from_regex(r"v[0-9]{1,2}(:[0-9])?", fullmatch=True))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_parse_model_id_total(text: str) -> None:
    try:
        m = b.parse_model_id(text)
    except b.ModelIdError as exc:
        assert str(exc)
    else:
        assert m.base and m.provider and m.name


@settings(max_examples=200, deadline=None)
@given(_geo, _name, _date, _ver)
def test_parse_model_id_roundtrip(geo: str | None, name: str, date: str | None, ver: str | None) -> None:
    base = "anthropic." + name + (f"-{date}" if date else "") + (f"-{ver}" if ver else "")
    text = f"{geo}.{base}" if geo else base
    m = b.parse_model_id(text)
    assert (m.geography, m.base, m.date, m.version) == (geo, base, date, ver)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=120), st.builds(lambda s: "arn:aws:bedrock:" + s, st.text(max_size=80))))
def test_parse_arn_total(text: str) -> None:
    try:
        arn = b.parse_arn(text)
    except b.ArnError as exc:
        assert str(exc)
    else:
        assert str(arn) == text


@settings(max_examples=150, deadline=None)
@given(_geo, _name, st.sampled_from(["us-east-1", "eu-west-3", "us-gov-west-1", "ap-south-2"]))
def test_profile_arn_roundtrip(geo: str | None, name: str, region: str) -> None:
    base = "anthropic." + name
    if geo is None or b.GEOGRAPHIES[geo] != b.partition_of(region):
        with pytest.raises(b.ArnError):
            b.inference_profile_arn(f"{geo}.{base}" if geo else base, region, "123456789012")
        return
    arn = b.inference_profile_arn(f"{geo}.{base}", region, "123456789012")
    parsed = b.parse_arn(arn)
    assert (parsed.region, parsed.account, parsed.resource_id) == (region, "123456789012", f"{geo}.{base}")


# ---- the profile table -------------------------------------------------------------------------


def test_packaged_table_shape() -> None:
    t = bp.load_profiles_table()
    assert t.data_as_of >= "2026-01-01"
    assert len(t.regions["aws"]) == 29 and len(t.regions["aws-us-gov"]) == 2
    assert all(b.partition_of(r) == p for p, rs in t.regions.items() for r in rs)
    _, us = t.profile("us.anthropic.claude-sonnet-4-6") or (None, None)
    assert us is not None and set(us.destinations) >= {"us-east-1", "us-east-2", "us-west-2"}
    _, glob = t.profile("global.anthropic.claude-sonnet-4-6") or (None, None)
    assert glob is not None and glob.destinations == t.regions["aws"]
    gov = t.profile("us-gov.anthropic.claude-opus-4-8")
    assert gov is not None and gov[0].partition == "aws-us-gov"
    for m in t.models.values():
        for pe in m.profiles.values():
            assert all(b.partition_of(r) == m.partition for r in (*pe.destinations, *pe.sources))
    doc = json.loads(Path(bp.builtin_profiles_path()).read_text())
    assert doc["derived_from"] and doc["data_as_of"] == t.data_as_of


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ([], "expected a JSON object"),
        ({"data_as_of": 5, "regions": {}, "models": {}}, "data_as_of: expected a date"),
        (
            {"data_as_of": "2026-01-01", "regions": {"aws": "us-east-1"}, "models": {}},
            "regions.aws: expected a list",
        ),
        (
            {
                "data_as_of": "2026-01-01",
                "regions": {},
                "models": {"x": {"base_id": "anthropic.c", "profiles": {"us": {"destinations": 3}}}},
            },
            r"models.x.profiles.us.destinations: expected a list",
        ),
        (
            {"data_as_of": "2026-01-01", "regions": {}, "models": {"x": {"base_id": 7, "profiles": {}}}},
            "models.x.base_id",
        ),
        (
            {
                "data_as_of": "2026-01-01",
                "regions": {},
                "models": {"x": {"base_id": "anthropic.c", "profiles": {"mars": {}}}},
            },
            "unknown geography 'mars'",
        ),
        ({"data_as_of": "2026-01-01", "regions": {}, "models": []}, "models: expected an object"),
    ],
)
def test_bad_table_documents(tmp_path: Path, doc: object, why: str) -> None:
    p = tmp_path / "profiles.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(bp.ProfilesTableError, match=why) as ei:
        bp.load_profiles_table(str(p))
    assert str(p) in str(ei.value)


def test_unreadable_table(tmp_path: Path) -> None:
    with pytest.raises(bp.ProfilesTableError, match="cannot read"):
        bp.load_profiles_table(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(bp.ProfilesTableError, match="not valid JSON"):
        bp.load_profiles_table(str(bad))


def test_merge_live_profiles() -> None:
    t = bp.load_profiles_table()
    app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/team1"
    summaries = [
        {
            "inferenceProfileId": "us.anthropic.claude-sonnet-4-6",
            "type": "SYSTEM_DEFINED",
            "models": [
                {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6"},
                {"modelArn": "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-6"},
            ],
        },
        {
            "inferenceProfileId": "us.anthropic.claude-newer-9",
            "type": "SYSTEM_DEFINED",
            "models": [{"modelArn": "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-newer-9"}],
        },
        {
            "inferenceProfileArn": app,
            "type": "APPLICATION",
            "models": [
                {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6"}
            ],
        },
        {"inferenceProfileId": "garbage id", "type": "SYSTEM_DEFINED"},
        "not a dict",
    ]
    live = bp.merge_live_profiles(t, summaries)  # type: ignore[arg-type]
    assert live.profile("us.anthropic.claude-sonnet-4-6")[1].destinations == ("us-east-1", "us-west-2")  # type: ignore[index]
    assert live.profile("us.anthropic.claude-newer-9") is not None
    assert app in live.application_profiles
    assert "live" in live.source
    assert t.profile("us.anthropic.claude-sonnet-4-6")[1].destinations != ("us-east-1", "us-west-2")  # type: ignore[index]


def test_live_application_profile_copied_from_a_system_profile() -> None:
    """ListInferenceProfiles lists only foundation-model ARNs behind an application profile; several
    regions (or the region-less global ARN) mean it was copied from a system profile, which Bedrock
    also authorizes, so the table records that profile when exactly one matches."""
    t = bp.load_profiles_table()
    acct = "123456789012"
    base = "anthropic.claude-opus-4-1-20250805-v1:0"  # us. only: us-east-1, us-east-2, us-west-2
    us = [f"arn:aws:bedrock:{r}::foundation-model/{base}" for r in ("us-east-1", "us-east-2", "us-west-2")]
    g_base = "anthropic.claude-sonnet-4-6"
    apps = {
        "cris": (f"arn:aws:bedrock:us-east-2:{acct}:application-inference-profile/cris", us),
        "single": (f"arn:aws:bedrock:us-east-1:{acct}:application-inference-profile/single", us[:1]),
        "odd": (f"arn:aws:bedrock:us-east-1:{acct}:application-inference-profile/odd", us[:2]),
        "global": (
            f"arn:aws:bedrock:eu-west-1:{acct}:application-inference-profile/glob",
            [
                f"arn:aws:bedrock:eu-west-1::foundation-model/{g_base}",
                f"arn:aws:bedrock:::foundation-model/{g_base}",
            ],
        ),
    }
    summaries = [
        {"inferenceProfileArn": arn, "type": "APPLICATION", "models": [{"modelArn": m} for m in ms]}
        for arn, ms in apps.values()
    ]
    live = bp.merge_live_profiles(t, summaries)
    got = live.application_profiles
    assert got[apps["cris"][0]] == (f"arn:aws:bedrock:us-east-2:{acct}:inference-profile/us.{base}",)
    assert got[apps["global"][0]] == (f"arn:aws:bedrock:eu-west-1:{acct}:inference-profile/global.{g_base}",)
    assert got[apps["single"][0]] == tuple(us[:1])  # a one-region profile copies the foundation model
    assert got[apps["odd"][0]] == tuple(us[:2])  # no system profile has exactly these destinations
    assert any("inferred from the regions" in n for n in live.notes)
