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
        "CONFIG-HELPER-CACHE",
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


def test_config_run_imports_no_heavy_library(guidance: sc.Scenario) -> None:
    """boto3, httpx, jwt, dns, cryptography, yaml are imported only where a selected check needs them."""
    probe = (
        "import sys, io, contextlib\n"
        "from ccwb_doctor.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['--home', {str(guidance.home)!r}, '--offline', '--only', 'config'])\n"
        "heavy = ('boto3', 'httpx', 'jwt', 'dns', 'cryptography', 'yaml', 'moto', 'cfnlint')\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=guidance.env, timeout=60
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "0 []", p.stdout


def test_version_imports_nothing_but_the_cli() -> None:
    probe = (
        "import sys\nfrom ccwb_doctor.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('ccwb_doctor')))\n"
    )
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert p.stdout.strip().splitlines()[-1] == "['ccwb_doctor', 'ccwb_doctor.cli']", p.stdout + p.stderr


def _run_on_a_tty(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stdout on a real pseudo-terminal; return what it printed (bounded in time)."""
    import pty
    import select
    import time

    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ccwb_doctor", *args],
            stdout=follower,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        os.close(follower)
        chunks: list[bytes] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        proc.wait(timeout=30)
        return b"".join(chunks).decode("utf-8", "replace")
    finally:
        os.close(leader)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_tty_gets_colour_and_no_color_makes_it_plain(guidance: sc.Scenario) -> None:
    args = ["--home", str(guidance.home), "--offline", "--only", "config"]
    env = {k: v for k, v in guidance.env.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    coloured = _run_on_a_tty(args, {**env, "TERM": "xterm-256color"})
    assert "CONFIG-PROFILE" in coloured and "\x1b[" in coloured  # a terminal gets colour
    plain = _run_on_a_tty(args, {**env, "TERM": "xterm-256color", "NO_COLOR": "1"})
    assert "CONFIG-PROFILE" in plain and "\x1b[" not in plain  # NO_COLOR wins even on a terminal
    assert "✓ CONFIG-PROFILE" in plain and "✓ No issues found" in plain


def test_timeout_option_reaches_the_runner(guidance: sc.Scenario) -> None:
    """--timeout SECONDS is the per-check timeout: a hung check becomes one error; the others finish."""
    import threading

    from ccwb_doctor.app import options_from_args, run_report
    from ccwb_doctor.cli import build_parser
    from ccwb_doctor.model import Status, ok
    from ccwb_doctor.registry import Registry, check

    args = build_parser().parse_args(["run", "--home", str(guidance.home), "--offline", "--timeout", "0.4"])
    options = options_from_args(args)
    assert options.timeout == 0.4
    reg = Registry()
    reg._discovered = True
    release = threading.Event()
    check("T-HANG", title="t", area="config", remediation="r", registry=reg)(
        lambda f: release.wait(20) and ok("late")
    )
    check("T-FINE", title="t", area="config", remediation="r", registry=reg)(lambda f: ok(f.profile_name))
    try:
        report = run_report(options, env=guidance.env, registry=reg)
    finally:
        release.set()
    hang, fine = report.results
    assert hang.status is Status.ERROR and hang.message == "timed out after 0.4 s"
    assert fine.status is Status.PASS and fine.message == "ClaudeCode"
    assert report.exit_code == 1


def test_in_process_main_leaves_the_cycle_collector_as_it_found_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A short command runs with the collector off; called in-process (argv given) it freezes nothing and
    turns the collector back on, so an embedding program or a test session keeps collecting."""
    import gc

    from ccwb_doctor.cli import main

    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    assert main(["checks", "--format", "json"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.disable()
    try:
        main(["checks"])
        assert not gc.isenabled()  # left off if it was off
    finally:
        gc.enable()
