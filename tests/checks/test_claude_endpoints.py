"""The endpoints Claude Code calls (found with the real binary, docs/claude-code-endpoints.md), and
NET-BEDROCK's warning for an endpoint variable it ignores."""

from __future__ import annotations

from pathlib import Path

from ccwb_doctor.analyzers.net import claude_endpoints as ce
from ccwb_doctor.app import run_report
from ccwb_doctor.fixtures.scenarios import Scenario, reference_install
from ccwb_doctor.model import Status

URL = "https://vpce-0a1b.bedrock-runtime.us-east-1.vpce.amazonaws.com"


def test_which_variables_the_client_honours() -> None:
    assert ce.ignored_runtime_vars({"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": URL}) == [
        ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", URL)
    ]
    assert (
        ce.ignored_runtime_vars({"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": URL, "ANTHROPIC_BEDROCK_BASE_URL": URL})
        == []
    )
    assert ce.runtime_env({"AWS_ENDPOINT_URL": "x", "AWS_REGION": "us-east-1"}) == {
        "AWS_REGION": "us-east-1",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
    }
    assert ce.control_endpoint({"AWS_ENDPOINT_URL": "a", "AWS_ENDPOINT_URL_BEDROCK": "b"}) == (
        "b",
        "AWS_ENDPOINT_URL_BEDROCK",
    )
    assert ce.control_endpoint({"AWS_ENDPOINT_URL": "a", "ANTHROPIC_BEDROCK_BASE_URL": "c"})[1] == (
        "ANTHROPIC_BEDROCK_BASE_URL"
    )
    assert ce.control_endpoint({}) is None


def _net_bedrock(s: Scenario, **env: str) -> list[object]:
    doc = s.read_settings()
    doc.setdefault("env", {}).update(env)
    s.write_settings(doc)
    report = run_report(s.options(), only=["NET-BEDROCK"], env=s.env)
    return [r for r in report.results if r.id == "NET-BEDROCK"]


def test_net_bedrock_warns_about_a_variable_claude_code_ignores(tmp_path: Path) -> None:
    s = reference_install(tmp_path / "home")
    results = _net_bedrock(s, AWS_ENDPOINT_URL_BEDROCK_RUNTIME=URL)
    (w,) = [r for r in results if r.status is Status.WARN]
    assert "AWS_ENDPOINT_URL_BEDROCK_RUNTIME" in w.message and "ignores" in w.message
    assert f"ANTHROPIC_BEDROCK_BASE_URL={URL}" in w.remediation
    # with the variable Claude Code honours, nothing to warn about
    results = _net_bedrock(s, ANTHROPIC_BEDROCK_BASE_URL=URL)
    assert not [r for r in results if r.status is Status.WARN]


def test_net_bedrock_warns_about_a_profile_endpoint_url(tmp_path: Path) -> None:
    s = reference_install(tmp_path / "home")
    cfg = s.home / ".aws" / "config"
    cfg.write_text(cfg.read_text("utf-8").rstrip("\n") + f"\nendpoint_url = {URL}\n", "utf-8")
    results = _net_bedrock(s)
    (w,) = [r for r in results if r.status is Status.WARN]
    assert "endpoint_url" in w.message and URL in w.message
