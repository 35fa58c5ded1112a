"""Tiny bounded HTTP client on urllib for the refresh path (no third-party libraries)."""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode, urlsplit

from .errors import HelperError

TIMEOUT = 15.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_deadline: float | None = None  # time.monotonic() by which this run gives up (set by refresh.obtain)


def http_timeout() -> float:
    """Per-request network timeout: $CCWB_HTTP_TIMEOUT seconds (default 15)."""
    raw = os.environ.get("CCWB_HTTP_TIMEOUT")
    try:
        value = float(raw) if raw else TIMEOUT
    except ValueError:
        raise HelperError(f"CCWB_HTTP_TIMEOUT must be a number of seconds (got {raw!r})", 2) from None
    if not 0 < value < 3600:
        raise HelperError(f"CCWB_HTTP_TIMEOUT must be between 0 and 3600 seconds (got {raw!r})", 2)
    return value


def set_deadline(deadline: float | None) -> None:
    global _deadline
    _deadline = deadline


def remaining(what: str) -> float:
    """Seconds left before the run's deadline (inf without one); HelperError once it has passed."""
    if _deadline is None:
        return float("inf")
    left = _deadline - time.monotonic()
    if left <= 0:
        raise HelperError(f"gave up before {what}: the helper's overall time limit for this run has passed")
    return left


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
    """TLS trust for one call.

    IdP calls (``ca_env`` empty): the system store, plus ``$CCWB_CA_BUNDLE`` when set (added, never
    replacing it, so a private IdP CA does not break public endpoints). STS (``ca_env="AWS_CA_BUNDLE"``):
    the AWS SDKs' semantics: ``$AWS_CA_BUNDLE`` replaces the default store when set; CCWB_CA_BUNDLE is
    never used for AWS.
    """
    if ca_env:
        return ssl.create_default_context(cafile=os.environ.get(ca_env) or None)
    ctx = ssl.create_default_context()
    extra = os.environ.get("CCWB_CA_BUNDLE")
    if extra:
        try:
            ctx.load_verify_locations(cafile=extra)
        except (OSError, ssl.SSLError) as exc:
            raise HelperError(
                f"cannot load CCWB_CA_BUNDLE {extra}: {getattr(exc, 'strerror', None) or exc}", 2
            ) from None
    return ctx


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
    timeout: float | None = None,
    ca_env: str = "",
) -> bytes:
    """GET (form None) or POST a form; raise HTTPFailure on HTTP errors, HelperError on transport errors.

    Bounded by ``timeout`` (default $CCWB_HTTP_TIMEOUT) per socket operation and by the run's deadline
    overall (checked between reads, so a slow-drip server cannot hold the helper past it).
    """
    host = urlsplit(url).netloc
    timeout = min(timeout or http_timeout(), remaining(f"contacting {host}"))
    data = urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, headers={"Accept": "application/json", **(headers or {})})
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=_context(ca_env)) as resp:
            chunks: list[bytes] = []
            size = 0
            while size < 4 * 1024 * 1024:
                chunk = resp.read1(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                remaining(f"reading the answer from {host}")
            return b"".join(chunks)
    except urllib.error.HTTPError as exc:
        raise HTTPFailure(exc.code, exc.read(1024 * 1024), url) from None
    except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            reason = f"no answer within {timeout:.0f}s (CCWB_HTTP_TIMEOUT)"
        raise HelperError(f"cannot reach {host}: {reason}") from None


def get_json_post(url: str, form: dict[str, str], timeout: float | None = None) -> dict[str, Any]:
    """POST a form and parse a JSON object (HTTPFailure propagates for the caller to interpret)."""
    return _parse(request(url, form, timeout=timeout), url)


def get_json(url: str, timeout: float | None = None) -> dict[str, Any]:
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
