from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccwb_doctor.cli import main
from ccwb_doctor.fixtures import scenarios as sc


def cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ccwb_doctor", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=60,
    )


def test_version_and_checks_catalog() -> None:
    p = cli("--version")
    assert p.returncode == 0 and p.stdout.startswith("ccwb-doctor ")
    p = cli("checks", "--format", "json")
    ids = [c["id"] for c in json.loads(p.stdout)["checks"]]
    assert p.returncode == 0 and "CONFIG-PROFILE" in ids and ids.index("CONFIG-PROFILE") == 0


def test_exit_0_on_healthy_and_1_on_fail(guidance: sc.Scenario) -> None:
    p = cli(
        "--home", str(guidance.home), "--offline", "--only", "config", "--format", "json", env=guidance.env
    )
    doc = json.loads(p.stdout)
    assert p.returncode == 0, doc
    sc.apply(guidance, "missing-program")
    p = cli("run", "--home", str(guidance.home), "--offline", "--only", "config", env=guidance.env)
    assert p.returncode == 1 and "CONFIG-CREDENTIAL-PROCESS" in p.stdout and "fix:" in p.stdout


def test_exit_1_on_error_result(guidance: sc.Scenario) -> None:
    sc.apply(guidance, "settings-malformed")
    p = cli(
        "--home",
        str(guidance.home),
        "--offline",
        "--only",
        "CONFIG-SETTINGS",
        "--format",
        "json",
        env=guidance.env,
    )
    assert p.returncode == 1 and json.loads(p.stdout)["summary"]["error"] == 1


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--only", "NO-SUCH-CHECK"], "unknown check id or area: NO-SUCH-CHECK"),
        (["--trust-policy", "/nonexistent/trust.json"], "/nonexistent/trust.json: no such file"),
        (["--format", "yaml"], "invalid choice"),
        (["--offline", "--live"], "not allowed with"),
        (["--param", "novalue"], "KEY=VALUE"),
    ],
)
def test_exit_2_with_one_line_reason(guidance: sc.Scenario, args: list[str], needle: str) -> None:
    p = cli("--home", str(guidance.home), *args, env=guidance.env)
    assert p.returncode == 2, p.stderr
    assert needle in p.stderr and len(p.stderr.strip().splitlines()) == 1 and p.stdout == ""


def test_missing_home_dir_is_usage_error(tmp_path: Path) -> None:
    assert main(["--home", str(tmp_path / "missing"), "--offline"]) == 2


def test_only_skip_by_area_and_id(guidance: sc.Scenario) -> None:
    p = cli(
        "--home",
        str(guidance.home),
        "--offline",
        "--only",
        "config",
        "--skip",
        "CONFIG-SETTINGS,CONFIG-PROFILE",
        "--format",
        "json",
        env=guidance.env,
    )
    assert [r["id"] for r in json.loads(p.stdout)["results"]] == [
        "CONFIG-CREDENTIAL-PROCESS",
        "CONFIG-SHADOWED-CREDS",
    ]


def test_output_file_written_atomically(guidance: sc.Scenario, tmp_path: Path) -> None:
    out = tmp_path / "r.sarif"
    p = cli(
        "--home",
        str(guidance.home),
        "--offline",
        "--only",
        "config",
        "--format",
        "sarif",
        "--output",
        str(out),
        env=guidance.env,
    )
    assert p.returncode == 0 and p.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"
    assert not [x for x in tmp_path.iterdir() if x.name.startswith(".r.sarif")]  # no temp file left behind


def test_no_color_when_piped(guidance: sc.Scenario) -> None:
    env = {**guidance.env, "FORCE_COLOR": "1"}
    p = cli("--home", str(guidance.home), "--offline", "--only", "config", env=env)
    assert "\x1b[" not in p.stdout


def test_secret_in_environment_never_printed(guidance: sc.Scenario) -> None:
    sc.apply(guidance, "env-keys")
    for fmt in ("text", "json", "markdown", "junit", "sarif"):
        p = cli(
            "--home",
            str(guidance.home),
            "--offline",
            "--only",
            "config",
            "--format",
            fmt,
            "-v",
            env=guidance.env,
        )
        assert sc.FAKE_SECRET not in p.stdout + p.stderr, fmt


def test_main_runs_in_process_without_network(
    guidance: sc.Scenario, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ.pop("NO_COLOR", None)
    code = main(["--home", str(guidance.home), "--offline", "--only", "CONFIG-PROFILE"])
    out = capsys.readouterr().out
    assert code == 0 and "CONFIG-PROFILE" in out
