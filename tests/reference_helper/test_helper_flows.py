"""End-to-end flows of ccwb-credential-process against the fixture IdP and moto STS (real processes)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from datetime import UTC, datetime

import pytest
from helper_harness import ROLE_ARN, Helper, assert_credentials


def expire_credentials(h: Helper, id_token_too: bool = False) -> None:
    session = h.session()
    session["credentials"]["Expiration"] = "2001-01-01T00:00:00Z"
    session["credentials_exp"] = 978307200
    if id_token_too:
        session["id_token_exp"] = 0
        session["id_token"] = h.idp.mint(lifetime=-10)
    h.cache_file.write_text(json.dumps(session))


def test_first_login_then_cached(helper: Helper) -> None:
    first = helper.run()
    creds = assert_credentials(first)
    assert "Sign in" in first.stderr or "browser" in first.stderr
    exp = datetime.fromisoformat(creds["Expiration"].replace("Z", "+00:00"))
    assert 3000 < (exp - datetime.now(UTC)).total_seconds() <= 3600
    assert helper.idp.count("token") == 1 and helper.sts.calls == 1
    assert os.stat(helper.cache_file).st_mode & 0o777 == 0o600
    assert os.stat(helper.refresh_file).st_mode & 0o777 == 0o600
    session = helper.session()
    assert session["id_token"].count(".") == 2 and session["id_token_exp"] > time.time()
    assert session["credentials"] == creds
    # cached path: no IdP or STS traffic at all
    before = sum(helper.idp.request_counts.values())
    assert assert_credentials(helper.run()) == creds
    assert sum(helper.idp.request_counts.values()) == before and helper.sts.calls == 1
    assert helper.run("--check-expiration").returncode == 0


def test_cached_id_token_skips_idp(helper: Helper) -> None:
    assert_credentials(helper.run())
    expire_credentials(helper)
    assert helper.run("--check-expiration").returncode == 1
    tokens = helper.idp.count("token")
    assert_credentials(helper.run())
    assert helper.idp.count("token") == tokens and helper.sts.calls == 2


def test_refresh_path_uses_refresh_token(helper: Helper) -> None:
    assert_credentials(helper.run())
    old_refresh = json.loads(helper.refresh_file.read_text())["refresh_token"]
    expire_credentials(helper, id_token_too=True)
    helper.env["BROWSER"] = "/bin/false"  # a login would fail: only the refresh grant can succeed
    proc = helper.run("--no-browser", env={"CCWB_LOGIN_TIMEOUT": "2"})
    assert_credentials(proc)
    assert helper.idp.count("authorize") == 1 and helper.idp.count("token") == 2
    assert json.loads(helper.refresh_file.read_text())["refresh_token"] != old_refresh  # rotated
    assert old_refresh not in proc.stderr


def test_rotated_refresh_token_survives_a_refreshed_id_token_that_fails(helper: Helper) -> None:
    """The IdP rotates the refresh token and hands back an expired ID token (its clock is behind): the
    helper fails, but keeps the new refresh token, so once the IdP is fixed no new sign-in is needed."""
    assert_credentials(helper.run())
    old_refresh = json.loads(helper.refresh_file.read_text())["refresh_token"]
    expire_credentials(helper, id_token_too=True)
    helper.idp.fault = "expired"
    helper.env["BROWSER"] = "/bin/false"  # any sign-in attempt would fail
    failed = helper.run("--no-browser", env={"CCWB_LOGIN_TIMEOUT": "2"})
    assert failed.returncode != 0 and failed.stdout == "" and "expired ID token" in failed.stderr
    kept = json.loads(helper.refresh_file.read_text())["refresh_token"]
    assert kept != old_refresh  # the rotated one, not the spent one
    helper.idp.fault = None
    assert_credentials(helper.run("--no-browser", env={"CCWB_LOGIN_TIMEOUT": "2"}))
    assert helper.idp.count("authorize") == 1  # still only the first sign-in


def test_revoked_refresh_token_falls_back_to_login(helper: Helper) -> None:
    assert_credentials(helper.run())
    expire_credentials(helper, id_token_too=True)
    helper.idp.revoke_refresh_tokens()
    proc = helper.run()
    assert_credentials(proc)
    assert "refused (invalid_grant)" in proc.stderr
    assert helper.idp.count("authorize") == 2 and helper.idp.count("token") == 3


def test_device_flow(helper: Helper, spawn) -> None:
    proc = spawn(
        helper.argv("--device"), env=helper.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    line = ""
    deadline = time.monotonic() + 15
    while "user_code=" not in line and time.monotonic() < deadline:
        line = proc.stderr.readline()
    url = line.split("open ", 1)[1].strip()
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as resp:
        assert resp.status == 200
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert json.loads(out)["Version"] == 1
    assert helper.idp.count("authorize") == 0 and helper.idp.count("device_authorization") == 1


def test_device_flow_denied(helper: Helper, spawn) -> None:
    proc = spawn(
        helper.argv("--device"), env=helper.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    line = ""
    deadline = time.monotonic() + 15
    while "confirm the code:" not in line and time.monotonic() < deadline:
        line = proc.stderr.readline()
    assert helper.idp.approve_device(line.rsplit(":", 1)[1].strip(), deny=True)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and out == "" and "access_denied" in err
    assert helper.sts.calls == 0 and not helper.cache_file.exists()


def test_state_mismatch_rejected(helper: Helper) -> None:
    # the mismatched callback is ignored (never redeemed); the login waits on, and its timeout says why
    proc = helper.run(env={"FIXTURE_BROWSER_STATE": "forged-state", "CCWB_LOGIN_TIMEOUT": "3"})
    assert proc.returncode != 0 and proc.stdout == ""
    assert (
        "1 callback whose state does not match this sign-in" in proc.stderr and "was ignored" in proc.stderr
    )
    assert helper.idp.count("token") == 0 and helper.sts.calls == 0 and not helper.cache_file.exists()


def test_favicon_request_tolerated(helper: Helper) -> None:
    assert_credentials(helper.run(env={"FIXTURE_BROWSER_FAVICON": "1"}))


def test_bad_signature_refused(helper: Helper) -> None:
    helper.idp.fault = "bad-signature"
    proc = helper.run()
    assert proc.returncode != 0 and proc.stdout == ""
    assert "signature does not verify" in proc.stderr and len(proc.stderr.strip().splitlines()) <= 3
    assert "eyJ" not in proc.stderr
    assert helper.sts.calls == 0 and not helper.cache_file.exists()


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("wrong-aud", "aud does not contain"),
        ("wrong-iss", "iss is not"),
        ("expired", "expired ID token"),
        ("wrong-nonce", "nonce does not match the login request"),
    ],
)
def test_invalid_id_tokens_refused(helper: Helper, fault: str, words: str) -> None:
    helper.idp.fault = fault
    proc = helper.run()
    assert proc.returncode != 0 and proc.stdout == "" and words in proc.stderr, proc.stderr
    assert "eyJ" not in proc.stderr
    assert helper.sts.calls == 0 and not helper.cache_file.exists() and not helper.refresh_file.exists()


def test_ec_signed_id_token_verified(helper: Helper) -> None:
    helper.idp.rotate("ES256")  # the RSA key is retired: only the EC key can verify
    assert_credentials(helper.run())
    header = json.loads(base64.urlsafe_b64decode(helper.session()["id_token"].split(".")[0] + "=="))
    assert header["alg"] == "ES256" and header["kid"] in {k["kid"] for k in helper.idp.jwks()["keys"]}


def test_idp_down_reports_reason(helper: Helper) -> None:
    helper.idp.fault = "500"
    proc = helper.run()
    assert proc.returncode != 0 and proc.stdout == "" and "HTTP 500" in proc.stderr


def test_print_id_token_and_explain_and_clear(helper: Helper) -> None:
    token = helper.run("--print-id-token")
    assert token.returncode == 0 and token.stdout.strip().count(".") == 2
    assert helper.sts.calls == 0
    explain = json.loads(helper.run("--explain").stdout)
    assert explain["region"] == "us-west-2" and explain["role_arn"] == ROLE_ARN
    assert explain["issuer"] == helper.idp.issuer and explain["client_id"] == helper.idp.client_id
    assert explain["storage"] == "session" and explain["paths"]["credentials_cache"] == str(helper.cache_file)
    assert explain["endpoints"]["sts"] == helper.sts.url + "/"
    cleared = helper.run("--clear-cache")
    assert cleared.returncode == 0 and cleared.stdout == ""
    assert not helper.cache_file.exists() and not helper.refresh_file.exists()
    assert not list(helper.cache_file.parent.glob("*.json"))  # no EXPIRED placeholder written
    assert not (helper.home / ".aws").exists()  # nor a stanza in ~/.aws/credentials shadowing the helper
    again = helper.run("--clear-cache")  # nothing left: still fine, still silent on stdout
    assert again.returncode == 0 and again.stdout == "" and "cleared 0 cache entries" in again.stderr
    version = helper.run("--version")
    assert version.returncode == 0 and version.stdout.startswith("ccwb-credential-process ")


def test_bad_arguments_and_missing_config(helper: Helper) -> None:
    proc = helper.run("--bogus")
    assert proc.returncode == 2 and proc.stdout == "" and "unknown argument" in proc.stderr
    proc = helper.run("--profile", "Nope")
    assert proc.returncode == 2 and "profile 'Nope' not found" in proc.stderr
    (helper.home / "claude-code-with-bedrock" / "config.json").write_text("{not json")
    proc = helper.run()
    assert proc.returncode == 2 and proc.stdout == "" and "cannot read" in proc.stderr
