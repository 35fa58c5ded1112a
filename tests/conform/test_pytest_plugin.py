"""The pytest plugin, run for real: a fresh `python -m pytest` process in a temp folder loads it through
the installed ``pytest11`` entry point (no -p flag, no conftest), exactly as a platform team's CI would."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points
from pathlib import Path

from conform_support import CLAIMS, HELPER_CONFIG, PARAMS, SETTINGS, by_id, conform, write_json

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "test_conformance.py"
WORKFLOW = REPO / "docs" / "examples" / "github-actions-conform.yml"


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _inputs(root: Path) -> list[str]:
    return [
        "--ccwb-conform",
        "templates",
        "--ccwb-conform",
        "identities.claims.json",
        "--ccwb-conform",
        "client",
        "--ccwb-param-file",
        "params.json",
    ]


def _junit_cases(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    return {f"{c.get('classname')}::{c.get('name')}": c for c in root.iter("testcase")}


def test_entry_point_registers_the_plugin() -> None:
    (ep,) = [e for e in entry_points(group="pytest11") if e.value == "ccwb_doctor.pytest_plugin"]
    assert ep.name == "ccwb_doctor"


def test_one_item_per_check_and_subject_for_the_reference_deployment(deployment: Path) -> None:
    rc, report = conform(
        str(deployment / "templates"),
        str(deployment / "identities.claims.json"),
        str(deployment / "client"),
        "--param-file",
        str(deployment / "params.json"),
    )
    assert rc == 0
    r = _pytest(deployment, *_inputs(deployment), "--junitxml", "junit.xml", "-rs")
    assert r.returncode == 0, r.stdout[-3000:]
    n = len(report["results"])
    assert re.search(rf"^collected {n} items$", r.stdout, re.M), r.stdout[:500]
    cases = _junit_cases(deployment / "junit.xml")
    assert len(cases) == n
    expected = {
        f"{x['id']}[{x['evidence']['subject']}]" if x["evidence"].get("subject") else x["id"]
        for x in report["results"]
    }
    names = {c.get("name") for c in cases.values()}
    # the plugin names subjects with paths relative to where pytest was started
    assert {n.replace(str(deployment) + "/", "") for n in expected} == names
    assert "CONFORM-TRUST[templates/auth.yaml:FederatedRole <- developer (allow)]" in names
    assert "CONFORM-MODEL-PERMISSION[templates/auth.yaml:FederatedRole sonnet-4-6]" in names
    skipped = [c for c in cases.values() if c.find("skipped") is not None]
    passed = [c for c in cases.values() if c.find("skipped") is None and c.find("failure") is None]
    assert len(skipped) == len(by_id(report, "CONFORM-TAGSESSION", "skip")) == 1
    assert len(passed) == sum(1 for x in report["results"] if x["status"] == "pass")
    # a skip points at the input, not at the plugin's source
    assert "pytest_plugin.py" not in r.stdout


def test_mutated_template_fails_the_right_items_with_file_line_and_fix(deployment: Path) -> None:
    tpl = deployment / "templates" / "auth.yaml"
    tpl.write_text(
        tpl.read_text().replace(
            '"StringEquals": {"${Host}:aud": "${OidcClientId}"${GroupClause}}',
            '"StringEquals": {"aws:FederatedProvider": "${ProviderArn}"${GroupClause}}',
        )
    )
    mon = deployment / "templates" / "monitoring.yaml"
    mon.write_text(
        mon.read_text().replace(
            "        - Type: redirect\n          RedirectConfig: {Protocol: HTTPS, Port: '443', StatusCode: HTTP_301}",
            "        - Type: forward\n          TargetGroupArn: !Ref CollectorTargetGroup",
        )
    )
    r = _pytest(deployment, *_inputs(deployment), "--junitxml", "junit.xml")
    assert r.returncode == 1, r.stdout[-3000:]
    failed = sorted(re.findall(r"^FAILED (\S+)", r.stdout, re.M))
    assert failed == [
        "ccwb-conform::CONFORM-COLLECTOR-AUTH[templates/monitoring.yaml:HttpListener",
        "ccwb-conform::CONFORM-OIDC-CONDITION[templates/auth.yaml:FederatedRole]",
    ]
    line = next(i for i, t in enumerate(tpl.read_text().splitlines(), 1) if "AssumeRolePolicyDocument" in t)
    assert f"at templates/auth.yaml:{line}\nfix: Add" in r.stdout
    cases = _junit_cases(deployment / "junit.xml")
    bad = [c for c in cases.values() if c.find("failure") is not None]
    assert len(bad) == 2
    # the allowed identity still passes (warned: the provider's client-id list is all that checks aud)
    assert "CONFORM-TRUST: developer is allowed; TRUST-CONDITIONS" in r.stdout


def test_keyword_selection_and_usage_errors(deployment: Path) -> None:
    # the two listeners (CollectorLogGroup and CollectorTask items of other checks match COLLECTOR alone)
    r = _pytest(deployment, *_inputs(deployment), "-q", "-k", "COLLECTOR and AUTH")
    assert r.returncode == 0 and re.search(r"2 passed, \d+ deselected", r.stdout), r.stdout[-2000:]
    r = _pytest(deployment, "--ccwb-conform", "no-such-folder")
    assert r.returncode == 4 and "--ccwb-conform: no such file or folder: no-such-folder" in r.stderr
    r = _pytest(deployment, "--ccwb-conform", "templates", "--ccwb-param", "novalue")
    assert r.returncode == 4 and "KEY=VALUE" in r.stderr


def _workflow_commands() -> dict[str, list[str]]:
    """The `run:` commands of the documented workflow's conform and pytest steps, ready to exec here."""
    import shlex

    import yaml

    doc = yaml.safe_load(WORKFLOW.read_text())
    steps = {s["id"]: s for s in doc["jobs"]["conform"]["steps"] if "id" in s}
    out = {}
    for sid in ("conform", "pytest"):
        argv = shlex.split(steps[sid]["run"])
        argv[0] = {"python": sys.executable, "ccwb-doctor": str(Path(sys.executable).parent / "ccwb-doctor")}[
            argv[0]
        ]
        out[sid] = argv
    return out


def _platform_repo(root: Path) -> Path:
    """The repository layout the workflow and the example test assume."""
    from ccwb_doctor.reference_infra.deploy import TEMPLATES_DIR

    shutil.copytree(TEMPLATES_DIR, root / "infra")
    write_json(root / "infra" / "params" / "prod.json", PARAMS)
    (root / "conformance").mkdir()
    shutil.copy(EXAMPLE, root / "conformance" / "test_conformance.py")
    write_json(root / "conformance" / "identities.claims.json", CLAIMS)
    write_json(root / "client" / "config.json", HELPER_CONFIG)
    write_json(root / ".claude" / "settings.json", SETTINGS)
    return root


def test_documented_workflow_and_example_run_as_written(tmp_path: Path) -> None:
    """docs/examples: the workflow's conform and pytest commands, over the layout it documents, with the
    example conformance test (fixtures ccwb_evaluator, ccwb_token_factory, ccwb_conform)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    repo = _platform_repo(tmp_path / "repo")
    cmds = _workflow_commands()

    def run(sid: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmds[sid], cwd=repo, env=env, capture_output=True, text=True, timeout=180)

    r = run("conform")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    sarif = json.loads((repo / "ccwb-conform.sarif").read_text())
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for res in sarif["runs"][0]["results"]
        for loc in res.get("locations", [])
    }
    assert {"infra/auth.yaml", ".claude/settings.json", "client/config.json"} <= uris  # repo-relative
    r = run("pytest")
    assert r.returncode == 0, r.stdout[-3000:]
    cases = _junit_cases(repo / "ccwb-conform-junit.xml")
    assert sum(1 for k in cases if k.startswith("conformance.test_conformance::")) == 3
    assert "CONFORM-SETTINGS[.claude/settings.json]" in {c.get("name") for c in cases.values()}

    auth = repo / "infra" / "auth.yaml"
    auth.write_text(auth.read_text().replace("eu-south-1,eu-south-2,", "eu-south-1,"))
    r = run("conform")
    assert r.returncode == 1
    sarif = json.loads((repo / "ccwb-conform.sarif").read_text())
    rules = {res["ruleId"] for res in sarif["runs"][0]["results"] if res.get("level") == "error"}
    assert {"CONFORM-REGION-LIST", "CONFORM-MODEL-PERMISSION"} <= rules
    r = run("pytest")
    assert r.returncode == 1
    failed = set(re.findall(r"^FAILED (\S+)", r.stdout, re.M))
    assert {
        "conformance/test_conformance.py::test_sonnet_from_frankfurt_reaches_every_destination",
        "conformance/test_conformance.py::test_the_templates_conform",
    } <= failed
    assert any(f.startswith("ccwb-conform::CONFORM-REGION-LIST[infra/auth.yaml") for f in failed)
    assert "1 of 7 legs denied (region(s) eu-south-2)" in r.stdout


def test_fixtures_in_process(
    pytestconfig, ccwb_evaluator, ccwb_token_factory, ccwb_conform, deployment
) -> None:  # type: ignore[no-untyped-def]
    """The plugin is loaded in this very session (entry point) and its fixtures work here too."""
    assert pytestconfig.pluginmanager.has_plugin("ccwb_doctor")
    auth = deployment / "templates" / "auth.yaml"
    iss, cid = PARAMS["OidcIssuerUrl"], PARAMS["OidcClientId"]
    token = ccwb_token_factory.mint(iss=iss, aud=cid, sub="dev-alice")
    assert token.count(".") == 2
    assert ccwb_evaluator.trust(auth, token, params=PARAMS).allowed
    denied = ccwb_evaluator.trust(auth, ccwb_token_factory.claims(iss=iss, aud="x"), params=PARAMS)
    assert not denied.allowed and denied.reason == "implicit-deny"
    narrowed = ccwb_evaluator.trust(
        auth, {"iss": iss, "aud": cid, "sub": "s"}, params={**PARAMS, "SubjectPattern": "dev-*"}
    )
    assert not narrowed.allowed
    assert ccwb_evaluator.model(
        auth, "global.anthropic.claude-sonnet-4-6", "us-east-1", params=PARAMS
    ).allowed
    off = ccwb_evaluator.model(
        auth,
        "global.anthropic.claude-sonnet-4-6",
        "us-east-1",
        params={**PARAMS, "AllowGlobalInference": "false"},
    )
    assert not off.allowed and "global" in off.summary()
    policy = deployment / "policy.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}]}))  # fmt: skip
    assert ccwb_evaluator.allows(
        policy, "bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/x"
    ).allowed
    assert not ccwb_evaluator.allows([policy], "bedrock:ListFoundationModels", "*").allowed
    run = ccwb_conform(deployment / "templates", param_files=[deployment / "params.json"])
    assert run.results and not run.failed and run.by_id("CONFORM-OIDC-CONDITION")[0]["status"] == "pass"


def test_importing_the_plugin_loads_nothing_else_of_ccwb_doctor() -> None:
    """pytest imports the plugin in every session once installed: it must stay cheap."""
    code = (
        "import sys, pytest; before = set(sys.modules); import ccwb_doctor.pytest_plugin; "
        "print(sorted(m for m in set(sys.modules) - before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "['ccwb_doctor', 'ccwb_doctor.pytest_plugin']"


def test_conform_fixture_names_a_missing_path(ccwb_conform, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    with pytest.raises(FileNotFoundError, match="no such file or folder: .*nope"):
        ccwb_conform(tmp_path / "nope")
