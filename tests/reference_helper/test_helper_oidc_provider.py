"""The helper against an independent, certified OIDC server: npm ``oidc-provider`` 9 on loopback.

The fixture installs it with npm into a cache directory (once) and runs ``oidc_provider/server.mjs``
with node; the tests skip, saying why, when node/npm are absent or the install fails (offline).
The login is driven like a browser: the helper prints the authorization URL (--no-browser), the test
submits oidc-provider's own login and consent forms (cookies kept) and follows the redirects to the
helper's loopback callback — which carries oidc-provider's RFC 9207 ``iss`` parameter.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import ssl
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helper_harness import CountingProxy, Helper, assert_credentials
from test_helper_hardening import expire, make_helper, start_no_browser

HERE = Path(__file__).parent / "oidc_provider"
VERSION = "9"
CLIENT_ID = "ccwb-test-client"


@pytest.fixture(scope="session")
def oidc_provider_dir() -> Path:
    from npm_witness import npm_install

    target = npm_install("oidc-provider", VERSION)
    shutil.copy(HERE / "server.mjs", target / "server.mjs")  # beside node_modules, for ESM resolution
    return target


class OidcProvider:
    def __init__(self, directory: Path, tls: tuple[str, str, str] | None) -> None:
        env = {**os.environ, "OP_CLIENT_ID": CLIENT_ID}
        if tls:
            env |= {"OP_TLS_KEY": tls[0], "OP_TLS_CERT": tls[1]}
        self.ca_bundle = tls[2] if tls else None
        self.client_id = CLIENT_ID
        self.proc = subprocess.Popen(
            ["node", str(directory / "server.mjs")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # bounded: the process prints READY or exits
        if not line.startswith("READY "):
            self.stop()
            pytest.fail(f"oidc-provider did not start: {line!r}")
        self.issuer = line.split()[1]

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture(params=["http", "https"])
def op(request: pytest.FixtureRequest, oidc_provider_dir: Path, tmp_path: Path) -> Iterator[OidcProvider]:
    tls = None
    if request.param == "https":
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        key_pem, cert_pem, ca_pem = tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "ca.pem"
        cert.private_key_pem.write_to_path(str(key_pem))
        cert.cert_chain_pems[0].write_to_path(str(cert_pem))
        ca.cert_pem.write_to_path(str(ca_pem))
        tls = (str(key_pem), str(cert_pem), str(ca_pem))
    server = OidcProvider(oidc_provider_dir, tls)
    yield server
    server.stop()


def sign_in(url: str, cafile: str | None, user: str = "alice") -> str:
    """Act as the browser: submit oidc-provider's dev login and consent forms, follow the redirects to
    the helper's callback; return the callback's answer body."""
    jar = http.cookiejar.CookieJar()
    ctx = ssl.create_default_context(cafile=cafile) if cafile else None
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=ctx)
    )
    with opener.open(url, timeout=15) as resp:
        page, where = resp.read().decode(), resp.url
    for _ in range(4):  # login, then consent (bounded)
        match = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', page)
        if match is None:
            return page
        action = urllib.parse.urljoin(where, match.group(1))
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        if 'name="login"' in page:
            fields |= {"login": user, "password": "any"}
        data = urllib.parse.urlencode(fields).encode()
        with opener.open(action, data=data, timeout=15) as resp:
            page, where = resp.read().decode(), resp.url
        if "/callback" in where:
            return page
    raise AssertionError(f"sign-in did not reach the callback (last page {where})")


def op_helper(tmp_path: Path, op: OidcProvider, sts: CountingProxy) -> Helper:
    extra = {"CCWB_CA_BUNDLE": op.ca_bundle} if op.ca_bundle else {}
    h = make_helper(tmp_path, op, sts, **extra)  # type: ignore[arg-type]
    h.write_config(
        oidc_issuer_url=op.issuer,
        provider_domain=op.issuer.split("://")[1],
        client_id=CLIENT_ID,
        oidc_prompt="consent",  # oidc-provider grants offline_access (a refresh token) only with consent
    )
    return h


def test_login_and_refresh_against_oidc_provider(
    op: OidcProvider, tmp_path: Path, sts: CountingProxy
) -> None:
    h = op_helper(tmp_path, op, sts)
    proc, url = start_no_browser(h)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query["redirect_uri"].startswith("http://127.0.0.1:") and query["code_challenge_method"] == "S256"
    assert "Signed in" in sign_in(url, op.ca_bundle)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    creds = json.loads(out)
    assert creds["Version"] == 1 and sts.calls == 1
    session = h.session()
    assert session["issuer"] == op.issuer and session["client_id"] == CLIENT_ID
    refresh = json.loads(h.refresh_file.read_text())
    assert refresh["issuer"] == op.issuer  # oidc-provider granted offline_access
    # expiry: the refresh grant (rotation included) gives a new ID token with no browser
    expire(h, id_token_too=False)
    stale = h.session() | {"id_token": "not-a-jwt", "id_token_exp": 0}  # no usable cached ID token
    h.cache_file.write_text(json.dumps(stale))
    start = time.monotonic()
    again = h.run("--no-browser", env={"CCWB_LOGIN_TIMEOUT": "3"})
    assert_credentials(again)
    assert time.monotonic() - start < 30 and sts.calls == 2
    assert h.session()["id_token"].startswith("eyJ")  # a new ID token from the refresh grant
    assert "Opened your browser" not in again.stderr and "Sign in by visiting" not in again.stderr
    # a stale callback (an old tab) during the next login is ignored; the real one completes it
    h.run("--clear-cache")
    proc, url = start_no_browser(h)
    port = urllib.parse.urlsplit(
        dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["redirect_uri"]
    ).port
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/callback?code=old&state=old-tab", timeout=10)
        raise AssertionError("a stale callback was accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 400
    assert "Signed in" in sign_in(url, op.ca_bundle)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and json.loads(out)["Version"] == 1, err


_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _post_forms(url: str, cafile: str | None, *, abort: bool = False, user: str = "alice") -> str:
    """Act as the user on oidc-provider's pages: submit each POST form (device code, confirm, login,
    consent; attributes in any order) until a page has none; return that last page (bounded)."""
    jar = http.cookiejar.CookieJar()
    ctx = ssl.create_default_context(cafile=cafile) if cafile else None
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=ctx)
    )
    with opener.open(url, timeout=15) as resp:
        page, where = resp.read().decode(), resp.url
    for _ in range(8):
        form = next((m for m in _FORM.finditer(page) if 'method="post"' in m.group(1)), None)
        if form is None:
            return page
        action = re.search(r'action="([^"]+)"', form.group(1))
        fields = dict(_HIDDEN.findall(form.group(2)))
        if 'name="login"' in form.group(2):
            fields |= {"login": user, "password": "any"}
        aborting = abort and 'id="op.deviceConfirmForm"' in form.group(1)
        if aborting:
            fields["abort"] = "yes"
        target = urllib.parse.urljoin(where, action.group(1) if action else where)
        try:
            with opener.open(target, data=urllib.parse.urlencode(fields).encode(), timeout=15) as resp:
                page, where = resp.read().decode(), resp.url
        except urllib.error.HTTPError as exc:  # oidc-provider renders an aborted device flow as an error page
            return exc.read().decode()
        if aborting:  # the user walked away: whatever the server shows next is not submitted
            return page
    raise AssertionError(f"oidc-provider's pages did not end (last {where})")


def _start_device(h: Helper, spawn) -> tuple[subprocess.Popen[str], str]:  # type: ignore[no-untyped-def]
    proc = spawn(
        h.argv("--device"),
        env={**h.env, "BROWSER": "/bin/false"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line, deadline = "", time.monotonic() + 20
    while "To sign in, open " not in line and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
    assert "To sign in, open " in line, line
    return proc, line.split("open ", 1)[1].strip()


def test_device_flow_against_oidc_provider(
    op: OidcProvider, tmp_path: Path, sts: CountingProxy, spawn
) -> None:
    """RFC 8628 with a certified server: the user code page, confirm, login, consent, then the poll."""
    h = op_helper(tmp_path, op, sts)
    proc, url = _start_device(h, spawn)
    assert "user_code=" in url
    assert "Sign-in Success" in _post_forms(url, op.ca_bundle)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads(out)["Version"] == 1 and sts.calls == 1
    assert h.session()["issuer"] == op.issuer


def test_device_flow_aborted_by_the_user_fails_in_one_line(
    op: OidcProvider, tmp_path: Path, sts: CountingProxy, spawn
) -> None:
    """The error flow: the user aborts on the confirm page; the poll gets access_denied and the helper
    says so in one line (no credentials, no STS call)."""
    h = op_helper(tmp_path, op, sts)
    proc, url = _start_device(h, spawn)
    _post_forms(url, op.ca_bundle, abort=True)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and out == ""
    assert "access_denied" in err and sts.calls == 0, err
    assert (
        len(
            [
                ln
                for ln in err.splitlines()
                if ln.strip() and "To sign in" not in ln and "confirm the code" not in ln
            ]
        )
        == 1
    ), err
