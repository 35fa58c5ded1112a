"""Interactive logins: authorization code + PKCE S256 with a 127.0.0.1 loopback callback, and RFC 8628."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import http
from .errors import HelperError, add_secret
from .oidc import DEVICE_GRANT, Endpoints, GrantError, scopes_of, token_request

SUCCESS_PAGE = "<!doctype html><title>Signed in</title><h1>Signed in</h1><p>You can close this tab and return to the terminal.</p>"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def login_timeout() -> float:
    return float(os.environ.get("CCWB_LOGIN_TIMEOUT") or 300)


def say(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def open_browser(url: str) -> bool:
    """Start a browser detached from our stdio (stdout is reserved for the credentials)."""
    browser = os.environ.get("BROWSER")
    if browser:
        argv = [a.replace("%s", url) for a in shlex.split(browser.split(os.pathsep)[0])]
        if not any(url in a for a in argv):
            argv.append(url)
    elif sys.platform == "darwin":
        argv = ["open", url]
    elif os.name == "nt":  # pragma: no cover
        os.startfile(url)  # type: ignore[attr-defined]
        return True
    else:
        opener = shutil.which("xdg-open")
        if not opener:
            return False
        argv = [opener, url]
    try:
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return False
    return True


class _LoopbackServer(ThreadingHTTPServer):
    """Threaded so an idle browser pre-connect cannot stall the real callback."""

    daemon_threads = True
    allow_reuse_address = os.name != "nt"  # on Windows SO_REUSEADDR would let another process share the port


class _Callback(BaseHTTPRequestHandler):
    result: dict[str, str] | None = None
    expected_path = "/callback"
    state = ""  # the state of the current authorization request (set per login)
    issuer = ""  # RFC 9207: the configured issuer an ``iss`` response parameter must equal
    iss_required = False  # the IdP advertises authorization_response_iss_parameter_supported
    ignored = 0  # callbacks answered 400 because their state is not this login's
    timeout = 10  # per-connection socket timeout

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        if parts.path != self.expected_path:  # favicon.ico and other strays: answer, keep waiting
            self._reply(404, "<p>Not found</p>")
            return
        query = dict(parse_qsl(parts.query))
        if not {"code", "error", "state"} & set(query):  # a stray hit on /callback (prefetch, scanner)
            self._reply(400, "<p>Not a sign-in callback. Still waiting for the IdP.</p>")
            return
        cls = type(self)
        if cls.result is not None or not hmac.compare_digest(
            query.get("state", "").encode(), cls.state.encode()
        ):  # an old tab, a replayed or forged link: not our response; keep waiting (RFC 6749 §10.12)
            cls.ignored += 1
            self._reply(
                400,
                "<p>This sign-in response does not belong to the current sign-in (an old tab or a forged "
                "link) and was ignored. Still waiting for the IdP.</p>",
            )
            return
        iss = query.get("iss")
        if (iss is not None and iss != cls.issuer) or (iss is None and cls.iss_required):
            # RFC 9207 §2.4: a response from another issuer (mix-up) is rejected, not redeemed
            query = {"_iss_mismatch": iss or "(none)"}
            self._reply(400, "<p>Sign-in refused: the response came from an unexpected issuer.</p>")
        elif "code" in query:
            self._reply(200, SUCCESS_PAGE)
        else:
            self._reply(400, f"<p>Sign-in failed: {html.escape(query.get('error', 'no code'))}</p>")
        cls.result = query

    def _reply(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


def _redirect_port(cfg: dict[str, Any]) -> int:
    raw = os.environ.get("REDIRECT_PORT") or cfg.get("redirect_port")
    try:
        port = 8400 if raw in (None, "") else int(str(raw))
    except ValueError:
        raise HelperError(f"redirect_port must be a number (got {raw!r})", 2) from None
    if not 0 <= port <= 65535:
        raise HelperError(f"redirect_port {port} is out of range", 2)
    return port


REDIRECT_HOSTS = ("127.0.0.1", "localhost")


def redirect_host(cfg: dict[str, Any]) -> str:
    """The redirect URI's host: the IP literal by default (RFC 8252 §8.3), ``localhost`` on request."""
    host = str(cfg.get("redirect_host") or REDIRECT_HOSTS[0])
    if host not in REDIRECT_HOSTS:
        raise HelperError(f"redirect_host must be 127.0.0.1 (default) or localhost (got {host!r})", 2)
    return host


def browser_login(cfg: dict[str, Any], ep: Endpoints, no_browser: bool) -> tuple[dict[str, Any], str]:
    """Run the authorization-code flow; returns (token response, nonce)."""
    if not ep.authorization:
        raise HelperError("IdP advertises no authorization_endpoint; use --device")
    http.check_url(ep.authorization, "authorization_endpoint")
    host = redirect_host(cfg)
    state = _b64(secrets.token_bytes(16))
    handler = type(
        "_CB",
        (_Callback,),
        {"result": None, "state": state, "issuer": ep.issuer, "iss_required": ep.iss_param, "ignored": 0},
    )
    try:
        server = _LoopbackServer(("127.0.0.1", _redirect_port(cfg)), handler)
    except OSError as exc:
        raise HelperError(
            f"cannot listen on 127.0.0.1:{_redirect_port(cfg)} for the login callback: {exc.strerror}"
        ) from None
    with server:
        port = server.server_address[1]
        redirect_uri = f"http://{host}:{port}/callback"
        verifier = _b64(secrets.token_bytes(32))
        nonce = _b64(secrets.token_bytes(16))
        params = {
            "response_type": "code",
            "client_id": str(cfg.get("client_id") or ""),
            "redirect_uri": redirect_uri,
            "scope": scopes_of(cfg),
            "state": state,
            "nonce": nonce,
            "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256",
        }
        if cfg.get("oidc_prompt"):
            params["prompt"] = str(cfg["oidc_prompt"])
        url = ep.authorization + ("&" if "?" in ep.authorization else "?") + urlencode(params)
        opened = False if no_browser else open_browser(url)
        say(
            (
                "Opened your browser to sign in. If it did not open, visit:"
                if opened
                else "Sign in by visiting:"
            )
            + f"\n  {url}"
        )
        deadline = time.monotonic() + min(login_timeout(), http.remaining("waiting for the sign-in"))
        while handler.result is None:
            left = deadline - time.monotonic()
            if left <= 0:
                stale = (
                    f" ({handler.ignored} callback{' whose state does' if handler.ignored == 1 else 's whose state do'}"
                    " not match this sign-in (an old tab or a forged link) "
                    f"{'was' if handler.ignored == 1 else 'were'} ignored)"
                    if handler.ignored
                    else ""
                )
                raise HelperError(
                    f"no sign-in callback within {login_timeout():.0f}s{stale}; run again, or use --device on a headless machine"
                )
            server.timeout = min(left, 0.2)
            server.handle_request()
    result = handler.result
    if "_iss_mismatch" in result:
        raise HelperError(
            f"the sign-in response names issuer {result['_iss_mismatch']!r}, not {ep.issuer!r} "
            "(RFC 9207 mix-up protection): refused; check oidc_issuer_url and sign in again"
        )
    if "code" not in result:
        err = result.get("error", "no code")
        raise HelperError(f"IdP refused the sign-in: {err} {result.get('error_description', '')}".strip())
    form = {
        "grant_type": "authorization_code",
        "code": result["code"],
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    return token_request(cfg, ep, form), nonce


def device_login(cfg: dict[str, Any], ep: Endpoints) -> dict[str, Any]:
    """RFC 8628: show the user code on stderr and poll the token endpoint (bounded by expires_in/timeout)."""
    if not ep.device:
        raise HelperError("IdP advertises no device_authorization_endpoint: the device flow is not available")
    http.check_url(ep.device, "device_authorization_endpoint")
    form = {"client_id": str(cfg.get("client_id") or ""), "scope": scopes_of(cfg)}
    try:
        start = http.get_json_post(ep.device, form)
    except http.HTTPFailure as exc:
        raise HelperError(f"device authorization failed: {exc.json().get('error') or exc.status}") from None
    if not isinstance(start.get("device_code"), str):
        raise HelperError("device authorization response has no device_code")
    add_secret(start["device_code"])
    target = start.get("verification_uri_complete") or start.get("verification_uri")
    say(f"To sign in, open {target}\n  and confirm the code: {start.get('user_code')}")
    interval = max(float(start.get("interval") or 5), 0.2)
    deadline = time.monotonic() + min(
        float(start.get("expires_in") or 600), login_timeout(), http.remaining("the device sign-in")
    )
    poll = {"grant_type": DEVICE_GRANT, "device_code": start["device_code"]}
    while time.monotonic() < deadline:
        time.sleep(interval)
        try:
            return token_request(cfg, ep, poll)
        except GrantError as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":
                interval += 5
                continue
            raise
    raise HelperError("device sign-in was not completed in time; run again")
