"""HTTP stage with httpx: connections pinned to the addresses the DNS stage found (and to the proxy), every
read bounded by the global deadline, and a verdict per endpoint kind (IdP discovery, AWS-shaped answer,
OTLP collector, generic)."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Mapping
from typing import Any

from ccwb_doctor.analyzers.net.endpoint import BEDROCK, COLLECTOR, IDP, STS, Endpoint
from ccwb_doctor.analyzers.net.model import FAIL, OK, SKIP, WARN, Deadline, SocketTracker, Stage, ms_since

MAX_BODY = 256 * 1024
AWS_HEADERS = ("x-amzn-requestid", "x-amz-request-id", "x-amzn-errortype", "x-amz-id-2", "x-amz-apigw-id")
AWS_BODY_MARKERS = (
    b"<ErrorResponse",
    b"<Error>",
    b"__type",
    b"Missing Authentication Token",
    b"MissingAuthentication",
)


def _transport(
    pins: Mapping[str, str],
    ctx: ssl.SSLContext,
    proxy: str | None,
    deadline: Deadline,
    tracker: SocketTracker,
) -> Any:
    """An httpx transport whose every TCP connect goes to a pinned address, reads capped by the deadline."""
    import httpcore
    import httpx

    base = httpcore.SyncBackend()

    class Stream(httpcore.NetworkStream):
        def __init__(self, inner: Any) -> None:
            self.inner = inner
            sock = inner.get_extra_info("socket")
            if sock is not None:
                tracker.add(sock)

        def _t(self, timeout: float | None) -> float:
            if deadline.expired:
                raise httpcore.ReadTimeout("global deadline reached")
            rem = deadline.remaining(0.01)
            return rem if timeout is None else min(timeout, rem)

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return bytes(self.inner.read(max_bytes, timeout=self._t(timeout)))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self.inner.write(buffer, timeout=self._t(timeout))

        def close(self) -> None:
            self.inner.close()

        def start_tls(
            self,
            ssl_context: ssl.SSLContext,
            server_hostname: str | None = None,
            timeout: float | None = None,
        ) -> Any:
            return Stream(
                self.inner.start_tls(ssl_context, server_hostname=server_hostname, timeout=self._t(timeout))
            )

        def get_extra_info(self, info: str) -> Any:
            return self.inner.get_extra_info(info)

    class Pinned(httpcore.NetworkBackend):
        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> Any:
            ip = pins.get(host)
            if ip is None:  # never fall back to the system resolver
                raise httpcore.ConnectError(f"no resolved address for {host}")
            rem = deadline.remaining(0.01)
            return Stream(
                base.connect_tcp(ip, port, timeout=min(timeout or rem, rem), local_address=local_address)
            )

        def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Any = None
        ) -> Any:
            raise httpcore.ConnectError("unix sockets are not probed")

        def sleep(self, seconds: float) -> None:
            time.sleep(min(seconds, deadline.remaining()))

    transport = httpx.HTTPTransport(verify=ctx, trust_env=False)
    if proxy:
        from ccwb_doctor.analyzers.net.conn import proxy_parts
        from ccwb_doctor.analyzers.net.proxy import strip_credentials

        _, _, _, auth = proxy_parts(proxy)
        transport._pool = httpcore.HTTPProxy(
            proxy_url=strip_credentials(proxy),
            proxy_auth=auth,
            ssl_context=ctx,
            proxy_ssl_context=ctx if proxy.startswith("https://") else None,
            network_backend=Pinned(),
        )
    else:
        transport._pool = httpcore.ConnectionPool(ssl_context=ctx, network_backend=Pinned())
    return transport


def _request_for(ep: Endpoint) -> tuple[str, dict[str, str], bytes]:
    if ep.kind == COLLECTOR:
        proto = str(ep.expect.get("protocol", "http/protobuf"))
        ctype = "application/json" if proto == "http/json" else "application/x-protobuf"
        return "POST", {"Content-Type": ctype}, b"{}" if ctype == "application/json" else b""
    if ep.kind == STS and not ep.expect.get("gateway"):
        body = b"Action=GetCallerIdentity&Version=2011-06-15"
        return "POST", {"Content-Type": "application/x-www-form-urlencoded"}, body
    return "GET", {"Accept": "application/json, */*"}, b""


def http_stage(
    ep: Endpoint,
    pins: Mapping[str, str],
    ctx: ssl.SSLContext,
    proxy: str | None,
    deadline: Deadline,
    tracker: SocketTracker,
) -> Stage:
    """Send the endpoint's request and judge the answer. Never raises."""
    import httpx

    t0 = time.monotonic()
    if ep.kind == COLLECTOR and ep.expect.get("protocol") == "grpc":
        return Stage("http", SKIP, 0.0, "grpc", "OTLP/gRPC collector: reachability shown by TCP/TLS only")
    method, headers, body = _request_for(ep)
    headers["User-Agent"] = "ccwb-doctor-net-probe"
    try:
        transport = _transport(pins, ctx, proxy, deadline, tracker)
        timeout = httpx.Timeout(max(0.01, deadline.remaining()))
        with (
            httpx.Client(
                transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
            ) as client,
            client.stream(method, ep.url, headers=headers, content=body) as resp,
        ):
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= MAX_BODY:
                    break
                if deadline.expired:
                    raise httpx.ReadTimeout("global deadline reached")
            status, rheaders, content = resp.status_code, dict(resp.headers), b"".join(chunks)[:MAX_BODY]
    except httpx.ProxyError as exc:
        return Stage("http", FAIL, ms_since(t0), "proxy-error", f"proxy refused the request: {exc}")
    except httpx.TimeoutException:
        detail = f"HTTP {method} {ep.display}: the answer never completed within the deadline (slow or stalled server)"
        return Stage("http", FAIL, ms_since(t0), "timeout", detail)
    except httpx.HTTPError as exc:
        return Stage(
            "http", FAIL, ms_since(t0), "http-error", f"HTTP {method} {ep.display} failed: {exc}"[:300]
        )
    except (OSError, ValueError, ssl.SSLError) as exc:
        return Stage(
            "http", FAIL, ms_since(t0), "http-error", f"HTTP {method} {ep.display} failed: {exc}"[:300]
        )
    lower = {k.lower(): v for k, v in rheaders.items()}
    status_word, code, detail, data = judge(ep, status, lower, content)
    data.update(method=method, status=status)
    return Stage("http", status_word, ms_since(t0), code, detail, data)


def aws_shaped(headers: Mapping[str, str], body: bytes) -> bool:
    return any(h in headers for h in AWS_HEADERS) or any(m in body for m in AWS_BODY_MARKERS)


def judge(
    ep: Endpoint, status: int, headers: Mapping[str, str], body: bytes
) -> tuple[str, str, str, dict[str, Any]]:
    """(ok|warn|fail, code, detail, data) for an HTTP answer, by endpoint kind. Pure."""
    data: dict[str, Any] = {}
    if status == 407:
        return (
            FAIL,
            "proxy-auth-407",
            "the proxy demands authentication (407): put user:pass in HTTP(S)_PROXY",
            data,
        )
    if ep.kind == IDP:
        return _judge_idp(ep, status, headers, body)
    if ep.kind == COLLECTOR:
        return _judge_collector(ep, status)
    if ep.kind in (STS, BEDROCK):
        if ep.expect.get("gateway"):
            if status >= 500:
                return (
                    FAIL,
                    f"http-{status}",
                    f"the Bedrock gateway {ep.display} answers {status} (server error)",
                    data,
                )
            return OK, "answered", f"the Bedrock gateway answered HTTP {status}", data
        if aws_shaped(headers, body):
            data["request_id"] = headers.get("x-amzn-requestid") or headers.get("x-amz-request-id") or ""
            return (
                OK,
                "aws-answer",
                f"AWS answered HTTP {status} (an AWS-shaped reply proves reachability)",
                data,
            )
        word = FAIL if status >= 500 or status in (401, 403) else WARN
        detail = (
            f"HTTP {status} from {ep.host} does not look like AWS (no x-amzn-RequestId): a proxy block page, "
            "captive portal or wrong endpoint override"
        )
        return word, "not-aws", detail, data
    if status >= 500:
        return FAIL, f"http-{status}", f"{ep.display} answers {status} (server error)", data
    return OK, "answered", f"HTTP {status}", data


def _judge_idp(
    ep: Endpoint, status: int, headers: Mapping[str, str], body: bytes
) -> tuple[str, str, str, dict[str, Any]]:
    data: dict[str, Any] = {}
    want = str(ep.expect.get("issuer", ""))
    if 300 <= status < 400:
        loc = headers.get("location", "?")
        return (
            FAIL,
            "redirect",
            f"discovery {ep.display} redirects to {loc} (SSO proxy or captive portal?)",
            data,
        )
    if status == 404:
        detail = f"no discovery document at {ep.display} (404) — wrong issuer path (provider_domain, auth server, tenant?)"
        return FAIL, "http-404", detail, data
    if status >= 500:
        return (
            FAIL,
            f"http-{status}",
            f"the IdP answers {status} for {ep.display} (server error) — retry later / IdP status",
            data,
        )
    if status != 200:
        return (
            FAIL,
            f"http-{status}",
            f"the IdP answers {status} for {ep.display}; a discovery document needs 200",
            data,
        )
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        ctype = headers.get("content-type", "?")
        return (
            FAIL,
            "not-json",
            f"{ep.display} answers 200 but not JSON ({ctype}): a login or block page?",
            data,
        )
    if not isinstance(doc, dict):
        return FAIL, "not-json", f"{ep.display} answers JSON that is not an object", data
    got = doc.get("issuer")
    data["discovery"] = {
        k: doc.get(k) for k in ("issuer", "jwks_uri", "token_endpoint", "authorization_endpoint")
    }
    if want and got != want:
        detail = (
            f"discovery issuer is {got!r} but the configuration expects {want!r} — IAM compares iss exactly "
            "(trailing slash, path, tenant)"
        )
        return FAIL, "issuer-mismatch", detail, data
    return OK, "discovery-ok", f"discovery document served, issuer {got!r}", data


def _judge_collector(ep: Endpoint, status: int) -> tuple[str, str, str, dict[str, Any]]:
    data: dict[str, Any] = {}
    auth = bool(ep.expect.get("auth_configured"))
    if 200 <= status < 300:
        return OK, "accepted", f"the collector accepted an empty OTLP export ({status})", data
    if status == 400:
        return (
            OK,
            "reachable-400",
            "the collector answered 400 to an empty export: path and access are fine",
            data,
        )
    if status in (401, 403):
        if auth:
            detail = (
                f"the collector requires authentication ({status}); headers come from the configured helper"
            )
            return OK, f"auth-required-{status}", detail, data
        detail = (
            f"the collector requires authentication ({status}) and no otelHeadersHelper / "
            "OTEL_EXPORTER_OTLP_HEADERS is configured — metrics will be rejected"
        )
        return WARN, f"auth-required-{status}", detail, data
    if status in (404, 405):
        detail = (
            f"wrong path: POST {ep.display} answers {status} — OTEL_EXPORTER_OTLP_ENDPOINT is a base URL (the SDK "
            "appends /v1/metrics), OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is the full URL"
        )
        return FAIL, f"wrong-path-{status}", detail, data
    if status == 415:
        detail = "the collector rejects the payload type (415): check OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf vs json)"
        return WARN, "unsupported-media-415", detail, data
    if status >= 500:
        detail = f"the collector (or the load balancer in front of it) is down: {status}"
        return FAIL, f"server-down-{status}", detail, data
    return WARN, f"http-{status}", f"unexpected HTTP {status} from the collector", data
