"""Edge paths of the helper: STS errors, HTTPS IdP, --no-browser, timeouts, keyring storage, durations."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from helper_harness import PROFILE, PY, Helper, assert_credentials, base_env

from ccwb_doctor.fixtures.idp import FixtureIdP
from ccwb_doctor.fixtures.idp_browser import follow_login

STS_ERRORS = {
    "InvalidIdentityToken": (400, "No OpenIDConnect provider found in your account for https://x"),
    "ExpiredTokenException": (
        400,
        "Token expired: current date/time 1 must be before the expiration date/time0",
    ),
    "AccessDenied": (403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    "IDPCommunicationError": (400, "Couldn't retrieve verification key from your identity provider"),
    "RegionDisabledException": (403, "STS is not activated in this region for account:123456789012"),
}


class ErrorSTS:
    """A loopback server answering STS calls with one STS wire-format error (``failures`` times, then
    forwarding to ``upstream`` if set)."""

    def __init__(self) -> None:
        self.code = "AccessDenied"
        self.failures = 10**6
        self.upstream: str | None = None
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.failures <= 0 and outer.upstream:
                    req = urllib.request.Request(
                        outer.upstream + "/", data=data, headers=dict(self.headers), method="POST"
                    )
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        body = resp.read()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                outer.failures -= 1
                status, message = STS_ERRORS[outer.code]
                body = (
                    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                    f"<Code>{outer.code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def error_sts() -> Iterator[ErrorSTS]:
    sts = ErrorSTS()
    yield sts
    sts.server.shutdown()
    sts.server.server_close()


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("InvalidIdentityToken", "IAM OIDC provider exists for"),
        ("ExpiredTokenException", "clock"),
        ("AccessDenied", "trust policy of arn:aws:iam::123456789012:role/BedrockOidcFederatedRole"),
        ("IDPCommunicationError", "publicly reachable"),
        ("RegionDisabledException", "not activated in us-west-2"),
    ],
)
def test_sts_errors_mapped_to_one_line(helper: Helper, error_sts: ErrorSTS, code: str, hint: str) -> None:
    assert_credentials(helper.run())  # cache an ID token first
    helper.run("--clear-cache")
    helper.idp.revoke_refresh_tokens()
    error_sts.code = code
    proc = helper.run(env={"AWS_ENDPOINT_URL_STS": error_sts.url})
    assert proc.returncode != 0 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("ccwb-credential-process: STS AssumeRoleWithWebIdentity failed: " + code)
    assert hint in lines[-1] and "eyJ" not in proc.stderr


def test_https_idp_with_trustme(tmp_path: Path, sts: object) -> None:
    with FixtureIdP(tls=True, path="/") as idp:
        home = tmp_path / "home"
        home.mkdir()
        env = base_env(home) | {
            "AWS_ENDPOINT_URL_STS": sts.url,  # type: ignore[attr-defined]
            "BROWSER": f"{PY} -m ccwb_doctor.fixtures.idp_browser %s",
            "FIXTURE_BROWSER_CAFILE": str(idp.ca_bundle),
            "CCWB_LOGIN_TIMEOUT": "20",
        }
        h = Helper(home, env, idp, sts)  # type: ignore[arg-type]
        h.write_config()
        untrusted = h.run(env={"CCWB_LOGIN_TIMEOUT": "3"})
        assert untrusted.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
        assert_credentials(h.run(env={"CCWB_CA_BUNDLE": str(idp.ca_bundle)}))
        assert h.session()["issuer"] == idp.issuer and idp.issuer.endswith("/")


def test_no_browser_prints_url_and_waits(helper: Helper, spawn) -> None:
    helper.env["BROWSER"] = "/bin/false"
    proc = spawn(
        helper.argv("--no-browser"), env=helper.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    url = ""
    deadline = time.monotonic() + 15
    while "/v1/authorize?" not in url and time.monotonic() < deadline:
        url = proc.stderr.readline().strip()
    redirect = urlsplit(dict(parse_qsl(urlsplit(url).query))["redirect_uri"])
    assert redirect.path == "/callback" and redirect.hostname == "127.0.0.1"  # RFC 8252 §8.3: the IP literal
    idle = socket.create_connection(("127.0.0.1", redirect.port))  # a browser pre-connect that never speaks
    with pytest.raises(OSError):
        socket.create_connection(("::1", redirect.port), timeout=2).close()  # loopback IPv4 only
    for stray, code in (("/callback", 400), ("/callback?utm=x", 400), ("/favicon.ico", 404), ("/", 404)):
        with pytest.raises(urllib.error.HTTPError) as hit:  # strays are answered; the login keeps waiting
            urllib.request.urlopen(f"http://127.0.0.1:{redirect.port}{stray}", timeout=5)
        assert hit.value.code == code
    assert proc.poll() is None
    status, body = follow_login(url)
    idle.close()
    assert status == 200 and "Signed in" in body
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert json.loads(out)["Version"] == 1


def test_login_timeout(helper: Helper) -> None:
    proc = helper.run("--no-browser", env={"CCWB_LOGIN_TIMEOUT": "1"})
    assert proc.returncode != 0 and proc.stdout == "" and "no sign-in callback within 1s" in proc.stderr


def test_idp_refusal_reported(helper: Helper) -> None:
    helper.idp.provider.authorize_error = "access_denied"
    proc = helper.run()
    assert proc.returncode != 0 and "IdP refused the sign-in: access_denied" in proc.stderr


def test_duration_from_profile(helper: Helper) -> None:
    helper.write_config(max_session_duration=7200)
    creds = assert_credentials(helper.run())
    left = (
        datetime.fromisoformat(creds["Expiration"].replace("Z", "+00:00")) - datetime.now(UTC)
    ).total_seconds()
    assert 7000 < left <= 7200


KEYRING_BACKEND = """
import json, os
from keyring.backend import KeyringBackend

class FileKeyring(KeyringBackend):
    priority = 1

    def _load(self):
        try:
            with open(os.environ["TEST_KEYRING_FILE"]) as fh:
                return json.load(fh)
        except OSError:
            return {}

    def _save(self, data):
        with open(os.environ["TEST_KEYRING_FILE"], "w") as fh:
            json.dump(data, fh)

    def get_password(self, service, user):
        return self._load().get(service + "/" + user)

    def set_password(self, service, user, password):
        data = self._load()
        data[service + "/" + user] = password
        self._save(data)

    def delete_password(self, service, user):
        data = self._load()
        data.pop(service + "/" + user)
        self._save(data)
"""


def test_keyring_storage(helper: Helper, tmp_path: Path) -> None:
    # keyring is in the test extras; the backend is a file-backed KeyringBackend selected the way users
    # select one (PYTHON_KEYRING_BACKEND), so the helper's real keyring calls run in its own process.
    import keyring  # noqa: F401 - fail loudly (not skip) if the test extras are incomplete

    (tmp_path / "test_kr_backend_mod.py").write_text(KEYRING_BACKEND)
    store = tmp_path / "keyring.json"
    helper.env |= {
        "PYTHONPATH": str(tmp_path),
        "PYTHON_KEYRING_BACKEND": "test_kr_backend_mod.FileKeyring",
        "TEST_KEYRING_FILE": str(store),
    }
    helper.write_config(credential_storage="keyring")
    creds = assert_credentials(helper.run())
    assert not helper.cache_file.exists() and not helper.refresh_file.exists()  # nothing secret on disk
    entries = json.loads(store.read_text())
    assert set(entries) == {
        f"ccwb-credential-process/{PROFILE}",
        f"ccwb-credential-process/{PROFILE}.refresh",
    }
    assert json.loads(entries[f"ccwb-credential-process/{PROFILE}"])["credentials"] == creds
    assert json.loads(entries[f"ccwb-credential-process/{PROFILE}.refresh"])["refresh_token"]
    assert assert_credentials(helper.run()) == creds and helper.sts.calls == 1
    headers = subprocess.run(
        [PY, "-m", "ccwb_doctor.reference_helper.otel_headers", "--profile", PROFILE],
        env=helper.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert json.loads(headers.stdout)["x-user-email"] == "alice@example.com"  # read from the keyring too
    assert json.loads(helper.run("--explain").stdout)["paths"]["credentials_cache"].startswith("keyring:")
    assert helper.run("--clear-cache").returncode == 0
    assert json.loads(store.read_text()) == {}


def test_stale_cached_id_token_refetched_once(helper: Helper, error_sts: ErrorSTS, moto_url: str) -> None:
    assert_credentials(helper.run())
    session = helper.session()
    session["credentials_exp"] = 0
    helper.cache_file.write_text(json.dumps(session))
    error_sts.code, error_sts.failures, error_sts.upstream = "ExpiredTokenException", 1, moto_url
    tokens = helper.idp.count("token")
    assert_credentials(helper.run(env={"AWS_ENDPOINT_URL_STS": error_sts.url}))
    assert helper.idp.count("token") == tokens + 1  # STS refused the cached token: one refresh, then success
    assert helper.session()["id_token"] != session["id_token"]


def test_lock_timeout_reported(helper: Helper) -> None:
    import fcntl

    assert_credentials(helper.run())
    helper.run("--clear-cache")
    lock = helper.cache_file.with_suffix(".lock")
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        proc = helper.run(env={"CCWB_LOCK_TIMEOUT": "0.5"})
    assert proc.returncode != 0 and proc.stdout == "" and "waiting for another helper process" in proc.stderr


def test_token_endpoint_failure_on_refresh(helper: Helper) -> None:
    assert_credentials(helper.run())
    session = helper.session()
    session["credentials_exp"], session["id_token"] = 0, helper.idp.mint(lifetime=-10)
    helper.cache_file.write_text(json.dumps(session))
    helper.idp.fault, helper.idp.fault_endpoints = "500", {"token"}
    proc = helper.run()
    assert proc.returncode != 0 and proc.stdout == "" and "server_error" in proc.stderr
    assert helper.refresh_file.exists()  # a 500 is not a reason to drop the refresh token
