"""`ccwb-doctor fix --format json`: the plan, apply and undo documents follow ``ccwb-doctor/fix/v1``
(validated against ``ccwb_doctor/schema/fix-v1.json``), say the same as the text output, and leak no
secret: the redaction property of the report formats, run over fix plans that remove planted keys."""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwb_doctor.cli import main
from ccwb_doctor.commands.fix import fix_doc, fix_text, undo_text
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.repair import make_plan
from ccwb_doctor.repair_doc import render_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from test_redaction_props import KINDS, make_secret  # noqa: E402

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "ccwb_doctor/schema/fix-v1.json").read_text("utf-8")
)


def _valid(doc: dict) -> dict:
    jsonschema.validate(doc, SCHEMA)
    return doc


def test_plan_apply_undo_documents_follow_the_schema(tmp_path: Path) -> None:
    s = sc.apply(sc.guidance_install(tmp_path / "home"), "expired-stanza")
    sc.apply(s, "not-executable")
    plan = _valid(fix_doc(s.options(), apply=False, env=s.env))
    assert plan["action"] == "plan" and plan["exit_code"] == 1 and plan["applied"] is None
    ids = {f["id"] for f in plan["findings"]}
    assert {"CONFIG-SHADOWED-CREDS", "CONFIG-CREDENTIAL-PROCESS", "BINARY-EXEC"} <= ids
    by_target = {c["target"]: c for c in plan["changes"]}
    mode = by_target[str(s.helper_path)]
    assert (mode["mode_before"], mode["mode_after"], mode["content_changes"]) == ("644", "755", False)
    # both checks asked for the same chmod: one change, two findings
    assert sorted(mode["findings"]) == ["BINARY-EXEC", "CONFIG-CREDENTIAL-PROCESS"]
    assert "-aws_access_key_id = EXPIRED" in by_target[str(s.aws_credentials)]["diff"]
    for f in plan["findings"]:
        assert all(0 <= i < len(plan["changes"]) for i in f["changes"])
    # the text output is the same document rendered
    text, code = fix_text(s.options(), apply=False, env=s.env)
    assert code == 1 and text.split("\n")[:-1] == render_text(plan).split("\n")[:-1]

    applied = _valid(fix_doc(s.options(), apply=True, env=s.env))
    assert applied["action"] == "apply" and applied["exit_code"] == 0
    assert {w["path"] for w in applied["applied"]["written"]} == {str(s.aws_credentials), str(s.helper_path)}
    assert {r["after"] for r in applied["applied"]["recheck"]} == {"pass"}
    assert applied["applied"]["undo_command"] == f"ccwb-doctor fix --undo --home {s.home}"

    undone = json.loads(undo_text(s.home, fmt="json")[0])
    _valid(undone)
    assert undone["action"] == "undo" and sorted(undone["undone"]["restored"]) == sorted(
        [str(s.aws_credentials), str(s.helper_path)]
    )
    nothing = json.loads(undo_text(s.home, fmt="json")[0])
    assert _valid(nothing)["undone"] is None and nothing["exit_code"] == 0


def test_cli_json_output_and_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = sc.apply(sc.guidance_install(tmp_path / "home"), "expired-stanza")
    assert main(["fix", "--home", str(s.home), "--offline", "--format", "json"]) == 1
    doc = _valid(json.loads(capsys.readouterr().out))
    assert doc["findings"][0]["id"] == "CONFIG-SHADOWED-CREDS"
    out = tmp_path / "fix.json"
    assert main(["fix", "--home", str(s.home), "--offline", "--format", "json", "--output", str(out)]) == 1
    assert _valid(json.loads(out.read_text()))["changes"][0]["target"] == str(s.aws_credentials)
    assert main(["fix", "--home", str(s.home), "--offline", "--format", "markdown"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    clean = sc.guidance_install(tmp_path / "clean")
    assert main(["fix", "--home", str(clean.home), "--offline", "--format", "json"]) == 0
    assert _valid(json.loads(capsys.readouterr().out))["findings"] == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.randoms(use_true_random=True),
    st.lists(st.sampled_from(KINDS), min_size=2, max_size=4),
    st.sampled_from(["config", "credentials", "split"]),
)
def test_no_secret_in_a_fix_plan_or_apply_reaches_any_format(
    r: random.Random, kinds: list[str], where: str
) -> None:
    """Static keys shadowing the helper (secrets in the lines the fix removes, and in the context lines of
    a key the fix keeps) never reach the text or JSON output, whole or by their first 24 characters; the
    raw diff holds them, so the property is not vacuous."""
    secrets = [make_secret(k, r) for k in kinds]
    sec, tok, extra = secrets[0], secrets[1], secrets[2:]
    with tempfile.TemporaryDirectory() as tmp:
        s = sc.guidance_install(Path(tmp) / "home")
        keys = f"aws_access_key_id = AKIA{r.randrange(10**15):016d}\naws_secret_access_key = {sec}\n"
        keys += f"aws_session_token = {tok}\n"
        cp = f"[profile {s.profile}]\ncredential_process = {s.helper_path} --profile {s.profile}\nregion = us-east-1\n"
        other = "".join(f"\n[other{i}]\naws_secret_access_key = {x}\n" for i, x in enumerate(extra))
        if where == "config":
            sc.write(s.aws_config, cp + keys + other)
            sc.write(s.aws_credentials, "")
        elif where == "credentials":
            sc.write(s.aws_credentials, f"[{s.profile}]\n{keys}{other}")
        else:  # the JS SDK merges the two halves: both shadow the helper together
            sc.write(s.aws_config, cp + f"aws_secret_access_key = {sec}\naws_session_token = {tok}\n")
            sc.write(s.aws_credentials, f"[{s.profile}]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\n{other}")
        plan = make_plan(s.options(), env=s.env)
        raw = "\n".join(c.diff() for c in plan.changes)
        assert sec in raw and tok in raw, plan.render()
        outputs = [
            fix_text(s.options(), apply=False, env=s.env)[0],
            fix_text(s.options(), apply=False, env=s.env, fmt="json")[0],
            fix_text(s.options(), apply=True, env=s.env, fmt="json")[0],
        ]
        outputs.append(undo_text(s.home)[0])
        for out in outputs:
            for x in secrets:
                assert x not in out and x[:24] not in out, (where, out)
