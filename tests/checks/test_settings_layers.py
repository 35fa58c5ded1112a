"""Claude Code's settings stack: user (or CLAUDE_CONFIG_DIR) < project < local project < managed, key by key."""

from __future__ import annotations

import json
from pathlib import Path

from ccwb_doctor.app import run_report
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.model import Status


def _settings(s: sc.Scenario, project: Path | None = None):  # type: ignore[no-untyped-def]
    opts = s.options()
    if project is not None:
        opts.extra["project"] = str(project)
    (r,) = run_report(opts, only=["CONFIG-SETTINGS"], env=s.env).results
    return r


def test_local_project_layer_wins_and_is_named(guidance: sc.Scenario, tmp_path: Path) -> None:
    project = tmp_path / "repo"
    sc.write(project / ".claude" / "settings.json", json.dumps({"env": {"AWS_REGION": "eu-west-1"}}))
    sc.write(project / ".claude" / "settings.local.json", json.dumps({"env": {"AWS_REGION": "bogus"}}))
    r = _settings(guidance, project)
    assert r.status is Status.FAIL and "'bogus'" in r.message
    assert f"local: {project}/.claude/settings.local.json" in r.message
    assert r.evidence["set_by"]["AWS_PROFILE"].startswith("user: ")  # the other keys keep their layer
    (project / ".claude" / "settings.local.json").unlink()
    r = _settings(guidance, project)
    assert r.status is Status.PASS and f"project: {project}/.claude/settings.json" in r.message


def test_without_a_project_only_user_and_managed_are_read(guidance: sc.Scenario, tmp_path: Path) -> None:
    r = _settings(guidance)  # --home given and no --project: a captured HOME has no working directory
    assert r.status is Status.PASS
    assert all(not f.startswith(("project", "local")) for f in r.evidence["files"])


def test_claude_config_dir_moves_the_user_layer(guidance: sc.Scenario, tmp_path: Path) -> None:
    moved = tmp_path / "cfg"
    sc.write(moved / "settings.json", guidance.settings.read_text().replace("us-east-1", "ap-south-1"))
    guidance.env["CLAUDE_CONFIG_DIR"] = str(moved)
    r = _settings(guidance)
    assert r.evidence["AWS_REGION"] == "ap-south-1" and str(moved / "settings.json") in r.message


def test_project_option_on_the_command_line(guidance: sc.Scenario, tmp_path: Path) -> None:
    import subprocess
    import sys

    project = tmp_path / "repo"
    sc.write(project / ".claude" / "settings.local.json", json.dumps({"env": {"AWS_REGION": "eu-west-1"}}))
    argv = [sys.executable, "-m", "ccwb_doctor", "run", "--home", str(guidance.home), "--offline"]
    argv += ["--project", str(project), "--only", "CONFIG-SETTINGS", "--format", "json"]
    proc = subprocess.run(argv, env=guidance.env, capture_output=True, text=True, timeout=60)
    (r,) = json.loads(proc.stdout)["results"]
    assert r["evidence"]["set_by"]["AWS_REGION"] == f"local: {project}/.claude/settings.local.json", r


# Managed sources: Claude Code uses ONE, the highest present: MDM (macOS plist / Windows HKLM) > the
# managed-settings.json file > HKCU (code.claude.com/docs/en/managed-settings).


def _managed_file(s: sc.Scenario, region: str) -> Path:
    p = s.home / "etc" / "claude-code" / "managed-settings.json"
    sc.write(p, json.dumps({"env": {"AWS_REGION": region}}))
    return p


def test_macos_configuration_profile_wins_over_the_managed_file(guidance: sc.Scenario) -> None:
    import plistlib

    _managed_file(guidance, "eu-west-1")
    plist = guidance.home / "Library" / "Managed Preferences" / "com.anthropic.claudecode.plist"
    sc.write(plist, plistlib.dumps({"env": {"AWS_REGION": "ap-northeast-1"}}))
    r = _settings(guidance)
    assert r.evidence["AWS_REGION"] == "ap-northeast-1", r.message
    assert str(plist) in r.message
    assert any("managed-settings.json" in i for i in r.evidence["managed_ignored"])


def test_broken_plist_is_an_error_naming_it(guidance: sc.Scenario) -> None:
    plist = guidance.home / "Library" / "Managed Preferences" / "com.anthropic.claudecode.plist"
    sc.write(plist, b"not a plist")
    r = _settings(guidance)
    assert r.status is Status.ERROR and "property list" in r.message and str(plist) in r.message


def _reg(hive: str, doc: dict) -> bytes:  # type: ignore[type-arg]
    value = json.dumps(doc).replace("\\", "\\\\").replace('"', '\\"')
    text = f'Windows Registry Editor Version 5.00\r\n\r\n[{hive}\\SOFTWARE\\Policies\\ClaudeCode]\r\n"Settings"="{value}"\r\n'
    return b"\xff\xfe" + text.encode("utf-16-le")


def test_exported_hklm_policy_wins_and_hkcu_yields_to_the_file(guidance: sc.Scenario) -> None:
    _managed_file(guidance, "eu-west-1")
    sc.write(guidance.home / "hkcu.reg", _reg("HKEY_CURRENT_USER", {"env": {"AWS_REGION": "sa-east-1"}}))
    r = _settings(guidance)
    assert r.evidence["AWS_REGION"] == "eu-west-1", r.message  # HKCU only when no admin source exists
    sc.write(guidance.home / "hklm.reg", _reg("HKEY_LOCAL_MACHINE", {"env": {"AWS_REGION": "ca-central-1"}}))
    r = _settings(guidance)
    assert r.evidence["AWS_REGION"] == "ca-central-1", r.message
    assert "HKLM" in r.message and "hklm.reg" in r.message


def _results(s: sc.Scenario, check: str, project: Path | None = None):  # type: ignore[no-untyped-def]
    opts = s.options()
    if project is not None:
        opts.extra["project"] = str(project)
    return run_report(opts, only=[check], env=s.env).results


def test_a_model_problem_names_the_layer_that_set_the_model(guidance: sc.Scenario, tmp_path: Path) -> None:
    """MODEL-ID on a model id set in the project layer: the message names that file and the fix edits it."""
    project = tmp_path / "repo"
    path = project / ".claude" / "settings.json"
    sc.write(path, json.dumps({"env": {"ANTHROPIC_DEFAULT_OPUS_MODEL": "us.anthropic.claude-nonesuch-9"}}))
    bad = [r for r in _results(guidance, "MODEL-ID", project) if r.status is not Status.PASS]
    assert bad, "an unknown model id must not pass"
    hit = bad[0]
    assert f"ANTHROPIC_DEFAULT_OPUS_MODEL set by project: {path}" in hit.message
    assert hit.remediation.startswith(f"In {path}, ")


def test_a_telemetry_problem_set_by_managed_settings_sends_the_user_to_its_administrator(
    guidance: sc.Scenario, tmp_path: Path
) -> None:
    managed = guidance.home / "etc" / "claude-code" / "managed-settings.json"
    env = {"CLAUDE_CODE_ENABLE_TELEMETRY": "1", "OTEL_METRICS_EXPORTER": "otlp"}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector.example.com:4318"
    sc.write(managed, json.dumps({"env": env}))
    (r,) = _results(guidance, "OTEL-CONFIG")
    assert r.status is Status.FAIL, r.message
    assert f"OTEL_EXPORTER_OTLP_ENDPOINT set by managed: {managed}" in r.message
    assert r.remediation.startswith(f"Ask whoever manages {managed}")


def test_origin_phrasing() -> None:
    from ccwb_doctor.analyzers.clientconfig.settings_layers import (
        named_variables,
        origins_note,
        where_to_change,
    )

    assert (
        where_to_change("user: /h/.claude/settings.json", "set X to 1")
        == "in /h/.claude/settings.json, set X to 1"
    )
    assert where_to_change("managed: /etc/m.json", "set X to 1").startswith("ask whoever manages /etc/m.json")
    assert where_to_change("process environment", "set X").startswith("in the environment that starts")
    assert where_to_change("", "set X") == "set X"
    # a user file under the judged HOME is written as the developer types it (and alike for every developer)
    assert where_to_change("user: /home/ana/.claude/settings.json", "set X", "/home/ana") == (
        "in ~/.claude/settings.json, set X"
    )
    assert where_to_change("user: C:\\Users\\ana\\.claude\\settings.json", "set X", "C:\\Users\\ana") == (
        "in ~/.claude/settings.json, set X"
    )
    assert (
        where_to_change("user: /home/anabel/s.json", "set X", "/home/ana") == "in /home/anabel/s.json, set X"
    )
    assert where_to_change("project: /home/ana/repo/.claude/settings.json", "set X", "/home/ana").startswith(
        "in /home/ana/repo/"
    )
    text = "AWS_REGION=eu-west-1 and OTEL_EXPORTER_OTLP_ENDPOINT, AWS_REGION again; not_A_VAR"
    assert named_variables(text) == ["AWS_REGION", "OTEL_EXPORTER_OTLP_ENDPOINT"]
    origins = {"AWS_REGION": "user: /u.json"}
    assert origins_note(text, origins) == " (AWS_REGION set by user: /u.json)"
    assert origins_note("nothing named", origins) == ""
