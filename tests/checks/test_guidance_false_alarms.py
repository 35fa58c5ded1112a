"""Issue 14 false alarms on healthy AWS-guidance installs, each over a HOME the fixture builders write."""

from __future__ import annotations

from pathlib import Path

from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.model import Status


def only(s: sc.Scenario, check_id: str) -> list:  # type: ignore[type-arg]
    from ccwb_doctor.app import run_report

    return [r for r in run_report(s.options(), only=[check_id], env=s.env).results if r.id == check_id]


def variant(tmp_path: Path, name: str) -> sc.Scenario:
    return sc.guidance_install(tmp_path / "home", **sc.GUIDANCE_VARIANTS[name])


# ---- MODEL-ID -------------------------------------------------------------------------------------


def test_guidance_alias_pinned_by_every_tier_passes(tmp_path: Path) -> None:
    res = only(variant(tmp_path, "guidance-model-tiers"), "MODEL-ID")
    by_var = {r.evidence["model"]["var"]: r for r in res}
    assert set(by_var) == set(sc.GUIDANCE_TIERS)
    assert [str(r.status) for r in res] == ["pass"] * 5
    alias = by_var["ANTHROPIC_MODEL"]
    assert "alias resolves to us.anthropic.claude-sonnet-5 (ANTHROPIC_DEFAULT_SONNET_MODEL)" in alias.message
    assert alias.evidence["resolves_to"] == {"ANTHROPIC_DEFAULT_SONNET_MODEL": "us.anthropic.claude-sonnet-5"}


def test_opusplan_needs_both_tiers_pinned(tmp_path: Path) -> None:
    s = variant(tmp_path, "guidance-model-tiers")
    doc = s.read_settings()
    doc["env"]["ANTHROPIC_MODEL"] = "opusplan"
    s.write_settings(doc)
    (alias,) = [r for r in only(s, "MODEL-ID") if r.message.startswith("ANTHROPIC_MODEL=")]
    assert alias.status is Status.PASS and "opus-4-8" in alias.message and "sonnet-5" in alias.message
    del doc["env"]["ANTHROPIC_DEFAULT_OPUS_MODEL"]
    s.write_settings(doc)
    (alias,) = [r for r in only(s, "MODEL-ID") if r.message.startswith("ANTHROPIC_MODEL=")]
    assert alias.status is Status.WARN and "depends on the Claude Code release" in alias.message


def test_small_fast_equal_to_the_haiku_tier_is_not_a_warning(tmp_path: Path) -> None:
    s = variant(tmp_path, "guidance-model-tiers")
    (small,) = [r for r in only(s, "MODEL-ID") if r.message.startswith("ANTHROPIC_SMALL_FAST_MODEL=")]
    assert small.status is Status.PASS and "deprecated" not in small.message
    # a different value is a real conflict (the newer variable wins): still a warning
    doc = s.read_settings()
    doc["env"]["ANTHROPIC_SMALL_FAST_MODEL"] = "us.anthropic.claude-sonnet-4-6"
    s.write_settings(doc)
    (small,) = [r for r in only(s, "MODEL-ID") if r.message.startswith("ANTHROPIC_SMALL_FAST_MODEL=")]
    assert (
        small.status is Status.WARN
        and "deprecated and differs from ANTHROPIC_DEFAULT_HAIKU_MODEL" in small.message
    )


# ---- TOKEN-PRESENT --------------------------------------------------------------------------------


def test_fresh_install_token_present_is_a_skip(tmp_path: Path) -> None:
    (r,) = only(variant(tmp_path, "okta-session-fresh"), "TOKEN-PRESENT")
    assert r.status is Status.SKIP and "not logged in yet" in r.message and "--token" in r.message


def test_keyring_storage_token_present_is_a_skip_naming_the_keyring(tmp_path: Path) -> None:
    (r,) = only(variant(tmp_path, "keyring-idle"), "TOKEN-PRESENT")
    assert r.status is Status.SKIP and "OS keyring" in r.message
    assert "ClaudeCode-refresh.json" in r.message  # the helper's refresh file shows it did log in


def test_identity_center_token_present_is_a_skip(tmp_path: Path) -> None:
    (r,) = only(variant(tmp_path, "idc-zero-binary"), "TOKEN-PRESENT")
    assert r.status is Status.SKIP and "IAM Identity Center" in r.message


def test_a_damaged_token_cache_is_still_a_warning(tmp_path: Path) -> None:
    s = variant(tmp_path, "okta-session-fresh")
    sc.write(s.home / ".claude-code-session" / "ClaudeCode-monitoring.json", "{not json")
    (r,) = only(s, "TOKEN-PRESENT")
    assert r.status is Status.WARN and "not JSON" in r.message


# ---- CONFIG-PROFILE (IAM Identity Center zero-binary) ---------------------------------------------


def test_identity_center_profile_is_complete(tmp_path: Path) -> None:
    (r,) = only(variant(tmp_path, "idc-zero-binary"), "CONFIG-PROFILE")
    assert r.status is Status.PASS, r.message
    assert "IAM Identity Center" in r.message and "credential_process" not in r.remediation


def test_identity_center_value_with_indented_lines_fails_instead_of_crashing(tmp_path: Path) -> None:
    """botocore reads indented lines under a key as a sub-section (a dict), which once crashed the check."""
    s = variant(tmp_path, "idc-zero-binary")
    text = s.aws_config.read_text()
    s.aws_config.write_text(
        text.replace("sso_session = ClaudeCode-session", "sso_session =\n  nested = x", 1)
    )
    (r,) = only(s, "CONFIG-PROFILE")
    assert r.status is Status.FAIL and "sso_session has indented lines" in r.message, r.message


def test_identity_center_profile_without_its_sso_session_section_fails(tmp_path: Path) -> None:
    s = variant(tmp_path, "idc-zero-binary")
    text = s.aws_config.read_text()
    s.aws_config.write_text(text[: text.index("[sso-session")])
    (r,) = only(s, "CONFIG-PROFILE")
    assert r.status is Status.FAIL and "[sso-session ClaudeCode-session]" in r.message
    assert "credential_process" not in r.remediation and "sso_start_url" in r.remediation


# ---- CONFIG-SHADOWED-CREDS (session storage idle state) -------------------------------------------


def test_session_idle_stanza_with_aws_auth_refresh_is_normal(tmp_path: Path) -> None:
    s = variant(tmp_path, "session-idle")
    (r,) = only(s, "CONFIG-SHADOWED-CREDS")
    assert r.status is Status.PASS, r.message
    assert "awsAuthRefresh" in r.message


def test_session_idle_stanza_without_aws_auth_refresh_warns_to_add_it(tmp_path: Path) -> None:
    s = variant(tmp_path, "session-idle")
    doc = s.read_settings()
    del doc["awsAuthRefresh"]
    s.write_settings(doc)
    (r,) = only(s, "CONFIG-SHADOWED-CREDS")
    assert r.status is Status.WARN and "awsAuthRefresh" in r.remediation


def test_healthy_guidance_variants_raise_none_of_these_alarms(tmp_path: Path) -> None:
    for i, name in enumerate(sc.GUIDANCE_VARIANTS):
        s = sc.guidance_install(tmp_path / f"h{i}", **sc.GUIDANCE_VARIANTS[name])
        for cid in ("MODEL-ID", "TOKEN-PRESENT", "CONFIG-PROFILE", "CONFIG-SHADOWED-CREDS"):
            bad = [(r.status, r.message) for r in only(s, cid) if r.status in (Status.WARN, Status.FAIL)]
            assert bad == [], (name, cid)
