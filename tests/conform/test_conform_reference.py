"""The reference deployment passes conform, and mutated copies fail with the right check ids."""

from __future__ import annotations

import json
from pathlib import Path

from conform_support import (
    CLAIMS,
    HELPER_CONFIG,
    ISSUER,
    SERVICE_ACCOUNT,
    SETTINGS,
    by_id,
    conform,
    statuses,
    write_json,
)


def _run(root: Path, *extra: str) -> tuple[int, dict]:
    return conform(
        str(root / "templates"),
        str(root / "identities.claims.json"),
        str(root / "client"),
        "--param-file",
        str(root / "params.json"),
        *extra,
    )


def test_reference_deployment_passes(deployment: Path) -> None:
    rc, rep = _run(deployment)
    bad = [(r["id"], r["message"]) for r in rep["results"] if r["status"] in ("fail", "error", "warn")]
    assert (rc, bad) == (0, [])
    st = statuses(rep)
    for cid in (
        "CONFORM-PARSE",
        "CONFORM-PARAMS",
        "CONFORM-OIDC-CONDITION",
        "CONFORM-TRUST",
        "CONFORM-SESSION-DURATION",
        "CONFORM-COLLECTOR-AUTH",
        "CONFORM-LOG-RETENTION",
        "CONFORM-STORAGE-PROTECTION",
        "CONFORM-LAKE-PARTITIONS",
        "CONFORM-LAKE-QUERIES",
        "CONFORM-BEDROCK-REGION-CONDITION",
        "CONFORM-REGION-LIST",
        "CONFORM-MODEL-PERMISSION",
        "CONFORM-SETTINGS",
    ):
        assert st[cid] == {"pass"}, cid
    trust = {r["evidence"]["identity"]: r["message"] for r in by_id(rep, "CONFORM-TRUST")}
    assert "denied as required (TRUST-AUDIENCE" in trust["other-app"]
    perm = by_id(rep, "CONFORM-MODEL-PERMISSION")
    matrix = [r for r in perm if not r["evidence"]["location"]["path"].endswith("settings.json")]
    assert len(matrix) == 13  # commercial models in the table
    (pinned,) = [r for r in perm if r not in matrix]  # the model the settings file pins, from its region
    assert pinned["evidence"]["subject"].endswith(
        "settings.json ANTHROPIC_MODEL -> " + str(deployment / "templates" / "auth.yaml") + ":FederatedRole"
    )
    assert "us.anthropic.claude-sonnet-4-6 from us-east-1: all" in pinned["message"]
    # the same note as the doctor's MODEL-PERMISSION: Claude Code's other calls, which only degrade
    assert "Claude Code's other calls (as recorded for Claude Code 2.1.332" in pinned["message"]
    assert "ListInferenceProfiles allowed" in pinned["message"]
    for cid in ("CONFORM-REGION-ALIGNMENT", "CONFORM-MODEL-ID"):
        assert st[cid] == {"pass"} and by_id(rep, cid)[-1]["evidence"]["location"]["line"] == 6, cid


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_aud_condition_removed(deployment: Path) -> None:
    _replace(
        deployment / "templates" / "auth.yaml",
        '"StringEquals": {"${Host}:aud": "${OidcClientId}"${GroupClause}}',
        '"StringEquals": {"aws:FederatedProvider": "${ProviderArn}"${GroupClause}}',
    )
    rc, rep = _run(deployment)
    assert rc == 1
    (f,) = by_id(rep, "CONFORM-OIDC-CONDITION", "fail")
    assert "without an aud/sub condition" in f["message"]
    assert f["evidence"]["location"]["path"].endswith("auth.yaml")
    lines = (deployment / "templates" / "auth.yaml").read_text().splitlines()
    assert lines[f["evidence"]["location"]["line"] - 1].strip().startswith("AssumeRolePolicyDocument")
    # the provider's client-id list still rejects the other app's token
    assert "fail" not in statuses(rep)["CONFORM-TRUST"]
    assert by_id(rep, "CONFORM-TRUST", "warn")[0]["evidence"]["logic"] == "TRUST-CONDITIONS"


def test_sub_pattern_denies_service_accounts_until_removed(deployment: Path) -> None:
    claims = json.loads(json.dumps(CLAIMS))
    claims["deny"].append(SERVICE_ACCOUNT)
    write_json(deployment / "identities.claims.json", claims)
    rc, rep = _run(deployment, "--param", "SubjectPattern=dev-*")
    assert rc == 0
    (r,) = [r for r in by_id(rep, "CONFORM-TRUST") if r["evidence"]["identity"] == "service-account"]
    assert "denied as required (TRUST-CONDITIONS" in r["message"]
    rc, rep = _run(deployment)
    assert rc == 1
    (f,) = by_id(rep, "CONFORM-TRUST", "fail")
    assert f["evidence"]["identity"] == "service-account" and "must be denied" in f["message"]
    assert f["evidence"]["location"]["path"].endswith("identities.claims.json")


def test_destination_region_dropped(deployment: Path) -> None:
    tpl = deployment / "templates" / "auth.yaml"
    _replace(tpl, "eu-south-1,eu-south-2,", "eu-south-1,")
    rc, rep = _run(deployment)
    assert rc == 1
    lists = by_id(rep, "CONFORM-REGION-LIST", "fail")
    assert lists and all("eu-south-2" in r["message"] for r in lists)
    assert all(r["evidence"]["location"]["line"] > 100 for r in lists)
    denied = {
        r["evidence"]["subject"].rsplit(" ", 1)[1] for r in by_id(rep, "CONFORM-MODEL-PERMISSION", "fail")
    }
    assert {"sonnet-4-6", "haiku-4-5"} <= denied
    assert "opus-4-1" not in denied  # us only: unaffected


def test_http_listener_forwarding(deployment: Path) -> None:
    _replace(
        deployment / "templates" / "monitoring.yaml",
        "        - Type: redirect\n          RedirectConfig: {Protocol: HTTPS, Port: '443', StatusCode: HTTP_301}",
        "        - Type: forward\n          TargetGroupArn: !Ref CollectorTargetGroup",
    )
    rc, rep = _run(deployment)
    assert rc == 1
    (f,) = by_id(rep, "CONFORM-COLLECTOR-AUTH", "fail")
    assert "HttpListener (HTTP:80)" in f["evidence"]["subject"]
    text = (deployment / "templates" / "monitoring.yaml").read_text().splitlines()
    assert text[f["evidence"]["location"]["line"] - 1].strip().startswith("DefaultActions")


def test_tag_session_missing_while_idp_sends_tags(deployment: Path) -> None:
    claims = json.loads(json.dumps(CLAIMS))
    claims["allow"][0]["claims"]["https://aws.amazon.com/tags"] = {"principal_tags": {"team": ["ai"]}}
    write_json(deployment / "identities.claims.json", claims)
    rc, rep = _run(deployment)
    assert rc == 1
    (f,) = by_id(rep, "CONFORM-TAGSESSION", "fail")
    assert "sts:TagSession" in f["message"] and f["evidence"]["identity"] == "developer"
    rc2, rep2 = _run(deployment, "--param", "EnableSessionTags=true")
    assert rc2 == 0, [r["message"] for r in rep2["results"] if r["status"] == "fail"]
    assert statuses(rep2)["CONFORM-TAGSESSION"] == {"pass"}


def test_session_duration_above_the_role_cap(deployment: Path) -> None:
    rc, rep = _run(deployment, "--param", "MaxSessionDuration=3600")
    assert rc == 1
    (f,) = by_id(rep, "CONFORM-SESSION-DURATION", "fail")
    assert "43200" in f["message"] and "3600" in f["message"]


def test_settings_placeholder_fails(deployment: Path) -> None:
    write_json(
        deployment / "client" / "settings.json",
        {
            "env": {"CLAUDE_CODE_USE_BEDROCK": "1", "AWS_PROFILE": "ClaudeCode", "AWS_REGION": "us-east-1"},
            "awsAuthRefresh": "__CREDENTIAL_PROCESS_PATH__ --profile ClaudeCode",
        },
    )
    rc, rep = _run(deployment)
    assert rc == 1
    (f,) = by_id(rep, "CONFORM-SETTINGS", "fail")
    assert "__CREDENTIAL_PROCESS_PATH__" in f["message"]


def test_issuer_param_differs_from_claims_iss(deployment: Path) -> None:
    rc, rep = _run(deployment, "--param", f"OidcIssuerUrl={ISSUER}/")
    assert rc == 1
    fails = by_id(rep, "CONFORM-TRUST", "fail")
    assert (
        fails and fails[0]["evidence"]["logic"] == "TRUST-ISSUER" and "trailing slash" in fails[0]["message"]
    )


def test_deployment_limited_to_some_models_is_judged_on_them(deployment: Path) -> None:
    """ModelIds=sonnet-4-6 with its regions: the other models are out of scope (skip, not fail) until a
    scope file requires one of them."""
    from ccwb_doctor.reference_infra.deploy import bedrock_regions, model_ids

    regions = bedrock_regions(["sonnet-4-6"], ["eu-west-1", "eu-central-1"], ["eu"])
    settings = json.loads(json.dumps(SETTINGS))
    settings["env"].update(AWS_REGION="eu-central-1", ANTHROPIC_MODEL="eu.anthropic.claude-sonnet-4-6")
    write_json(deployment / "client" / "settings.json", settings)
    limit = (
        "--param",
        f"ModelIds={model_ids(['sonnet-4-6'])[0]}",
        "--param",
        f"AllowedBedrockRegions={','.join(regions)}",
    )
    rc, rep = _run(deployment, *limit)
    assert rc == 0, [(r["id"], r["message"]) for r in rep["results"] if r["status"] in ("fail", "error")]
    perm = {r["evidence"]["subject"].rsplit(" ", 1)[1]: r for r in by_id(rep, "CONFORM-MODEL-PERMISSION")}
    assert perm["sonnet-4-6"]["status"] == "pass"
    assert (
        perm["opus-4-6"]["status"] == "skip"
        and "out of this deployment's scope" in perm["opus-4-6"]["message"]
    )
    assert statuses(rep)["CONFORM-REGION-LIST"] == {"pass"}
    write_json(
        deployment / "client" / "need.scope.json",
        {"models": ["sonnet-4-6", "haiku-4-5"], "geographies": ["eu"]},
    )
    rc, rep = _run(deployment, *limit)
    assert rc == 1
    (f,) = by_id(rep, "CONFORM-MODEL-PERMISSION", "fail")
    assert f["evidence"]["subject"].endswith(" haiku-4-5") and "foundation model" in f["message"]


def test_settings_pinned_models_are_checked_against_region_and_policy(deployment: Path) -> None:
    """The doctor's REGION-ALIGNMENT, MODEL-ID and MODEL-PERMISSION logic over a settings file."""
    settings = json.loads(json.dumps(SETTINGS))
    settings["env"].update(
        AWS_REGION="eu-west-1",
        ANTHROPIC_MODEL="eu.anthropic.claude-sonnet-4-6",
        ANTHROPIC_DEFAULT_HAIKU_MODEL="us.anthropic.claude-haiku-4-5-20251001-v1:0",
        ANTHROPIC_DEFAULT_OPUS_MODEL="eu.anthropic.claude-opus-9",
    )
    write_json(deployment / "client" / "settings.json", settings)
    _replace(deployment / "templates" / "auth.yaml", "eu-south-1,eu-south-2,", "eu-south-1,")
    rc, rep = _run(deployment)
    assert rc == 1
    lines = (deployment / "client" / "settings.json").read_text().splitlines()

    def at(r: dict) -> str:
        return lines[r["evidence"]["location"]["line"] - 1].strip()

    (region,) = by_id(rep, "CONFORM-REGION-ALIGNMENT", "fail")
    assert "us.anthropic.claude-haiku-4-5-20251001-v1:0 cannot be used from eu-west-1" in region["message"]
    assert at(region).startswith('"ANTHROPIC_DEFAULT_HAIKU_MODEL"')
    ids = {r["evidence"]["subject"].rsplit(" ", 1)[1]: r for r in by_id(rep, "CONFORM-MODEL-ID")}
    assert ids["ANTHROPIC_MODEL"]["status"] == "pass"
    assert (
        ids["ANTHROPIC_DEFAULT_OPUS_MODEL"]["status"] == "warn"
        and "not a Claude model" in ids["ANTHROPIC_DEFAULT_OPUS_MODEL"]["message"]
    )
    pinned = [
        r for r in by_id(rep, "CONFORM-MODEL-PERMISSION") if "settings.json" in r["evidence"]["subject"]
    ]
    (denied,) = [r for r in pinned if r["status"] == "fail"]
    assert "ANTHROPIC_MODEL ->" in denied["evidence"]["subject"] and "eu-south-2" in denied["message"]
    assert at(denied).startswith('"ANTHROPIC_MODEL"')


def test_parameter_outside_its_bounds_is_reported(deployment: Path) -> None:
    rc, rep = _run(deployment, "--param", "MaxSessionDuration=50000")
    assert rc == 1
    (f,) = by_id(rep, "CONFORM-PARAMS", "fail")
    assert "MaxSessionDuration='50000' is outside MaxValue 43200" in f["message"]
    assert f["evidence"]["location"]["path"].endswith("auth.yaml")


def test_conform_uses_no_network_and_prints_no_secret(deployment: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import socket

    from ccwb_doctor.cli import main

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("conform must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    secret = "GOCSPX-conformTestSecret0123456789"
    cfg = json.loads(json.dumps(HELPER_CONFIG))
    cfg["profiles"]["ClaudeCode"]["client_secret"] = secret
    write_json(deployment / "client" / "config.json", cfg)
    rc, rep = _run(deployment)
    assert rc == 0 and secret not in json.dumps(rep)
    for fmt in ("text", "markdown", "junit", "sarif"):
        argv = ["conform", str(deployment / "client"), str(deployment / "templates")]
        assert main([*argv, "--param-file", str(deployment / "params.json"), "--format", fmt]) == 0
        assert secret not in capsys.readouterr().out, fmt
