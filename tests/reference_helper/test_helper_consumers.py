"""The helper as its consumers see it: boto3 via ~/.aws/config, the hot path's imports, otel headers."""

from __future__ import annotations

import json
import subprocess

from helper_harness import PROFILE, PY, Helper, assert_credentials

HEAVY = ("boto3", "botocore", "httpx", "jwt", "cryptography")


def test_boto3_credential_process_profile_against_moto(helper: Helper, moto_url: str) -> None:
    aws = helper.home / ".aws"
    aws.mkdir()
    (aws / "config").write_text(
        f"[profile ccwb]\ncredential_process = {PY} -m ccwb_doctor.reference_helper --profile {PROFILE}\nregion = us-west-2\n"
    )
    (aws / "credentials").write_text("")
    script = (
        "import boto3, json; s = boto3.Session(profile_name='ccwb');"
        "print(json.dumps(s.client('sts').get_caller_identity()))"
    )
    env = {**helper.env, "AWS_ENDPOINT_URL": moto_url, "AWS_ENDPOINT_URL_STS": helper.sts.url}
    proc = subprocess.run([PY, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    ident = json.loads(proc.stdout)
    assert ident["Account"] == "123456789012"
    assert "assumed-role/BedrockOidcFederatedRole/alice@example.com" in ident["Arn"]
    assert helper.sts.calls == 1  # the helper's call; get_caller_identity is not AssumeRoleWithWebIdentity


def test_hot_path_imports_no_heavy_library(helper: Helper) -> None:
    assert_credentials(helper.run())
    proc = helper.run(env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert_credentials(proc)
    imported = {
        line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")
    }
    assert "ccwb_doctor.reference_helper.cli" in imported
    top = {name.split(".")[0] for name in imported}
    assert not top & set(HEAVY), top & set(HEAVY)
    assert not {"urllib.request", "ssl", "http.server", "xml.etree.ElementTree"} & imported
    # and the refresh path does use the verifier (so the test above is meaningful)
    helper.run("--clear-cache")
    proc = helper.run(env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert "jwt" in {line.split("|")[-1].strip() for line in proc.stderr.splitlines()}


def test_otel_headers_from_cached_id_token(helper: Helper) -> None:
    cmd = [PY, "-m", "ccwb_doctor.reference_helper.otel_headers", "--profile", PROFILE]
    empty = subprocess.run(cmd, env=helper.env, capture_output=True, text=True, timeout=30)
    assert empty.returncode == 0 and json.loads(empty.stdout) == {} and "no cached ID token" in empty.stderr
    assert_credentials(helper.run())
    proc = subprocess.run(cmd, env=helper.env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    headers = json.loads(proc.stdout)
    assert headers["x-user-email"] == "alice@example.com"
    assert headers["x-department"] == "engineering" and headers["x-team-id"] == "platform"
    assert headers["x-cost-center"] == "CC-1001" and headers["x-user-id"].startswith("00u")
    # stdout is the protocol channel to Claude Code: the collector's load balancer validates the ID token
    token = helper.session()["id_token"]
    assert headers["Authorization"] == f"Bearer {token}"
    assert "eyJ" not in proc.stderr
    # a collector that must not see the token: opt out in config.json
    helper.write_config(otel_send_id_token=False)
    quiet = json.loads(subprocess.run(cmd, env=helper.env, capture_output=True, text=True, timeout=30).stdout)
    assert "Authorization" not in quiet and quiet["x-user-email"] == "alice@example.com"
    # an expired cached token is not sent (the collector would refuse it); the reason goes to stderr
    helper.write_config()
    session = helper.session()
    session["id_token"] = helper.idp.mint(lifetime=-10)
    helper.cache_file.write_text(json.dumps(session))
    stale = subprocess.run(cmd, env=helper.env, capture_output=True, text=True, timeout=30)
    assert "Authorization" not in json.loads(stale.stdout) and "has expired" in stale.stderr
