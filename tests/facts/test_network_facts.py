"""The `endpoints` fact over real HOME files: ~/.aws/config read by botocore's loader (profile endpoint_url,
`services` sections, FIPS/dual-stack flags), Claude Code settings env, the helper's config.json."""

from __future__ import annotations

import json

import pytest

from ccwb_doctor.fixtures import scenarios as sc


def _urls(s: sc.Scenario) -> dict[str, str]:
    return {e.name: e.url for e in s.facts().endpoints.items}


def _aws_config(s: sc.Scenario, extra_profile: str = "", sections: str = "") -> None:
    sc.write(
        s.aws_config,
        f"[profile {s.profile}]\ncredential_process = {s.helper_path} --profile {s.profile}\n"
        f"region = us-east-1\n{extra_profile}{sections}",
    )


def test_services_section_routes_sts_and_bedrock(reference: sc.Scenario) -> None:
    _aws_config(
        reference,
        "services = corp\n",
        "[services corp]\nsts =\n  endpoint_url = https://vpce-sts.corp.example\n"
        "bedrock_runtime =\n  endpoint_url = https://vpce-br.corp.example\n",
    )
    eps = reference.facts().endpoints
    sts = eps.of_kind("sts")[0]
    assert sts.url == "https://vpce-sts.corp.example" and "services corp" in sts.source
    # Claude Code's runtime client ignores configured endpoint URLs (docs/claude-code-endpoints.md)
    assert [e.url for e in eps.of_kind("bedrock")] == ["https://bedrock-runtime.us-east-1.amazonaws.com"]


def test_profile_endpoint_url_and_env_precedence(reference: sc.Scenario) -> None:
    _aws_config(reference, "endpoint_url = https://gateway.corp.example\n")
    urls = _urls(reference)
    assert urls["sts"] == "https://gateway.corp.example"
    assert (
        urls["bedrock:us-east-1"] == "https://bedrock-runtime.us-east-1.amazonaws.com"
    )  # Claude Code ignores it
    doc = reference.read_settings()
    doc["env"]["AWS_ENDPOINT_URL_STS"] = "https://sts-override.corp.example"
    reference.write_settings(doc)
    urls = _urls(reference)  # the service-specific variable beats the profile's endpoint_url
    assert urls["sts"] == "https://sts-override.corp.example"
    doc["env"]["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"
    reference.write_settings(doc)
    assert _urls(reference)["sts"] == "https://sts.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("helper_region", "profile_lines", "sts_url", "bedrock_url"),
    [
        (
            "us-west-2",
            "use_fips_endpoint = true\n",
            "https://sts-fips.us-west-2.amazonaws.com",
            "https://bedrock-runtime-fips.us-east-1.amazonaws.com",
        ),
        (
            "cn-north-1",
            "",
            "https://sts.cn-north-1.amazonaws.com.cn",
            "https://bedrock-runtime.us-east-1.amazonaws.com",
        ),
        (
            "us-east-1",
            "use_dualstack_endpoint = true\n",
            "https://sts.us-east-1.api.aws",
            "https://bedrock-runtime.us-east-1.api.aws",
        ),
    ],
)
def test_region_and_endpoint_variants_from_files(
    reference: sc.Scenario, helper_region: str, profile_lines: str, sts_url: str, bedrock_url: str
) -> None:
    _aws_config(reference, profile_lines)
    doc = json.loads(reference.helper_config.read_text())
    doc["profiles"][reference.helper_profile]["aws_region"] = helper_region
    reference.helper_config.write_text(json.dumps(doc))
    urls = _urls(reference)
    assert urls["sts"] == sts_url  # STS follows the helper's aws_region, not Claude Code's AWS_REGION
    assert urls["bedrock:us-east-1"] == bedrock_url


def test_fips_from_settings_env_and_haiku_region(reference: sc.Scenario) -> None:
    doc = reference.read_settings()
    doc["env"].update({"AWS_USE_FIPS_ENDPOINT": "true", "ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION": "us-west-2"})
    reference.write_settings(doc)
    urls = _urls(reference)
    assert urls["sts"] == "https://sts-fips.us-east-1.amazonaws.com"
    assert urls["bedrock:us-east-1"] == "https://bedrock-runtime-fips.us-east-1.amazonaws.com"
    assert urls["bedrock:us-west-2"] == "https://bedrock-runtime-fips.us-west-2.amazonaws.com"
    assert urls["idp"] == "https://idp.example.com/.well-known/openid-configuration"
    assert urls["collector"] == "https://collector.example.com/v1/metrics"


def test_unknown_region_is_a_reason_not_a_crash(reference: sc.Scenario) -> None:
    doc = json.loads(reference.helper_config.read_text())
    doc["profiles"][reference.helper_profile]["aws_region"] = "not a region!"
    reference.helper_config.write_text(json.dumps(doc))
    eps = reference.facts().endpoints
    assert not eps.of_kind("sts")
    assert eps.errors["sts"] == "helper aws_region 'not a region!' is not a valid AWS region name"
    assert eps.of_kind("idp")  # the IdP does not depend on the region


def test_helper_sts_endpoint_url_counts_after_env(reference: sc.Scenario) -> None:
    doc = json.loads(reference.helper_config.read_text())
    doc["profiles"][reference.helper_profile]["sts_endpoint_url"] = "https://sts.helper.example"
    reference.helper_config.write_text(json.dumps(doc))
    eps = reference.facts().endpoints
    assert [(e.url, e.source) for e in eps.of_kind("sts")] == [
        ("https://sts.helper.example", "helper sts_endpoint_url")
    ]
    settings = reference.read_settings()
    settings["env"]["AWS_ENDPOINT_URL_STS"] = "https://sts.env.example"
    reference.write_settings(settings)
    assert _urls(reference)["sts"] == "https://sts.env.example"  # as the helper itself resolves it
