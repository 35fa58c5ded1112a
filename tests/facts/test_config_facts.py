from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccwb_doctor.facts import Facts
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.model import InputError
from ccwb_doctor.options import RunOptions


def test_home_reroots_every_user_path(guidance: sc.Scenario) -> None:
    f = guidance.facts()
    p = f.paths
    for path in (
        p.aws_config,
        p.aws_credentials,
        p.claude_user_settings,
        p.ccwb_dir,
        p.session_dir,
        p.helper_cache_dir,
        *[m for _, m in p.managed_settings],
    ):
        assert str(path).startswith(str(guidance.home)), path


def test_aws_config_file_env_and_profile_precedence(tmp_path: Path, guidance: sc.Scenario) -> None:
    alt = sc.write(
        tmp_path / "alt.ini",
        "[profile alt]\nregion = eu-west-1\ncredential_process = /bin/true\n[default]\nregion = us-west-2\n",
    )
    env = {**guidance.env, "AWS_CONFIG_FILE": str(alt)}
    doc = guidance.read_settings()
    doc["env"].pop("AWS_PROFILE")
    guidance.write_settings(doc)
    f = Facts(guidance.options(), env=env)
    assert f.aws_config["path"] == str(alt) and set(f.aws_config["profiles"]) == {"alt", "default"}
    assert f.profile_name == "default" and f.profile["region"] == "us-west-2"
    f = Facts(guidance.options(), env={**env, "AWS_DEFAULT_PROFILE": "alt"})
    assert f.profile_name == "alt"
    f = Facts(guidance.options(), env={**env, "AWS_DEFAULT_PROFILE": "alt", "AWS_PROFILE": "default"})
    assert f.profile_name == "default"
    f = Facts(guidance.options(profile="alt"), env={**env, "AWS_PROFILE": "default"})
    assert f.profile_name == "alt"


def test_tilde_in_aws_config_file_resolves_under_home(guidance: sc.Scenario) -> None:
    sc.write(guidance.home / "cfg" / "aws.ini", "[profile x]\nregion = eu-west-1\n")
    f = Facts(guidance.options(profile="x"), env={**guidance.env, "AWS_CONFIG_FILE": "~/cfg/aws.ini"})
    assert f.profile == {"region": "eu-west-1"}


def test_settings_env_sets_profile_claude_code_uses(guidance: sc.Scenario) -> None:
    f = Facts(guidance.options(), env={**guidance.env, "AWS_PROFILE": "shell-profile"})
    assert f.profile_name == "ClaudeCode"  # settings env wins over the shell, as inside Claude Code


def test_managed_settings_override_user_settings(guidance: sc.Scenario) -> None:
    sc.write(
        guidance.home / "etc" / "claude-code" / "managed-settings.json",
        json.dumps({"env": {"AWS_REGION": "eu-central-1"}, "otelHeadersHelper": "/opt/h"}),
    )
    st = guidance.facts().claude_settings
    assert [f.scope for f in st.files] == ["user", "managed"]
    assert st.env["AWS_REGION"] == "eu-central-1" and st.env["AWS_PROFILE"] == "ClaudeCode"
    assert st.merged["otelHeadersHelper"] == "/opt/h"


def test_credential_process_split_and_resolved(guidance: sc.Scenario) -> None:
    cp = guidance.facts().credential_process
    assert cp.argv == [str(guidance.helper_path), "--profile", "ClaudeCode"]
    assert cp.program == guidance.helper_path and cp.helper_profile == "ClaudeCode"


def test_windows_split_keeps_backslashes(guidance: sc.Scenario) -> None:
    sc.write(
        guidance.aws_config,
        '[profile ClaudeCode]\ncredential_process = "C:\\Users\\A B\\cp.exe" '
        "--profile ClaudeCode\nregion = us-east-1\n",
    )
    f = Facts(guidance.options(extra={"platform": "win32"}), env=guidance.env)
    assert f.credential_process.argv == ["C:\\Users\\A B\\cp.exe", "--profile", "ClaudeCode"]
    f = Facts(guidance.options(extra={"platform": "linux"}), env=guidance.env)
    assert f.credential_process.argv[0] == "C:\\Users\\A B\\cp.exe"  # shlex keeps backslashes inside quotes


@pytest.mark.parametrize("shape", ["flat", "profiles"])
def test_helper_config_shapes_normalised(tmp_path: Path, shape: str) -> None:
    s = sc.guidance_install(tmp_path / "h", shape=shape)
    f = s.facts()
    assert f.helper_config.shape == shape
    prof = f.helper_profile
    assert prof["provider_domain"] == "dev-12345678.okta.com" and prof["federation_type"] == "direct"
    assert prof["max_session_duration"] == 43200 and prof["profile_name"] == "ClaudeCode"


def test_legacy_helper_config_aliases_and_defaults(guidance: sc.Scenario) -> None:
    sc.write(
        guidance.helper_config,
        json.dumps(
            {
                "name": "ClaudeCode",
                "okta_domain": "acme.okta.com",
                "okta_client_id": "0oa1",
                "identity_pool_name": "us-east-1:abc",
                "credential_storage": "keyring",
            }
        ),
    )
    f = guidance.facts()
    assert f.helper_config.shape == "legacy"
    prof = f.helper_profile
    assert prof["provider_domain"] == "acme.okta.com" and prof["client_id"] == "0oa1"
    assert prof["identity_pool_id"] == "us-east-1:abc" and prof["federation_type"] == "cognito"
    assert prof["max_session_duration"] == 28800 and prof["aws_region"] == "us-east-1"


def test_helper_config_found_beside_the_binary_first(tmp_path: Path, guidance: sc.Scenario) -> None:
    opt = tmp_path / "opt" / "ccwb"
    helper = sc.write(opt / "credential-process", sc.GUIDANCE_HELPER, 0o755)
    sc.write(
        opt / "config.json",
        json.dumps({"Beside": {"provider_domain": "beside.example.com", "client_id": "c"}}),
    )
    sc.write(
        guidance.aws_config,
        f"[profile ClaudeCode]\ncredential_process = {helper} --profile Beside\nregion = us-east-1\n",
    )
    f = guidance.facts()
    assert f.helper_config.path == opt / "config.json"
    assert f.helper_profile["provider_domain"] == "beside.example.com"


def test_token_cache_files_found(guidance: sc.Scenario) -> None:
    f = guidance.facts()
    assert f.token_cache_files == []
    mon = sc.write(guidance.home / ".claude-code-session" / "ClaudeCode-monitoring.json", "{}")
    ref = sc.write(guidance.home / ".cache" / "ccwb-credential-process" / "ClaudeCode.json", "{}")
    assert guidance.facts().token_cache_files == [("ccwb-monitoring", mon), ("reference-helper", ref)]


@pytest.mark.parametrize(
    "brk,fact,needle",
    [
        ("config-not-utf8", "aws_config", "not UTF-8"),
        ("helper-config-not-json", "helper_config", "not valid JSON"),
        ("helper-config-wrong-types", "helper_config", "client_id must be a string"),
    ],
)
def test_bad_files_raise_input_error_naming_the_file(
    guidance: sc.Scenario, brk: str, fact: str, needle: str
) -> None:
    sc.apply(guidance, brk)
    before = {p: p.read_bytes() for p in guidance.home.rglob("*") if p.is_file()}
    f = guidance.facts()
    with pytest.raises(InputError) as ei:
        f.get(fact)
    assert needle in str(ei.value) and str(guidance.home) in str(ei.value) and "\n" not in str(ei.value)
    assert {p: p.read_bytes() for p in guidance.home.rglob("*") if p.is_file()} == before  # nothing written


def test_file_botocore_rejects_is_read_as_the_js_sdk_reads_it(guidance: sc.Scenario) -> None:
    sc.apply(guidance, "config-malformed-ini")  # '[profile x' : configparser fails, the JS SDK skips the line
    cfg = guidance.facts().get("aws_config")
    # the reason names the line botocore chokes on (facts/ini_diag), not only botocore's own words
    assert cfg["profiles"] == {} and "line 1 `[profile x`" in cfg["botocore_error"]


def test_failed_fact_is_remembered_not_recomputed(guidance: sc.Scenario) -> None:
    sc.apply(guidance, "config-not-utf8")
    f = guidance.facts()
    with pytest.raises(InputError) as a:
        f.get("aws_config")
    sc.apply(guidance, "profile-missing")  # the file is now fine, but facts are gathered once
    with pytest.raises(InputError) as b:
        f.get("aws_config")
    assert a.value is b.value


def test_unknown_fact_is_attribute_error() -> None:
    with pytest.raises(AttributeError):
        Facts(RunOptions()).no_such_fact  # noqa: B018
