"""Where the export goes and how: Claude Code's collector configuration, read from the facts.

The endpoint is ``--export otlp=URL`` (a base URL, as ``OTEL_EXPORTER_OTLP_ENDPOINT``), else the
environment Claude Code runs with: ``OTEL_EXPORTER_OTLP_{LOGS,METRICS}_ENDPOINT`` (full URLs) or
``OTEL_EXPORTER_OTLP_ENDPOINT`` + ``/v1/logs`` / ``/v1/metrics``. The headers are
``OTEL_EXPORTER_OTLP_HEADERS`` (and the signal-specific ones) plus what ``otelHeadersHelper`` prints (run
as Claude Code runs it, within the export's budget; never for a captured HOME). The CA trust is Claude
Code's collector client's (``facts.castore``: the system store plus ``NODE_EXTRA_CA_CERTS``), the proxy
the one it would pick (``analyzers.net.proxy``). Headers never travel in clear to a remote host.
"""

from __future__ import annotations

import ssl
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from ccwb_doctor.analyzers.clientconfig.otel_env import is_loopback, parse_headers
from ccwb_doctor.records import record


class TargetError(Exception):
    """Nothing can be sent: the one-line reason."""


@record
class Target:
    logs_url: str
    metrics_url: str
    logs_headers: dict[str, str] = field(default_factory=dict)
    metrics_headers: dict[str, str] = field(default_factory=dict)
    ssl_context: ssl.SSLContext | None = None
    proxies: dict[str, str | None] = field(default_factory=dict)  # URL -> proxy, credentials included
    notes: list[str] = field(default_factory=list)  # said with a failure (the headers helper's own error)


def _signal_url(base: str, signal: str) -> str:
    for s in ("logs", "metrics"):
        if base.rstrip("/").endswith(f"/v1/{s}"):  # a signal URL given as the base: use its base
            base = base.rstrip("/")[: -len(f"/v1/{s}")]
    return base.rstrip("/") + f"/v1/{signal}"


def endpoints(env: Mapping[str, str], url: str | None) -> tuple[str, str]:
    """(logs URL, metrics URL) for ``--export otlp[=url]``; TargetError when there is none."""
    if url:
        return _signal_url(url, "logs"), _signal_url(url, "metrics")
    get = lambda name: (env.get(name) or "").strip()  # noqa: E731
    base = get("OTEL_EXPORTER_OTLP_ENDPOINT")
    logs = get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT") or (_signal_url(base, "logs") if base else "")
    metrics = get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") or (_signal_url(base, "metrics") if base else "")
    if not logs and not metrics:
        raise TargetError(
            "no collector to send to: Claude Code's settings set no OTEL_EXPORTER_OTLP_ENDPOINT "
            "(give --export otlp=URL)"
        )
    for name in ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        if get(name).lower() == "grpc":
            raise TargetError(
                f"Claude Code's collector speaks gRPC ({name}=grpc) and the export sends OTLP/HTTP: "
                "give --export otlp=URL of the collector's HTTP receiver"
            )
    return logs or _signal_url(metrics, "logs"), metrics or _signal_url(logs, "metrics")


def _check_url(url: str, headers: Mapping[str, str]) -> None:
    try:
        parts = urllib.parse.urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError:
        raise TargetError(f"the collector URL {url[:120]!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise TargetError(f"the collector URL {url[:120]!r} is not an http(s) URL")
    if parts.scheme == "http" and headers and not is_loopback(host):
        raise TargetError(
            f"not sending the collector's headers ({', '.join(sorted(headers))}) over plain http to {host}: "
            "use an https:// endpoint"
        )


def _env_headers(env: Mapping[str, str], signal: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("OTEL_EXPORTER_OTLP_HEADERS", f"OTEL_EXPORTER_OTLP_{signal.upper()}_HEADERS"):
        text = (env.get(name) or "").strip()
        if text:
            out.update(parse_headers(text)[0])
    return out


def helper_headers(facts: Any, timeout: float) -> tuple[dict[str, str], str | None]:
    """(what ``otelHeadersHelper`` prints, its error): run through a shell as Claude Code runs it; nothing
    when there is none or for a captured HOME. A failing helper sends no headers: the collector then says
    what it misses, and the warning adds the helper's error."""
    settings = facts.peek("claude_settings")
    command = (getattr(settings, "merged", None) or {}).get("otelHeadersHelper")
    if not isinstance(command, str) or not command.strip():
        return {}, None
    jp = facts.peek("judged_platform")
    if facts.peek("capture") is not None or bool(getattr(jp, "foreign", False)):
        return {}, None
    from ccwb_doctor.facts.live import run_headers_helper

    return run_headers_helper(facts, command, timeout=timeout)


def resolve(facts: Any, request: Any, left: Callable[[], float]) -> Target:
    from ccwb_doctor.analyzers.net.proxy import proxy_for
    from ccwb_doctor.facts.castore import ssl_context

    env: dict[str, str] = dict(facts.peek("claude_env") or facts.env)
    logs_url, metrics_url = endpoints(env, request.url)
    extra, helper_error = helper_headers(facts, max(0.1, left() / 2))
    target = Target(
        logs_url,
        metrics_url,
        {**_env_headers(env, "logs"), **extra},
        {**_env_headers(env, "metrics"), **extra},
        ssl_context(env, "collector"),
        {u: proxy_for(u, env).proxy_raw for u in (logs_url, metrics_url)},
        [helper_error] if helper_error else [],
    )
    _check_url(logs_url, target.logs_headers)
    _check_url(metrics_url, target.metrics_headers)
    return target
