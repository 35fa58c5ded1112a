"""How Claude Code runs awsAuthRefresh / awsCredentialExport / otelHeadersHelper (measured with the real
Claude Code 2.1.332: /bin/sh -c with the settings env merged; otelHeadersHelper a bare file runs directly)."""

from __future__ import annotations

import json
from pathlib import Path

from ccwb_doctor.analyzers.clientconfig.consumers_settings import settings_command
from ccwb_doctor.app import run_report
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.model import Status

HELPER = "/home/dev/claude-code-with-bedrock/credential-process"


def _exec(p: str) -> bool:
    return p == HELPER


def test_shell_expands_tilde_and_settings_env_variables() -> None:
    env = {"HOME": "/home/dev", "CCWB": "/home/dev/claude-code-with-bedrock"}
    c = settings_command(
        "awsAuthRefresh", "~/claude-code-with-bedrock/credential-process -p X", env, "linux", _exec
    )
    assert c.ok and c.run[:2] == ["/bin/sh", "-c"] and c.argv == [HELPER, "-p", "X"]
    c = settings_command("awsCredentialExport", "$CCWB/credential-process", env, "linux", _exec)
    assert c.ok and c.argv == [HELPER]
    assert "10 minutes" in c.how() and "SessionToken" in c.how()


def test_unquoted_space_and_windows_tilde_fail() -> None:
    env = {"HOME": "/home/dev"}
    c = settings_command("awsAuthRefresh", "/home/dev/my tools/refresh", env, "linux", _exec)
    assert c.ok is False and c.argv == ["/home/dev/my", "tools/refresh"]
    c = settings_command(
        "awsAuthRefresh", "~/claude-code-with-bedrock/credential-process", env, "win32", _exec
    )
    assert c.ok is False and "cmd.exe" in c.error


def test_otel_helper_bare_file_runs_without_a_shell() -> None:
    c = settings_command("otelHeadersHelper", HELPER, {}, "linux", _exec, lambda p: p == HELPER)
    assert c.ok and c.run == [HELPER] and "directly" in c.how()
    c = settings_command("otelHeadersHelper", "/opt/h", {}, "linux", _exec, lambda p: p == "/opt/h")
    assert c.ok is False and "EACCES" in (c.error or "")


def _settings(s: sc.Scenario):  # type: ignore[no-untyped-def]
    (r,) = run_report(s.options(), only=["CONFIG-SETTINGS"], env=s.env).results
    return r


def test_config_settings_fails_when_claude_code_cannot_run_the_refresh(guidance: sc.Scenario) -> None:
    doc = guidance.read_settings()
    doc["awsAuthRefresh"] = "~/nowhere/credential-process --profile ClaudeCode"
    guidance.write_settings(doc)
    r = _settings(guidance)
    assert r.status is Status.FAIL, r.message
    assert "cannot run awsAuthRefresh" in r.message and "/bin/sh -c" in r.message
    how = r.evidence["settings_commands"]["awsAuthRefresh"]["how"]
    assert "settings env merged" in how and "3 minutes" in how


def test_config_settings_passes_and_explains_a_runnable_refresh(guidance: sc.Scenario) -> None:
    r = _settings(guidance)
    assert r.status is Status.PASS, r.message
    assert r.evidence["settings_commands"]["awsAuthRefresh"]["ok"] is True


def test_otel_config_fails_on_a_helper_the_shell_cannot_find(guidance: sc.Scenario, tmp_path: Path) -> None:
    doc = guidance.read_settings()
    doc["otelHeadersHelper"] = f"{tmp_path}/my tools/otel-helper"
    sc.write(tmp_path / "my tools" / "otel-helper", "#!/bin/sh\necho '{}'\n", mode=0o755)
    guidance.write_settings(doc)
    (r,) = run_report(guidance.options(), only=["OTEL-CONFIG"], env=guidance.env).results
    # the whole line is an existing file: Claude Code runs it directly, the space does not matter
    assert "otelHeadersHelper cannot be run" not in r.message, r.message
    doc["otelHeadersHelper"] = f"{tmp_path}/my tools/otel-helper --profile X"
    guidance.write_settings(doc)
    (r,) = run_report(guidance.options(), only=["OTEL-CONFIG"], env=guidance.env).results
    assert r.status is Status.FAIL and "/bin/sh -c" in r.message, r.message
    assert json.dumps(r.evidence)  # serialisable


def test_consumer_model_does_not_import_botocore_compat(guidance: sc.Scenario) -> None:
    """Speed (issue 15: <= 10 ms): botocore.compat pulls in urllib3 (~35 ms); the shlex split the model needs
    comes from botocore_lite (botocore's own function, compiled from its source)."""
    import subprocess
    import sys

    code = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from ccwb_doctor.facts import Facts\n"
        "from ccwb_doctor.options import RunOptions\n"
        "f = Facts(RunOptions(home=Path(sys.argv[1]), mode='offline'), env=json.loads(sys.argv[2]))\n"
        "for n in ('claude_settings', 'paths', 'capture', 'aws_config'): f.peek(n)\n"
        "before = 'botocore.compat' in sys.modules\n"
        "cc, cli = f.consumers; f.settings_commands\n"
        "assert cli.source == 'credential_process', cli\n"
        "print(before, 'botocore.compat' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(guidance.home), json.dumps(guidance.env)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.split() == ["False", "False"], out.stdout + out.stderr
