"""Tiny bounded HTTP client on urllib for the refresh path (no third-party libraries)."""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode, urlsplit

from .errors import HelperError

TIMEOUT = 15.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class HTTPFailure(Exception):
    def __init__(self, status: int, body: bytes, url: str) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status, self.body, self.url = status, body, url

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def _context(ca_env: str = "") -> ssl.SSLContext:
    cafile = os.environ.get(ca_env) if ca_env else None
    cafile = cafile or os.environ.get("CCWB_CA_BUNDLE") or None
    return ssl.create_default_context(cafile=cafile)


def check_url(url: str, what: str) -> None:
    """HTTPS required, except plain HTTP to a loopback host (local test IdPs)."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and (parts.hostname or "") in LOOPBACK):
        return
    raise HelperError(f"{what} must be an https:// URL (got {parts.scheme or 'no'} scheme: {url})", 2)


def request(
    url: str,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
    ca_env: str = "",
) -> bytes:
    """GET (form None) or POST a form; raise HTTPFailure on HTTP errors, HelperError on transport errors."""
    data = urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, headers={"Accept": "application/json", **(headers or {})})
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=_context(ca_env)) as resp:
            return resp.read(4 * 1024 * 1024)
    except urllib.error.HTTPError as exc:
        raise HTTPFailure(exc.code, exc.read(1024 * 1024), url) from None
    except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HelperError(f"cannot reach {urlsplit(url).netloc}: {reason}") from None


def get_json_post(url: str, form: dict[str, str], timeout: float = TIMEOUT) -> dict[str, Any]:
    """POST a form and parse a JSON object (HTTPFailure propagates for the caller to interpret)."""
    return _parse(request(url, form, timeout=timeout), url)


def get_json(url: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    try:
        body = request(url, timeout=timeout)
    except HTTPFailure as exc:
        raise HelperError(f"{url} answered HTTP {exc.status}") from None
    return _parse(body, url)


def _parse(body: bytes, url: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise HelperError(f"{url} did not return JSON") from None
    if not isinstance(data, dict):
        raise HelperError(f"{url} did not return a JSON object")
    return data
