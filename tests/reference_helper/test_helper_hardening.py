"""Issue 16, the helper's part: its files, its processes and its OAuth edges.

Every test drives the helper as a real subprocess against real loopback servers (the fixture IdP,
moto STS behind a counting proxy, or a purpose-built hostile server), with bounded waits.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from helper_harness import PROFILE, PY, CountingProxy, Helper, assert_credentials, base_env

from ccwb_doctor.fixtures.idp import FixtureIdP
from ccwb_doctor.fixtures.idp_browser import follow_login

OTEL = [PY, "-m", "ccwb_doctor.reference_helper.otel_headers"]


# ---- helpers -------------------------------------------------------------------------------------
class RecordingIdP(FixtureIdP):
    """The fixture IdP, recording every token request's grant type and refresh token; optionally
    answering refresh grants without an id_token (OpenID Connect Core §12.2 allows that)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grants: list[tuple[str, str | None]] = []
        self.omit_refresh_id_token = False

    def token_response(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        self.grants.append((str(form.get("grant_type")), form.get("refresh_token")))
        out = super().token_response(form, basic)
        if self.omit_refresh_id_token and form.get("grant_type") == "refresh_token":
            out.pop("id_token", None)
        return out


def make_helper(tmp_path: Path, idp: FixtureIdP, sts: CountingProxy, **extra: str) -> Helper:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = base_env(home) | {
        "AWS_ENDPOINT_URL_STS": sts.url,
        "BROWSER": f"{PY} -m ccwb_doctor.fixtures.idp_browser %s",
        "CCWB_LOGIN_TIMEOUT": "20",
        **extra,
    }
    h = Helper(home, env, idp, sts)
    h.write_config()
    return h


def expire(h: Helper, id_token_too: bool = True) -> dict[str, Any]:
    session = h.session()
    session["credentials_exp"] = 0
    session["credentials"]["Expiration"] = "2001-01-01T00:00:00Z"
    if id_token_too:
        session["id_token"] = h.idp.mint(lifetime=-10)
        session["id_token_exp"] = 0
    h.cache_file.write_text(json.dumps(session))
    h.cache_file.chmod(0o600)
    return session


def start_no_browser(h: Helper, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start a --no-browser login and return (process, authorization URL from its stderr)."""
    proc = subprocess.Popen(
        h.argv("--no-browser"),
        env={**h.env, "BROWSER": "/bin/false", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    url, deadline = "", time.monotonic() + 20
    while "response_type=code" not in url and time.monotonic() < deadline:
        url = proc.stderr.readline().strip()
    assert "response_type=code" in url, f"the helper printed no authorization URL: {url!r}"
    return proc, url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def authorize_location(url: str) -> str:
    """What the IdP redirects the browser to (the callback URL with code and state)."""
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as hit:
        opener.open(url, timeout=10)
    assert hit.value.code == 302
    return str(hit.value.headers["Location"])


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(dict(parse_qsl(parts.query)) | params)))


def injected_session(h: Helper) -> dict[str, Any]:
    session = h.session()
    session["credentials"] = session["credentials"] | {
        "AccessKeyId": "ASIAINJECTEDBYANOTHER",
        "SecretAccessKey": "injected-secret",
        "SessionToken": "injected-session-token",
        "Expiration": "2099-01-01T00:00:00Z",
    }
    session["credentials_exp"] = 4070908800
    return session


# ---- 1. temp files -------------------------------------------------------------------------------
def test_planted_temp_symlink_is_not_followed(helper: Helper, tmp_path: Path) -> None:
    """The old temp name was ``.<file>.<pid>.tmp``: plant a symlink there for the helper's own pid."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    cache_dir = helper.cache_file.parent
    cache_dir.mkdir(parents=True, mode=0o700)
    script = (
        "import os, sys\n"
        f"d, victim = {str(cache_dir)!r}, {str(victim)!r}\n"
        "for n in ('ClaudeCode.json', 'ClaudeCode.refresh.json'):\n"
        "    os.symlink(victim, os.path.join(d, '.' + n + '.' + str(os.getpid()) + '.tmp'))\n"
        "from ccwb_doctor.reference_helper.cli import main\n"
        "sys.exit(main([]))\n"
    )
    proc = subprocess.run([PY, "-c", script], env=helper.env, capture_output=True, text=True, timeout=60)
    creds = assert_credentials(proc)
    assert victim.read_text() == "precious"  # neither the ID token nor the AWS keys went there
    for path in (helper.cache_file, helper.refresh_file):
        assert not path.is_symlink() and path.stat().st_mode & 0o777 == 0o600
    assert helper.session()["credentials"] == creds


# ---- 2. cache files of another owner, with loose modes, or symlinked ------------------------------
def test_loose_or_foreign_cache_refused(helper: Helper, tmp_path: Path) -> None:
    good = assert_credentials(helper.run())
    bad = injected_session(helper)

    def plant(mode: int, owner: int | None = None) -> None:
        helper.cache_file.unlink()
        helper.cache_file.write_text(json.dumps(bad))
        helper.cache_file.chmod(mode)
        if owner is not None:
            os.chown(helper.cache_file, owner, -1)

    cases: list[tuple[str, Any]] = [("looser than 0600", lambda: plant(0o644))]
    if os.getuid() == 0:  # only root can give a file to another user
        cases.append(("owned by uid 65534", lambda: plant(0o600, 65534)))

    def symlinked() -> None:
        elsewhere = tmp_path / "elsewhere.json"
        elsewhere.write_text(json.dumps(bad))
        elsewhere.chmod(0o600)
        helper.cache_file.unlink()
        helper.cache_file.symlink_to(elsewhere)

    cases.append(("it is a symlink", symlinked))
    for why, setup in cases:
        setup()
        proc = helper.run()
        creds = assert_credentials(proc)
        assert creds["AccessKeyId"] not in ("ASIAINJECTEDBYANOTHER", good["AccessKeyId"]), why
        refusals = [line for line in proc.stderr.splitlines() if "ignoring" in line]
        assert len(refusals) == 1 and why in refusals[0] and "--clear-cache" in refusals[0], proc.stderr
        assert refusals[0].startswith("ccwb-credential-process: ignoring " + str(helper.cache_file))
        st = helper.cache_file.lstat()  # replaced by a private file of ours
        assert not helper.cache_file.is_symlink() and st.st_mode & 0o777 == 0o600 and st.st_uid == os.getuid()
    # the refresh token file is held to the same rule
    expire(helper)
    helper.refresh_file.chmod(0o640)
    proc = helper.run()
    assert_credentials(proc)
    assert f"ignoring {helper.refresh_file}: its mode is 0640, looser than 0600" in proc.stderr
    # the otel headers helper refuses too (it would hand an injected token to the collector)
    helper.cache_file.chmod(0o644)
    headers = subprocess.run(OTEL, env=helper.env, capture_output=True, text=True, timeout=30)
    assert headers.returncode == 0 and json.loads(headers.stdout) == {}
    assert headers.stderr.startswith(f"ccwb-otel-headers: ignoring {helper.cache_file}")


# ---- 3. FIFOs and devices --------------------------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_cache_never_blocks(helper: Helper) -> None:
    helper.cache_file.parent.mkdir(parents=True, mode=0o700)
    os.mkfifo(helper.cache_file, 0o600)
    os.mkfifo(helper.refresh_file, 0o600)
    for argv in (helper.argv("--version"), [*OTEL, "--version"]):
        proc = subprocess.run(argv, env=helper.env, capture_output=True, text=True, timeout=20)
        assert proc.returncode == 0 and "0." in proc.stdout and proc.stderr == ""
    headers = subprocess.run(OTEL, env=helper.env, capture_output=True, text=True, timeout=20)
    assert headers.returncode == 0 and json.loads(headers.stdout) == {}
    assert "not a regular file" in headers.stderr
    check = helper.run("--check-expiration", timeout=20)
    assert check.returncode == 1 and "not a regular file" in check.stderr
    proc = helper.run(timeout=30)  # refuses both FIFOs, signs in, and replaces them with private files
    assert_credentials(proc)
    assert proc.stderr.count("not a regular file") == 2
    assert helper.cache_file.is_file() and helper.refresh_file.is_file()
    # a FIFO planted at the lock path: one line, promptly, never a hang
    helper.run("--clear-cache")
    lock = helper.cache_file.with_suffix(".lock")
    lock.unlink()
    os.mkfifo(lock, 0o600)
    proc = helper.run(timeout=20)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1].endswith("is not a regular file: remove it and run again")


# ---- 4. one deadline per run; waiters reuse the holder's failure ------------------------------------
class SilentServer:
    """Accepts TCP connections and never answers (or, with ``drip``, sends headers and then one byte
    every ``drip`` seconds forever)."""

    def __init__(self, drip: float | None = None) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.drip = drip
        self.stopping = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(conn)
            if self.drip:
                threading.Thread(target=self._dribble, args=(conn,), daemon=True).start()

    def _dribble(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"
            )
            while not self.stopping.wait(self.drip or 1):
                conn.sendall(b" ")
        except OSError:
            return

    def close(self) -> None:
        self.stopping.set()
        for conn in self.conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_concurrent_runs_against_a_silent_idp_end_together(
    helper: Helper, silent: SilentServer, spawn
) -> None:
    helper.write_config(oidc_issuer_url=silent.url + "/")
    env = {**helper.env, "CCWB_HTTP_TIMEOUT": "3", "CCWB_LOGIN_TIMEOUT": "20"}
    start = time.monotonic()
    procs = [
        spawn(helper.argv(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(10)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    wall = time.monotonic() - start
    # one attempt (3 s) for the whole burst; serially it would be >= 10 x 3 s (10 x 15 s before)
    assert wall < 15, f"10 concurrent runs took {wall:.1f}s"
    reused = 0
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 1 and out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "no answer within 3s" in lines[0], err
        reused += "another helper process just failed this way" in lines[0]
    assert reused >= 5  # the waiters took the holder's failure instead of each retrying in turn
    # a later run (it did not wait for that failure) tries again itself
    again = helper.run(env={"CCWB_HTTP_TIMEOUT": "1"}, timeout=30)
    assert again.returncode == 1 and "another helper process" not in again.stderr


def test_one_deadline_bounds_a_slow_drip_idp(helper: Helper) -> None:
    drip = SilentServer(drip=0.3)  # every read succeeds in time; only a whole-run deadline ends it
    try:
        helper.write_config(oidc_issuer_url=drip.url + "/")
        start = time.monotonic()
        proc = helper.run(env={"CCWB_HTTP_TIMEOUT": "1", "CCWB_LOGIN_TIMEOUT": "2"}, timeout=60)
        wall = time.monotonic() - start
    finally:
        drip.close()
    assert proc.returncode == 1 and proc.stdout == ""
    assert "overall time limit" in proc.stderr and wall < 15, (wall, proc.stderr)


# ---- 5. OAuth edges -------------------------------------------------------------------------------
def test_ca_bundle_adds_to_system_store_and_sts_uses_aws_ca_bundle(tmp_path: Path, moto_url: str) -> None:
    """CCWB_CA_BUNDLE (the IdP's private CA) is added to the system store; STS trusts the system store
    (here SSL_CERT_FILE stands in for it) or AWS_CA_BUNDLE, never CCWB_CA_BUNDLE."""
    import trustme

    idp_ca, public_ca = trustme.CA(), trustme.CA()
    public_pem = tmp_path / "public-ca.pem"
    public_ca.cert_pem.write_to_path(str(public_pem))

    def server_ctx(ca: trustme.CA) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(ctx)
        return ctx

    public_sts = CountingProxy(moto_url, tls=server_ctx(public_ca))
    private_sts = CountingProxy(moto_url, tls=server_ctx(idp_ca))
    try:
        with FixtureIdP(tls=idp_ca, path="/") as idp:
            assert idp.ca_bundle
            h = make_helper(
                tmp_path,
                idp,
                public_sts,
                FIXTURE_BROWSER_CAFILE=idp.ca_bundle,
                SSL_CERT_FILE=str(public_pem),
                CCWB_CA_BUNDLE=idp.ca_bundle,
            )
            assert_credentials(h.run())  # IdP via the added bundle, STS via the "system" store
            assert public_sts.calls == 1
            h.run("--clear-cache")
            h.idp.revoke_refresh_tokens()
            refused = h.run(env={"AWS_ENDPOINT_URL_STS": private_sts.url})
            assert refused.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in refused.stderr
            assert private_sts.calls == 0  # CCWB_CA_BUNDLE is not trusted for AWS
            h.run("--clear-cache")
            aws = h.run(env={"AWS_ENDPOINT_URL_STS": private_sts.url, "AWS_CA_BUNDLE": idp.ca_bundle})
            assert_credentials(aws)
            assert private_sts.calls == 1
    finally:
        public_sts.close()
        private_sts.close()


def test_tokens_bound_to_issuer_and_client(helper: Helper, tmp_path: Path) -> None:
    assert_credentials(helper.run())
    old = helper.session()
    with RecordingIdP(path="/other") as new_idp:
        # the profile moves to another IdP; the cached ID token from the old one is still valid
        helper.write_config(oidc_issuer_url=new_idp.issuer, provider_domain=new_idp.issuer.split("://")[1])
        expire(helper, id_token_too=False)
        proc = helper.run()
        assert_credentials(proc)
        assert new_idp.grants == [("authorization_code", None)]  # a fresh login, the old token never sent
        assert (
            helper.session()["issuer"] == new_idp.issuer and helper.session()["id_token"] != old["id_token"]
        )
        assert "discarded unused" in proc.stderr
        assert json.loads(helper.refresh_file.read_text())["issuer"] == new_idp.issuer
        # then the client id changes at that IdP: its refresh token (bound to the old client) stays home
        helper.write_config(
            oidc_issuer_url=new_idp.issuer,
            provider_domain=new_idp.issuer.split("://")[1],
            client_id="another-client",
        )
        proc = helper.run()
        assert_credentials(proc)
        assert new_idp.grants[1:] == [("authorization_code", None)]
        assert helper.session()["client_id"] == "another-client"


def test_forged_or_stale_callback_ignored(helper: Helper) -> None:
    proc, url = start_no_browser(helper)
    port = urlsplit(dict(parse_qsl(urlsplit(url).query))["redirect_uri"]).port
    for query in ("code=x&state=bogus", "code=x", "error=access_denied&state=old-tab"):
        assert get_status(f"http://127.0.0.1:{port}/callback?{query}") == 400
    assert proc.poll() is None  # still waiting for the real one
    status, body = follow_login(url)
    assert status == 200 and "Signed in" in body
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert json.loads(out)["Version"] == 1
    assert helper.idp.count("token") == 1  # the forged code was never redeemed


def test_rfc9207_iss_parameter(helper: Helper) -> None:
    tokens = helper.idp.count("token")
    proc, url = start_no_browser(helper)
    assert get_status(with_query(authorize_location(url), iss="https://attacker.example")) == 400
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and out == ""
    assert "RFC 9207" in err and "'https://attacker.example'" in err
    assert helper.idp.count("token") == tokens  # the mixed-up code was not redeemed
    proc, url = start_no_browser(helper)  # the right iss is accepted
    assert get_status(with_query(authorize_location(url), iss=helper.idp.issuer)) == 200
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and json.loads(out)["Version"] == 1, err
    # an IdP that advertises the parameter must send it
    helper.idp.discovery_overrides["authorization_response_iss_parameter_supported"] = True
    helper.run("--clear-cache")
    proc, url = start_no_browser(helper)
    assert get_status(authorize_location(url)) == 400
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "names issuer '(none)'" in err


def test_redirect_host_default_ip_literal_and_localhost_option(helper: Helper) -> None:
    explained = json.loads(helper.run("--explain").stdout)
    assert explained["redirect_uri"].startswith("http://127.0.0.1:")
    log = helper.home / "browser.log"
    helper.write_config(redirect_host="localhost")
    assert json.loads(helper.run("--explain").stdout)["redirect_uri"].startswith("http://localhost:")
    proc = helper.run(env={"FIXTURE_BROWSER_LOG": str(log)})
    assert_credentials(proc)
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" in proc.stderr
    helper.write_config(redirect_host="0.0.0.0")
    helper.run("--clear-cache")
    bad = helper.run()
    assert bad.returncode == 2 and "redirect_host must be 127.0.0.1 (default) or localhost" in bad.stderr


def test_refresh_without_id_token_keeps_rotated_token(tmp_path: Path, sts: CountingProxy) -> None:
    with RecordingIdP(path="/oauth2/default") as idp:
        h = make_helper(tmp_path, idp, sts)
        assert_credentials(h.run())
        first = json.loads(h.refresh_file.read_text())["refresh_token"]
        expire(h)
        idp.omit_refresh_id_token = True
        no_login = {"BROWSER": "/bin/false", "CCWB_LOGIN_TIMEOUT": "2"}
        proc = h.run("--no-browser", env=no_login)
        assert (
            proc.returncode == 1 and "without an ID token" in proc.stderr and "OpenID Connect" in proc.stderr
        )
        rotated = json.loads(h.refresh_file.read_text())["refresh_token"]
        assert rotated != first  # the rotated token was saved before falling back to a login
        idp.omit_refresh_id_token = False
        assert_credentials(h.run("--no-browser", env=no_login))  # the saved token still refreshes
        assert [g for g, _ in idp.grants] == ["authorization_code", "refresh_token", "refresh_token"]
        assert idp.grants[2][1] == rotated


def test_azp_checked_with_several_audiences(helper: Helper) -> None:
    cid = helper.idp.client_id
    helper.idp.add_client(cid, claims={"aud": [cid, "other-app"], "azp": "other-app"})
    proc = helper.run()
    assert proc.returncode == 1 and proc.stdout == "" and "azp 'other-app'" in proc.stderr
    assert helper.sts.calls == 0 and not helper.cache_file.exists()
    helper.idp.add_client(cid, claims={"aud": [cid, "other-app"]})  # several audiences, no azp
    assert helper.run().returncode == 1
    helper.idp.add_client(cid, claims={"aud": [cid, "other-app"], "azp": cid})
    assert_credentials(helper.run())


def test_no_refresh_token_explained_once(helper: Helper) -> None:
    helper.idp.provider.issue_refresh_tokens = "never"
    proc = helper.run()
    assert_credentials(proc)
    assert proc.stderr.count("issued no refresh token") == 1 and "offline_access" in proc.stderr
    assert not helper.refresh_file.exists()
    assert PROFILE in helper.cache_file.name


def test_sts_failure_not_reused_by_id_token_waiter(helper: Helper, spawn) -> None:
    """A waiting --print-id-token (the doctor's TOKEN-PRESENT) never calls STS: an STS refusal of the
    lock holder is not its failure; a waiting credentials request does reuse it."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class SlowDeny(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            return

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(2)
            body = (
                b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Code>AccessDenied'
                b"</Code><Message>Not authorized</Message></Error></ErrorResponse>"
            )
            self.send_response(403)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowDeny)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        assert_credentials(helper.run())  # a refresh token to work with
        helper.run("--clear-cache")
        assert helper.run("--print-id-token").returncode == 0  # cache an ID token, no credentials
        env = {**helper.env, "AWS_ENDPOINT_URL_STS": f"http://127.0.0.1:{server.server_address[1]}"}
        holder = spawn(helper.argv(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)  # the holder is inside its 2 s STS call
        waiters = [
            spawn(helper.argv(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for args in (("--print-id-token",), ())
        ]
        h_out, h_err = holder.communicate(timeout=60)
        (t_out, t_err), (c_out, c_err) = (w.communicate(timeout=60) for w in waiters)
    finally:
        server.shutdown()
        server.server_close()
    assert holder.returncode == 1 and "AccessDenied" in h_err
    assert waiters[0].returncode == 0 and t_out.startswith("eyJ"), t_err
    assert waiters[1].returncode == 1 and "AccessDenied" in c_err
    assert "another helper process just failed this way" in c_err
