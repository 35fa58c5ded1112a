"""`ccwb-doctor fix`: for each fix the finding before, the exact diff, the file after (byte-compared with a
golden file: comments, CRLF and BOM kept), the check passing after, and --undo restoring the bytes.

Golden files hold ``@HOME@`` for the scenario's home; regenerate with CCWB_UPDATE_GOLDEN=1 and review.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from ccwb_doctor.cli import main
from ccwb_doctor.commands.fix import fix_text, undo_text
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.repair import apply_plan, journal_path, load_journal, make_plan

GOLDEN = Path(__file__).parent / "golden_fix"
UPDATE = os.environ.get("CCWB_UPDATE_GOLDEN") == "1"

CREDS = (
    "# my own keys stay\r\n[other]\r\naws_access_key_id = AKIAOTHEROTHEROTHER1\r\naws_secret_access_key = x\r\n"
    "\r\n; a comment above the stale stanza\r\n[ClaudeCode]\r\naws_access_key_id = EXPIRED\r\n"
    "aws_secret_access_key = EXPIRED\r\naws_session_token = EXPIRED\r\n\r\n# belongs to [work]\r\n"
    "[work]\r\nregion = eu-west-1\r\n"
)
CONFIG = (
    "# written by hand\r\n[default]\r\nregion = eu-west-1\r\n\r\n[profile ClaudeCode]\r\n; the helper\r\n"
    "credential_process  =  {line}\r\nregion = us-east-1\r\n\r\n[profile other]\r\nregion = eu-west-1\r\n"
)
SETTINGS = (
    '\ufeff{\r\n    "env": {\r\n        "AWS_PROFILE": "ClaudeCode",\r\n'
    '        "ANTHROPIC_MODEL": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"\r\n    },\r\n'
    '    "awsAuthRefresh": "@HELPER@ --profile ClaudeCode",\r\n    "zz": [1, {"a": "b"}]\r\n}\r\n'
)


def _home_sub(s: sc.Scenario, text: str) -> str:
    return text.replace("@HELPER@", str(s.helper_path)).replace("@HOME@", str(s.home))


def _expired(s: sc.Scenario) -> Path:
    sc.write(s.aws_credentials, CREDS.encode())
    return s.aws_credentials


def _tilde(s: sc.Scenario) -> Path:
    line = "~/claude-code-with-bedrock/credential-process --profile ClaudeCode"
    sc.write(s.aws_config, CONFIG.format(line=line).encode())
    return s.aws_config


def _spaced(s: sc.Scenario) -> Path:
    sc.write(s.home / "My Tools" / "credential-process", sc.GUIDANCE_HELPER, 0o755)
    line = f"{s.home}/My Tools/credential-process --profile ClaudeCode"
    sc.write(s.aws_config, CONFIG.format(line=line).encode())
    return s.aws_config


def _settings(s: sc.Scenario) -> Path:
    sc.write(s.settings, _home_sub(s, SETTINGS).encode("utf-8"))
    return s.settings


STATIC_CONFIG = (
    "# written by hand\r\n[profile ClaudeCode]\r\n; the helper\r\ncredential_process = @HELPER@ --profile "
    "ClaudeCode\r\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\r\nregion = us-east-1\r\naws_secret_access_key = "
    + sc.FAKE_SECRET
    + "\r\n\r\n[profile other]\r\naws_access_key_id = AKIAOTHEROTHEROTHER1\r\naws_secret_access_key = y\r\n"
)
STATIC_CREDS = (
    "\ufeff[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\naws_secret_access_key = y\n\n"
    "# pasted from the console\n[ClaudeCode]\naws_access_key_id=AKIAEXAMPLEEXAMPLE01\n"
    "aws_secret_access_key=" + sc.FAKE_SECRET + "\n# the token\naws_session_token=IQoJb3JpZ2luX2VjEXAMPLE\n"
    "region = us-east-1\n"
)


def _static_config(s: sc.Scenario) -> Path:
    sc.write(s.aws_config, _home_sub(s, STATIC_CONFIG).encode())
    return s.aws_config


def _static_creds(s: sc.Scenario) -> Path:
    sc.write(s.aws_credentials, STATIC_CREDS.encode("utf-8"))
    return s.aws_credentials


def _placeholder_settings(s: sc.Scenario) -> Path:
    both = '"AWS_PROFILE": "ClaudeCode", "CLAUDE_CODE_USE_BEDROCK": "1", "AWS_REGION": "us-east-1",'
    text = SETTINGS.replace('"AWS_PROFILE": "ClaudeCode",', both)
    text = text.replace(
        '"@HELPER@ --profile ClaudeCode"', '"__CREDENTIAL_PROCESS_PATH__ --profile ClaudeCode"'
    )
    sc.write(s.settings, _home_sub(s, text).encode("utf-8"))
    return s.settings


def _placeholder_cp(s: sc.Scenario) -> Path:
    sc.write(s.aws_config, CONFIG.format(line="__CREDENTIAL_PROCESS_PATH__ --profile ClaudeCode").encode())
    return s.aws_config


# name -> (break, the finding, its status before, words in its message, the file the fix changes)
CASES: dict[str, tuple[Callable[[sc.Scenario], Path], str, str, str]] = {
    "expired-stanza": (_expired, "CONFIG-SHADOWED-CREDS", "fail", "EXPIRED placeholder"),
    "tilde-path": (_tilde, "CONFIG-CREDENTIAL-PROCESS", "warn", "works in Claude Code"),
    "space-unquoted": (_spaced, "CONFIG-CREDENTIAL-PROCESS", "fail", "unquoted space"),
    "settings-env": (_settings, "CONFIG-SETTINGS", "fail", "CLAUDE_CODE_USE_BEDROCK is unset"),
    "static-keys-config": (_static_config, "CONFIG-SHADOWED-CREDS", "fail", "uses the static keys"),
    "static-keys-credentials": (_static_creds, "CONFIG-SHADOWED-CREDS", "fail", "static keys with no expiry"),
    "placeholder-settings": (_placeholder_settings, "CONFIG-SETTINGS", "fail", "installer placeholder"),
    "placeholder-credential-process": (
        _placeholder_cp,
        "CONFIG-CREDENTIAL-PROCESS",
        "fail",
        "__CREDENTIAL_PROCESS_PATH__",
    ),
}


def _golden(name: str, suffix: str, actual: bytes, s: sc.Scenario) -> bytes:
    path = GOLDEN / f"{name}.{suffix}"
    generic = actual.replace(str(s.home).encode(), b"@HOME@")
    if UPDATE:
        path.write_bytes(generic)
    return path.read_bytes().replace(b"@HOME@", str(s.home).encode())


def _statuses(s: sc.Scenario, ids: list[str]) -> dict[str, str]:
    from ccwb_doctor.app import run_report

    return {r.id: str(r.status) for r in run_report(s.options(), only=ids, env=s.env).results}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_fix_diff_golden_check_passes_and_undo(tmp_path: Path, name: str) -> None:
    brk, cid, status, words = CASES[name]
    s = sc.guidance_install(tmp_path / "home")
    path = brk(s)
    original = path.read_bytes()
    mode = stat.S_IMODE(path.stat().st_mode)
    # the finding before
    plan = make_plan(s.options(), env=s.env)
    finding = next(f for f in plan.findings if f.id == cid)
    assert finding.status == status and words in finding.message
    # the exact diff
    change = next(c for c in plan.pending if c.target == str(path))
    diff = change.diff() + "\n"
    assert diff.encode() == _golden(name, "diff", diff.encode(), s)
    text, code = fix_text(s.options(), apply=False, env=s.env)
    shown = change.diff().replace("aws_secret_access_key = x", "aws_secret_access_key = «redacted»")
    for secret in (sc.FAKE_SECRET, "IQoJb3JpZ2luX2VjEXAMPLE"):
        shown = shown.replace(secret, "«redacted»")
    assert secret not in text
    assert code == 1 and shown in text and path.read_bytes() == original  # a diff writes nothing (redacted)
    # the file after: byte-compared with the golden file
    text, code = fix_text(s.options(), apply=True, env=s.env)
    assert code == 0, text
    after = path.read_bytes()
    assert after == _golden(name, "after", after, s)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    backups = list(path.parent.glob(f"{path.name}.ccwb-doctor-*.bak"))
    assert len(backups) == 1 and backups[0].read_bytes() == original
    assert stat.S_IMODE(backups[0].stat().st_mode) == mode
    # the check passes after, and there is nothing left to fix
    assert _statuses(s, [cid])[cid] == "pass"
    assert f"{cid}: {status} -> pass" in text
    assert fix_text(s.options(), only=[cid], apply=False, env=s.env)[1] == 0
    # --undo restores the original bytes
    out, code = undo_text(s.home)
    assert code == 0 and str(path) in out
    assert path.read_bytes() == original and stat.S_IMODE(path.stat().st_mode) == mode
    assert load_journal(s.home)["applies"] == []


def test_exec_bit_fix_and_undo(tmp_path: Path) -> None:
    s = sc.apply(sc.guidance_install(tmp_path / "home"), "not-executable")
    plan = make_plan(s.options(), env=s.env)
    change = plan.pending[0]
    assert change.diff() == f"diff {s.helper_path}\nold mode 644\nnew mode 755"
    assert main(["fix", "--home", str(s.home), "--offline", "--apply"]) == 0
    assert stat.S_IMODE(s.helper_path.stat().st_mode) == 0o755
    assert _statuses(s, ["CONFIG-CREDENTIAL-PROCESS"])["CONFIG-CREDENTIAL-PROCESS"] == "pass"
    assert main(["fix", "--home", str(s.home), "--undo"]) == 0
    assert stat.S_IMODE(s.helper_path.stat().st_mode) == 0o644


def test_region_mismatch_in_user_settings(tmp_path: Path) -> None:
    s = sc.guidance_install(tmp_path / "home")
    sc._env(s, AWS_REGION="eu-west-1")
    plan = make_plan(s.options(), env=s.env)
    change = next(c for c in plan.pending if c.target == str(s.settings))
    assert '-    "AWS_REGION": "eu-west-1",\n+    "AWS_REGION": "us-east-1",' in change.diff()
    apply_plan(plan)
    assert s.read_settings()["env"]["AWS_REGION"] == "us-east-1"


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = sc.guidance_install(tmp_path / "home")
    assert main(["fix", "--home", str(s.home), "--offline"]) == 0
    assert "nothing to fix" in capsys.readouterr().out
    assert main(["fix", "--home", str(s.home), "--undo"]) == 0
    assert "nothing to undo" in capsys.readouterr().out
    sc.apply(s, "expired-stanza")
    assert main(["fix", "--home", str(s.home), "--offline"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("CONFIG-SHADOWED-CREDS  FAIL") and "-aws_access_key_id = EXPIRED" in out
    assert main(["fix", "--home", str(s.home), "--offline", "--only", "CONFIG-SETTINGS"]) == 0
    assert main(["fix", "--home", str(s.home), "--offline", "--apply", "--undo"]) == 2


def test_a_file_changed_between_diff_and_apply_is_left_alone(tmp_path: Path) -> None:
    s = sc.apply(sc.guidance_install(tmp_path / "home"), "expired-stanza")
    plan = make_plan(s.options(), env=s.env)
    s.aws_credentials.write_text("[ClaudeCode]\naws_access_key_id = EXPIRED\n# edited meanwhile\n")
    done = apply_plan(plan)
    assert not done.written and "changed since the diff" in done.left_alone[0][1]
    assert s.aws_credentials.read_text().endswith("# edited meanwhile\n")
    assert not journal_path(s.home).exists()


def test_undo_leaves_a_file_changed_after_the_apply(tmp_path: Path) -> None:
    s = sc.apply(sc.guidance_install(tmp_path / "home"), "expired-stanza")
    apply_plan(make_plan(s.options(), env=s.env))
    s.aws_credentials.write_text("# the user wrote this after the fix\n")
    out, code = undo_text(s.home)
    assert code == 1 and "changed since the apply" in out
    assert s.aws_credentials.read_text() == "# the user wrote this after the fix\n"


def test_symlinks_followed_only_inside_the_home(tmp_path: Path) -> None:
    s = sc.apply(sc.guidance_install(tmp_path / "home"), "expired-stanza")
    inside = s.home / "dotfiles" / "credentials"
    inside.parent.mkdir()
    s.aws_credentials.rename(inside)
    s.aws_credentials.symlink_to(inside)
    apply_plan(make_plan(s.options(), env=s.env))
    assert s.aws_credentials.is_symlink() and "EXPIRED" not in inside.read_text()

    t = sc.apply(sc.guidance_install(tmp_path / "home2"), "expired-stanza")
    outside = tmp_path / "elsewhere" / "credentials"
    outside.parent.mkdir()
    t.aws_credentials.rename(outside)
    t.aws_credentials.symlink_to(outside)
    before = outside.read_bytes()
    plan = make_plan(t.options(), env=t.env)
    assert not plan.pending and "outside the HOME" in (plan.changes[0].refused or "")
    assert "left alone" in plan.render()
    apply_plan(plan)
    assert outside.read_bytes() == before


def test_managed_settings_are_never_written(tmp_path: Path) -> None:
    s = sc.guidance_install(tmp_path / "home")
    managed = s.home / "etc" / "claude-code" / "managed-settings.json"
    sc.write(managed, '{"env": {"AWS_PROFILE": "nope"}}')
    plan = make_plan(s.options(), env=s.env)
    assert all(c.target != str(managed) for c in plan.changes)
    assert any("managed" in a for f in plan.findings for a in f.advice)


def test_a_session_cache_stanza_is_never_edited(tmp_path: Path) -> None:
    """Keys with an expiry in the future are the helper's session storage (awsAuthRefresh renews them):
    when CONFIG-SHADOWED-CREDS warns for another reason (keys in the environment), they are advice only."""
    s = sc.guidance_install(tmp_path / "home")
    sc.write(
        s.aws_credentials,
        f"[{s.profile}]\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\naws_secret_access_key = {sc.FAKE_SECRET}\n"
        "aws_session_token = IQoJb3JpZ2luX2VjEXAMPLE\nx-expiration = 2999-01-01T00:00:00Z\n",
    )
    sc._env(s, AWS_ACCESS_KEY_ID="AKIAEXAMPLEEXAMPLE02", AWS_SECRET_ACCESS_KEY=sc.FAKE_SECRET)
    plan = make_plan(s.options(), only=["CONFIG-SHADOWED-CREDS"], env=s.env)
    assert plan.findings and plan.findings[0].status == "warn"
    assert all(c.target != str(s.aws_credentials) for c in plan.changes)
    assert any("not expired" in a for f in plan.findings for a in f.advice)


def _host_build() -> tuple[str, str, str] | None:
    """(this host's ELF arch, another arch, the guidance suffix) on Linux, else None."""
    from ccwb_doctor.analyzers.binary.hostcap import detect_host
    from ccwb_doctor.analyzers.binary.verdict import AWS_SUFFIX

    host = detect_host()
    suffix = AWS_SUFFIX.get((host.os, host.machine))
    if host.os != "linux" or suffix is None:
        return None
    return host.machine, "arm64" if host.machine == "x86_64" else "x86_64", suffix


@pytest.mark.parametrize("bundle", [True, False])
def test_wrong_arch_helper_replaced_from_the_bundle_else_advice(tmp_path: Path, bundle: bool) -> None:
    from ccwb_doctor.fixtures import binaries

    build = _host_build()
    if build is None:
        pytest.skip("judged with this host's build names: Linux only")
    mine, other, suffix = build
    s = sc.guidance_install(tmp_path / "home")
    foreign = binaries.elf(other)
    binaries.write(s.helper_path, foreign, 0o755)
    right = binaries.elf(mine)
    if bundle:
        binaries.write(s.helper_path.parent / f"credential-process-{suffix}", right, 0o755)
    assert _statuses(s, ["BINARY-ARCH"])["BINARY-ARCH"] == "fail"
    plan = make_plan(s.options(), only=["BINARY-ARCH"], env=s.env)
    if not bundle:
        assert not plan.pending
        assert any(f"credential-process-{suffix}" in a for a in plan.findings[0].advice)
        return
    assert plan.pending[0].diff().startswith(f"Binary file {s.helper_path} replaced")
    apply_plan(plan)
    assert s.helper_path.read_bytes() == right and stat.S_IMODE(s.helper_path.stat().st_mode) == 0o755
    assert _statuses(s, ["BINARY-ARCH"])["BINARY-ARCH"] == "pass"
    assert undo_text(s.home)[1] == 0 and s.helper_path.read_bytes() == foreign


def test_placeholder_with_several_candidate_binaries_is_advice(tmp_path: Path) -> None:
    s = sc.guidance_install(tmp_path / "home")
    _placeholder_settings(s)
    sc.write(s.helper_path.parent / "credential-process-linux-x64", sc.GUIDANCE_HELPER, 0o755)
    plan = make_plan(s.options(), only=["CONFIG-SETTINGS"], env=s.env)
    assert not plan.todo
    advice = " ".join(a for f in plan.findings for a in f.advice)
    assert "2 candidates" in advice and "credential-process, credential-process-linux-x64" in advice


def test_otel_placeholder_filled_when_one_otel_helper_is_installed(tmp_path: Path) -> None:
    s = sc.guidance_install(tmp_path / "home")
    otel = sc.write(s.helper_path.parent / "otel-helper", sc.GUIDANCE_HELPER, 0o755)
    s.write_settings({**s.read_settings(), "otelHeadersHelper": "__OTEL_HELPER_PATH__ --profile ClaudeCode"})
    plan = make_plan(s.options(), only=["CONFIG-SETTINGS"], env=s.env)
    assert "fill in __OTEL_HELPER_PATH__ -> " + str(otel) in plan.pending[0].summaries[0]
    apply_plan(plan)
    assert s.read_settings()["otelHeadersHelper"] == f"{otel} --profile ClaudeCode"
    assert _statuses(s, ["CONFIG-SETTINGS"])["CONFIG-SETTINGS"] == "pass"
