"""Bad inputs give one clear finding each and the rest of the run continues; outputs point at file:line."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from conform_support import by_id, conform, statuses
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.conform.engine import classify_json, collect, read_params_file

GOOD = """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Federated: arn:aws:iam::111122223333:oidc-provider/idp.example.com}
            Action: sts:AssumeRoleWithWebIdentity
"""
YAML_ERROR = "Resources:\n  Role:\n    Type: AWS::IAM::Role\n   Properties: [unclosed\n"
UNKNOWN_FN = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName:\n        Fn::Frobnicate: [a, b]\n"
NEEDS_PARAM = "Parameters:\n  Name: {Type: String}\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties: {TopicName: !Ref Name}\n"


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "inputs"
    root.mkdir()
    (root / "good.yaml").write_text(GOOD)
    (root / "broken.yaml").write_text(YAML_ERROR)
    (root / "unknown-fn.yaml").write_text(UNKNOWN_FN)
    (root / "needs-param.yaml").write_text(NEEDS_PARAM)
    (root / "bad.claims.json").write_text('{"allow": [')
    (root / "notes.txt").write_text("not an input")
    (root / "workflow.yml").write_text("on: push\njobs: {}\n")
    return root


def test_each_bad_file_is_one_finding_and_the_rest_continues(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    rc, rep = conform(str(root))
    assert rc == 1
    errors = {Path(r["evidence"]["location"]["path"]).name: r for r in by_id(rep, "CONFORM-PARSE", "error")}
    assert set(errors) == {"broken.yaml", "unknown-fn.yaml", "bad.claims.json"}
    assert errors["broken.yaml"]["evidence"]["location"]["line"] == 4
    assert "Fn::Frobnicate" in errors["unknown-fn.yaml"]["message"]
    assert errors["unknown-fn.yaml"]["evidence"]["location"]["line"] == 6
    assert all("\n" not in r["message"] for r in errors.values())
    (params,) = by_id(rep, "CONFORM-PARAMS", "fail")
    assert params["evidence"]["subject"].endswith("needs-param.yaml") and "Name" in params["message"]
    (oidc,) = by_id(rep, "CONFORM-OIDC-CONDITION")  # the good template is still judged
    assert oidc["status"] == "fail" and oidc["evidence"]["subject"].endswith("good.yaml:Role")


def test_junit_and_sarif_point_at_file_and_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from ccwb_doctor.cli import main

    root = _folder(tmp_path)
    junit = tmp_path / "out.xml"
    assert main(["conform", str(root), "--format", "junit", "--output", str(junit)]) == 1
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    broken = next(c for n, c in cases.items() if "broken.yaml" in n and n.startswith("CONFORM-PARSE"))
    assert broken.get("file", "").endswith("broken.yaml") and broken.get("line") == "4"
    assert broken.find("error") is not None
    sarif = tmp_path / "out.sarif"
    assert main(["conform", str(root), "--format", "sarif", "--output", str(sarif)]) == 1
    doc = json.loads(sarif.read_text())
    locs = [loc["physicalLocation"] for r in doc["runs"][0]["results"] for loc in r.get("locations", [])]
    assert any(
        p["artifactLocation"]["uri"].endswith("good.yaml") and p.get("region", {}).get("startLine") == 5
        for p in locs
    )


def test_missing_path_and_bad_param_are_usage_errors(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from ccwb_doctor.cli import main

    assert main(["conform", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "t.yaml").write_text(GOOD)
    assert main(["conform", str(tmp_path / "t.yaml"), "--param", "novalue"]) == 2


def test_bad_params_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(NEEDS_PARAM)
    (tmp_path / "p.json").write_text("[{]")
    rc, rep = conform(str(tmp_path / "t.yaml"), "--param-file", str(tmp_path / "p.json"))
    assert rc == 1
    assert any("parameters file" in r["message"] for r in by_id(rep, "CONFORM-PARAMS", "error"))


def test_params_file_shapes(tmp_path: Path) -> None:
    f = tmp_path / "p"
    f.write_text('[{"ParameterKey": "A", "ParameterValue": "1"}]')
    assert read_params_file(f) == {"A": "1"}
    f.write_text('{"Parameters": {"A": ["x", "y"], "B": true}}')
    assert read_params_file(f) == {"A": "x,y", "B": "true"}
    f.write_text("# comment\nA=1\nB = two\n")
    assert read_params_file(f) == {"A": "1", "B": "two"}


def test_normal_run_skips_conform_checks(tmp_path: Path) -> None:
    from ccwb_doctor.app import run_report
    from ccwb_doctor.options import OFFLINE, RunOptions

    rep = run_report(RunOptions(home=tmp_path, mode=OFFLINE), only=["conform"], env={})
    assert rep.results and {r.status.value for r in rep.results} == {"skip"}
    assert all("no conform inputs" in r.message for r in rep.results)


def test_scope_file_limits_the_matrix(tmp_path: Path) -> None:
    from ccwb_doctor.reference_infra.deploy import TEMPLATES_DIR

    shutil.copy(TEMPLATES_DIR / "auth.yaml", tmp_path / "auth.yaml")
    (tmp_path / "m.scope.json").write_text(
        json.dumps({"models": ["sonnet-4-6"], "regions": ["eu-west-1"], "geographies": ["eu"]})
    )
    rc, rep = conform(
        str(tmp_path), "--param", "OidcIssuerUrl=https://idp.example.com", "--param", "OidcClientId=c"
    )
    assert rc == 0, statuses(rep)
    (cell,) = by_id(rep, "CONFORM-MODEL-PERMISSION")
    assert cell["evidence"]["cells"] == {"allowed": 1}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(doc=json_values, name=st.sampled_from(["a.json", "x.claims.json", "y.scope.json", "settings.json"]))
def test_any_json_file_never_crashes_the_loader(tmp_path_factory, doc, name) -> None:  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("h")
    (d / name).write_text(json.dumps(doc))
    assert classify_json(doc, name) in {
        "claims",
        "scope",
        "template",
        "policy",
        "role",
        "settings",
        "helper-config",
        "unknown",
    }
    got = collect([d])
    assert (
        len(got.problems)
        + sum(
            got.counts()[k]
            for k in ("templates", "policies", "helper_configs", "settings", "claims", "ignored")
        )
        + (got.scope is not None)
        >= 1
    )


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_any_params_text_parses_or_raises_value_error(tmp_path_factory, text: str) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path_factory.mktemp("p") / "params"
    f.write_text(text, encoding="utf-8")
    try:
        got = read_params_file(f)
    except ValueError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in got.items())


def test_project_claude_settings_in_a_hidden_folder_are_read(tmp_path: Path) -> None:
    """`conform .` on a repository reads .claude/settings.json but not .git or other hidden folders."""
    settings = {"env": {"CLAUDE_CODE_USE_BEDROCK": "1", "AWS_REGION": "us-east-1"}}
    settings["awsAuthRefresh"] = "__CREDENTIAL_PROCESS_PATH__ --profile ClaudeCode"
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.json").write_text(json.dumps(settings))
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "broken.json").write_text("{")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "t.yaml").write_text(YAML_ERROR)
    rc, rep = conform(str(tmp_path))
    assert rc == 1
    (f,) = by_id(rep, "CONFORM-SETTINGS", "fail")
    assert f["evidence"]["location"]["path"].endswith(".claude/settings.json")
    assert not by_id(rep, "CONFORM-PARSE", "error")
