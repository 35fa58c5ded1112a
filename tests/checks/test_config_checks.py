from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.model import Status

CONFIG = ["CONFIG-PROFILE", "CONFIG-CREDENTIAL-PROCESS", "CONFIG-SHADOWED-CREDS", "CONFIG-SETTINGS"]


def statuses(s: sc.Scenario, run_checks_on) -> dict[str, Status]:  # type: ignore[no-untyped-def]
    return {k: v[0].status for k, v in run_checks_on(s, CONFIG).items()}


@pytest.mark.parametrize("kind", ["guidance", "reference"])
def test_healthy_installs_pass_every_config_check(tmp_path: Path, kind: str, run_checks_on) -> None:
    s = (sc.guidance_install if kind == "guidance" else sc.reference_install)(tmp_path / "h")
    res = run_checks_on(s, CONFIG)
    assert {k: v[0].status for k, v in res.items()} == dict.fromkeys(CONFIG, Status.PASS), {
        k: v[0].message for k, v in res.items()
    }


# (break, failing check, expected status, words the message must contain)
CASES = [
    ("profile-missing", "CONFIG-PROFILE", Status.FAIL, "is not defined"),
    ("no-region", "CONFIG-PROFILE", Status.FAIL, "has no region"),
    ("no-credential-process", "CONFIG-PROFILE", Status.FAIL, "has no credential_process"),
    # ~ and $HOME: /bin/sh -c (Claude Code) expands them, botocore (AWS CLI/boto3) does not
    ("tilde-path", "CONFIG-CREDENTIAL-PROCESS", Status.WARN, "works in Claude Code"),
    ("dollar-home-path", "CONFIG-CREDENTIAL-PROCESS", Status.WARN, "'$HOME/"),
    ("missing-program", "CONFIG-CREDENTIAL-PROCESS", Status.FAIL, "does not exist"),
    ("not-executable", "CONFIG-CREDENTIAL-PROCESS", Status.FAIL, "not executable"),
    ("unbalanced-quotes", "CONFIG-CREDENTIAL-PROCESS", Status.FAIL, "unterminated double quote"),
    ("space-unquoted", "CONFIG-CREDENTIAL-PROCESS", Status.FAIL, "an unquoted space"),
    ("expired-stanza", "CONFIG-SHADOWED-CREDS", Status.FAIL, "EXPIRED placeholder"),
    ("static-keys", "CONFIG-SHADOWED-CREDS", Status.FAIL, "never runs"),
    ("env-keys", "CONFIG-SHADOWED-CREDS", Status.FAIL, "shadow credential_process"),
    ("web-identity-env", "CONFIG-SHADOWED-CREDS", Status.FAIL, "web-identity provider"),
    ("bedrock-off", "CONFIG-SETTINGS", Status.FAIL, "CLAUDE_CODE_USE_BEDROCK is unset"),
    ("placeholder", "CONFIG-SETTINGS", Status.FAIL, "__CREDENTIAL_PROCESS_PATH__"),
    ("settings-profile-unknown", "CONFIG-SETTINGS", Status.FAIL, "AWS_PROFILE=nope"),
    ("no-aws-region", "CONFIG-SETTINGS", Status.WARN, "AWS_REGION is not set"),
    ("settings-malformed", "CONFIG-SETTINGS", Status.ERROR, "not valid JSON"),
    ("settings-is-directory", "CONFIG-SETTINGS", Status.ERROR, "is a directory"),
    ("nested-credential-process", "CONFIG-PROFILE", Status.FAIL, "nested sub-section"),
    ("nested-credential-process", "CONFIG-CREDENTIAL-PROCESS", Status.FAIL, "not a command line"),
    ("config-malformed-ini", "CONFIG-PROFILE", Status.FAIL, "malformed: line 1 `[profile x`"),
    ("config-not-utf8", "CONFIG-PROFILE", Status.ERROR, "not UTF-8"),
]


@pytest.mark.parametrize("brk,cid,status,words", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_break_is_named_by_the_right_check(
    guidance: sc.Scenario, run_checks_on, brk: str, cid: str, status: Status, words: str
) -> None:
    sc.apply(guidance, brk)
    res = run_checks_on(guidance, CONFIG)
    r = res[cid][0]
    assert r.status is status, r.message
    assert words in r.message
    assert "\n" not in r.message
    if status in (Status.FAIL, Status.WARN):
        assert r.remediation


def test_unexpanded_path_fix_names_the_absolute_path(guidance: sc.Scenario, run_checks_on) -> None:
    sc.apply(guidance, "tilde-path")
    r = run_checks_on(guidance, ["CONFIG-CREDENTIAL-PROCESS"])["CONFIG-CREDENTIAL-PROCESS"][0]
    assert str(guidance.helper_path) in r.remediation


def _session_keys(s: sc.Scenario, expiry: str) -> None:
    sc.write(
        s.aws_credentials,
        f"[{s.profile}]\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\n"
        f"aws_secret_access_key = {sc.FAKE_SECRET}\naws_session_token = x\nx-expiration = {expiry}\n",
    )


def test_session_storage_cache_valid_passes_expired_needs_aws_auth_refresh(
    guidance: sc.Scenario, run_checks_on
) -> None:
    _session_keys(guidance, "2999-01-01T00:00:00Z")
    r = run_checks_on(guidance, ["CONFIG-SHADOWED-CREDS"])["CONFIG-SHADOWED-CREDS"][0]
    assert r.status is Status.PASS and r.evidence["session_cache"] is True
    # expired with the guidance's awsAuthRefresh hook: the idle state between sessions (issue 14)
    _session_keys(guidance, "2001-01-01T00:00:00Z")
    r = run_checks_on(guidance, ["CONFIG-SHADOWED-CREDS"])["CONFIG-SHADOWED-CREDS"][0]
    assert r.status is Status.PASS and "awsAuthRefresh" in r.message and "idle" in r.message
    # without the hook nothing renews them: warn, and the fix adds it
    guidance.write_settings({k: v for k, v in guidance.read_settings().items() if k != "awsAuthRefresh"})
    r = run_checks_on(guidance, ["CONFIG-SHADOWED-CREDS"])["CONFIG-SHADOWED-CREDS"][0]
    assert r.status is Status.WARN and "awsAuthRefresh" in r.message
    assert '"awsAuthRefresh"' in r.remediation


def test_expired_keys_without_session_storage_fail(guidance: sc.Scenario, run_checks_on) -> None:
    guidance.helper_config.write_text(guidance.helper_config.read_text().replace('"session"', '"keyring"'))
    _session_keys(guidance, "2001-01-01T00:00:00Z")
    r = run_checks_on(guidance, ["CONFIG-SHADOWED-CREDS"])["CONFIG-SHADOWED-CREDS"][0]
    assert r.status is Status.FAIL and "expired" in r.message


def test_env_keys_beside_aws_profile_warn(guidance: sc.Scenario, run_checks_on) -> None:
    guidance.env.update(AWS_ACCESS_KEY_ID="AKIAEXAMPLEEXAMPLE01", AWS_SECRET_ACCESS_KEY=sc.FAKE_SECRET)
    r = run_checks_on(guidance, ["CONFIG-SHADOWED-CREDS"])["CONFIG-SHADOWED-CREDS"][0]
    assert r.status is Status.WARN and "AWS_PROFILE" in r.message


def test_relative_program_on_path_warns(guidance: sc.Scenario, run_checks_on) -> None:
    guidance.env["PATH"] = f"{guidance.helper_path.parent}:{guidance.env['PATH']}"
    sc.write(
        guidance.aws_config,
        "[profile ClaudeCode]\ncredential_process = credential-process --profile "
        "ClaudeCode\nregion = us-east-1\n",
    )
    r = run_checks_on(guidance, ["CONFIG-CREDENTIAL-PROCESS"])["CONFIG-CREDENTIAL-PROCESS"][0]
    assert r.status is Status.WARN and str(guidance.helper_path) in r.remediation


def test_sso_profile_is_judged_as_an_sso_profile(guidance: sc.Scenario, run_checks_on) -> None:
    # an IAM Identity Center profile has no credential_process by design: never advise adding one (issue 14)
    sc.write(
        guidance.aws_config, "[profile ClaudeCode]\nsso_session = s\nsso_account_id = 1\nregion = us-east-1\n"
    )
    r = run_checks_on(guidance, ["CONFIG-PROFILE"])["CONFIG-PROFILE"][0]
    assert r.status is Status.FAIL and "no [sso-session s] section" in r.message
    assert "credential_process" not in r.remediation
    sc.write(
        guidance.aws_config,
        "[profile ClaudeCode]\nsso_session = s\nsso_account_id = 1\nregion = us-east-1\n\n"
        "[sso-session s]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = us-east-1\n",
    )
    r = run_checks_on(guidance, ["CONFIG-PROFILE"])["CONFIG-PROFILE"][0]
    assert r.status is Status.FAIL and "missing sso_role_name" in r.message
    assert "credential_process" not in r.remediation


def test_a_broken_settings_file_errors_only_its_check(guidance: sc.Scenario, run_checks_on) -> None:
    sc.apply(guidance, "config-malformed-ini")
    res = run_checks_on(guidance, CONFIG)
    assert res["CONFIG-PROFILE"][0].status is Status.FAIL  # neither SDK finds the profile; the line is quoted
    assert res["CONFIG-SETTINGS"][0].status is not Status.ERROR  # settings are still readable


def test_partial_env_keys_warn_with_botocore_error(guidance: sc.Scenario, run_checks_on) -> None:
    guidance.env["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLEEXAMPLE01"
    r = run_checks_on(guidance, ["CONFIG-SHADOWED-CREDS"])["CONFIG-SHADOWED-CREDS"][0]
    assert r.status is Status.WARN and "PartialCredentialsError" in r.message
    assert r.remediation.startswith("Unset AWS_ACCESS_KEY_ID")


def test_nested_keys_in_the_credentials_file_fail(guidance: sc.Scenario, run_checks_on) -> None:
    sc.write(guidance.aws_credentials, "[ClaudeCode]\naws_access_key_id =\n  id = AKIAEXAMPLEEXAMPLE01\n")
    r = run_checks_on(guidance, ["CONFIG-SHADOWED-CREDS"])["CONFIG-SHADOWED-CREDS"][0]
    assert r.status is Status.FAIL and "nested sub-sections" in r.message
    assert r.remediation.startswith("Delete the [ClaudeCode] section")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("which,cid", [("settings", "CONFIG-SETTINGS"), ("aws_config", "CONFIG-PROFILE")])
def test_a_fifo_in_place_of_a_file_errors_without_blocking(
    guidance: sc.Scenario, run_checks_on, which: str, cid: str
) -> None:
    path = getattr(guidance, which)
    path.unlink()
    os.mkfifo(path)  # reading it would block forever: the doctor must not even try
    t0 = time.monotonic()
    res = run_checks_on(guidance, CONFIG, timeout=10.0)
    assert time.monotonic() - t0 < 8.0
    r = res[cid][0]
    assert r.status is Status.ERROR and "is not a regular file" in r.message and str(path) in r.message


def _config_results_unprivileged(s: sc.Scenario) -> list[tuple[str, str, str]]:
    """(id, status, message) of the CONFIG checks, run as this user, or when we are root (root reads
    mode-000 files) in a forked child that drops to nobody. Imports are warmed first: the child may not
    be able to read the interpreter's own files."""
    from ccwb_doctor.app import run_report

    def results() -> list[tuple[str, str, str]]:
        rep = run_report(s.options(), only=CONFIG, env=s.env)
        return [(r.id, r.status.value, r.message) for r in rep.results]

    results()
    if os.geteuid() != 0:
        return results()
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop privileges, run, report through the pipe, never return into pytest
        code = 1
        try:
            os.close(rfd)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            with os.fdopen(wfd, "w") as fh:
                json.dump(results(), fh)
            code = 0
        finally:
            os._exit(code)
    os.close(wfd)
    with os.fdopen(rfd) as fh:
        data = fh.read()
    deadline = time.monotonic() + 60
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError("the unprivileged run did not finish")
        time.sleep(0.05)
    return [tuple(x) for x in json.loads(data)]


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
@pytest.mark.parametrize(
    "which,cid,other",
    [
        ("settings", "CONFIG-SETTINGS", "CONFIG-CREDENTIAL-PROCESS"),
        ("aws_config", "CONFIG-PROFILE", "CONFIG-SETTINGS"),
    ],
)
def test_an_unreadable_file_errors_naming_it_and_the_run_completes(which: str, cid: str, other: str) -> None:
    base = Path(tempfile.mkdtemp(prefix="ccwb-unreadable-", dir="/tmp"))
    try:
        s = sc.guidance_install(base / "home")
        for p in [base, *base.rglob("*")]:  # readable by an unprivileged user, except the one file
            p.chmod(0o755 if p.is_dir() or os.access(p, os.X_OK) else 0o644)
        unreadable = getattr(s, which)
        unreadable.chmod(0o000)
        before = {p: p.stat().st_mtime_ns for p in base.rglob("*")}
        by = {c: (status, msg) for c, status, msg in _config_results_unprivileged(s)}
        assert by[cid][0] == "error", by
        assert "permission denied" in by[cid][1] and str(unreadable) in by[cid][1]
        assert len(by) == 4 and by[other][0] != "error"  # the run completed; other checks still decide
        assert {p: p.stat().st_mtime_ns for p in base.rglob("*")} == before  # nothing written
    finally:
        for p in [base, *base.rglob("*")]:
            p.chmod(0o700)
        shutil.rmtree(base, ignore_errors=True)
