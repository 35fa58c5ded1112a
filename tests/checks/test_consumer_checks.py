"""CONFIG-* verdicts follow the consumers: FAIL when Claude Code breaks, WARN when only the CLI/boto3 does."""

from __future__ import annotations

from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.model import Status

CONFIG = ["CONFIG-PROFILE", "CONFIG-CREDENTIAL-PROCESS", "CONFIG-SHADOWED-CREDS"]


def _cfg(s: sc.Scenario, body: str, *, prefix: str = "") -> None:
    sc.write(s.aws_config, f"{prefix}[profile {s.profile}]\n{body}")


def _line(s: sc.Scenario) -> str:
    return f"credential_process = {s.helper_path} --profile {s.profile}\n"


def test_bom_is_a_warning_naming_the_cli_error(guidance: sc.Scenario, run_checks_on) -> None:
    _cfg(guidance, _line(guidance) + "region = us-east-1\n", prefix="\ufeff")
    res = run_checks_on(guidance, CONFIG)
    prof = res["CONFIG-PROFILE"][0]
    assert prof.status is Status.WARN, prof.message
    assert "no section headers" in prof.message and "get-caller-identity" in prof.message
    cp = res["CONFIG-CREDENTIAL-PROCESS"][0]
    assert cp.status is Status.WARN and "works in Claude Code" in cp.message
    assert cp.evidence["consumers"]["claude-code"]["ok"] is True
    assert cp.evidence["consumers"]["aws-cli"]["source"] == "parse-error"


def test_duplicate_key_warns_later_wins_in_claude_code(guidance: sc.Scenario, run_checks_on) -> None:
    _cfg(guidance, _line(guidance) + _line(guidance) + "region = us-east-1\n")
    res = run_checks_on(guidance, CONFIG)
    assert res["CONFIG-PROFILE"][0].status is Status.WARN
    assert "already exists" in res["CONFIG-PROFILE"][0].message


def test_colon_separator_fails_quoting_the_line(guidance: sc.Scenario, run_checks_on) -> None:
    _cfg(guidance, _line(guidance).replace(" = ", ": ") + "region = us-east-1\n")
    r = run_checks_on(guidance, ["CONFIG-PROFILE"])["CONFIG-PROFILE"][0]
    assert r.status is Status.FAIL, r.message
    assert "Claude Code" in r.message and "credential_process:" in r.message
    assert r.evidence["consumers"]["aws-cli"]["ok"] is True  # botocore's configparser accepts ':'


def test_static_keys_in_the_config_profile_fail_for_claude_code(guidance: sc.Scenario, run_checks_on) -> None:
    _cfg(guidance, _line(guidance) + "aws_access_key_id = AKIAEXAMPLECONFIG01\naws_secret_access_key = x\n")
    r = run_checks_on(guidance, ["CONFIG-SHADOWED-CREDS"])["CONFIG-SHADOWED-CREDS"][0]
    assert r.status is Status.FAIL and "AKIAEXAMPLECONFIG01" in r.message, r.message
    assert r.evidence["consumers"]["aws-cli"]["source"] == "credential_process"  # botocore: process first


def test_aws_default_profile_warns_what_the_cli_shows(guidance: sc.Scenario, run_checks_on) -> None:
    other = f"[profile other]\ncredential_process = {guidance.helper_path} --profile other\n"
    sc.write(
        guidance.aws_config, f"[profile {guidance.profile}]\n{_line(guidance)}region = us-east-1\n{other}"
    )
    guidance.env["AWS_DEFAULT_PROFILE"] = "other"
    r = run_checks_on(guidance, ["CONFIG-SHADOWED-CREDS"])["CONFIG-SHADOWED-CREDS"][0]
    assert r.status is Status.WARN and "AWS_DEFAULT_PROFILE=other" in r.message, r.message


def test_inline_comment_warns_the_cli_passes_other_arguments(guidance: sc.Scenario, run_checks_on) -> None:
    _cfg(guidance, _line(guidance).rstrip("\n") + " # installed by IT\nregion = us-east-1\n")
    r = run_checks_on(guidance, ["CONFIG-CREDENTIAL-PROCESS"])["CONFIG-CREDENTIAL-PROCESS"][0]
    assert r.status is Status.WARN and "different arguments" in r.message, r.message
    assert "'#'" in r.message


def test_tilde_fails_when_judged_for_windows(guidance: sc.Scenario) -> None:
    from ccwb_doctor.app import run_report

    sc.apply(guidance, "tilde-path")
    opts = guidance.options()
    opts.extra["platform"] = "win32"
    res = {r.id: r for r in run_report(opts, only=["CONFIG-CREDENTIAL-PROCESS"], env=guidance.env).results}
    r = res["CONFIG-CREDENTIAL-PROCESS"]
    assert r.status is Status.FAIL and "cmd.exe" in r.message, r.message


def test_healthy_install_lists_both_consumers(guidance: sc.Scenario, run_checks_on) -> None:
    res = run_checks_on(guidance, CONFIG)
    for cid in CONFIG:
        r = res[cid][0]
        assert r.status is Status.PASS, r.message
        assert set(r.evidence["consumers"]) == {"claude-code", "aws-cli"}


def test_consumer_model_is_parsing_not_spawning(guidance: sc.Scenario) -> None:
    """The model adds well under 10 ms to an offline run: it reads two files and spawns nothing."""
    import os
    import time

    from ccwb_doctor.analyzers.clientconfig.consumers import consumers

    env = {**guidance.env, "HOME": str(guidance.home), "AWS_PROFILE": guidance.profile}

    def read(path: str) -> bytes | None:
        return open(path, "rb").read() if os.path.isfile(path) else None  # noqa: SIM115

    def is_exec(path: str) -> bool:
        return os.access(path, os.X_OK)

    consumers(env, "linux", read, is_exec)  # imports
    t0 = time.perf_counter()
    for _ in range(20):
        cc, cli = consumers(env, "linux", read, is_exec)
    per_run = (time.perf_counter() - t0) / 20
    assert cc.helper and cli.helper
    assert per_run < 0.010, f"{per_run * 1000:.1f} ms per evaluation"
