"""Claude Code's OpenTelemetry environment, read the way the OTel SDK reads it (pure).

``read_otel_env(env)`` -> OtelConfig: whether telemetry is on, the metrics exporter list, the protocol,
the URL metrics are POSTed to (signal-specific endpoint as-is, else the base endpoint + ``/v1/metrics``
for the HTTP protocols), the static headers, and ``problems`` (severity, message, fix) that make the
configuration incoherent.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from ccwb_doctor.records import record

PROTOCOLS = ("grpc", "http/protobuf", "http/json")
EXPORTERS = ("otlp", "prometheus", "console", "none")
DEFAULT_HTTP = "http://localhost:4318"
DEFAULT_GRPC = "http://localhost:4317"
LOOPBACK = ("localhost", "127.0.0.1", "::1")


@record(frozen=True)
class Problem:
    """One problem with Claude Code's telemetry settings, with its fix."""

    severity: str  # fail | warn
    message: str
    fix: str


@record
class OtelConfig:
    """Claude Code's telemetry settings as its OpenTelemetry SDK reads them."""

    enabled: bool
    exporters: list[str] = field(default_factory=list)
    protocol: str | None = None
    protocol_source: str | None = None
    endpoint: str | None = None  # the configured base or signal endpoint
    endpoint_source: str | None = None  # the variable that set it (None: the exporter's default)
    metrics_url: str | None = None  # where metrics go
    headers: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def otlp(self) -> bool:
        return "otlp" in self.exporters

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "exporters": self.exporters,
            "protocol": self.protocol,
            "protocol_source": self.protocol_source,
            "metrics_url": self.metrics_url,
            "header_names": sorted(self.headers),
            "problems": [p.message for p in self.problems],
        }


def truthy(value: object) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def parse_headers(text: str) -> tuple[dict[str, str], list[str]]:
    """OTEL_EXPORTER_OTLP_HEADERS: ``k=v,k2=v2`` with URL-encoded values; returns (headers, errors)."""
    out: dict[str, str] = {}
    errors: list[str] = []
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = urllib.parse.unquote(key.strip())
        if not sep or not key:
            errors.append(f"header entry {item.strip()[:40]!r} is not key=value")
            continue
        out[key.lower()] = urllib.parse.unquote(value.strip())
    return out, errors


def is_loopback(host: str | None) -> bool:
    h = (host or "").strip("[]").lower()
    return h in LOOPBACK or h.startswith("127.")


def _first(env: Mapping[str, Any], *names: str) -> tuple[str | None, str | None]:
    for n in names:
        v = env.get(n)
        if isinstance(v, str) and v.strip():
            return v.strip(), n
    return None, None


def read_otel_env(env: Mapping[str, Any]) -> OtelConfig:
    """Never raises; problems describe what Claude Code's exporter would do wrong."""
    cfg = OtelConfig(enabled=truthy(env.get("CLAUDE_CODE_ENABLE_TELEMETRY")))
    raw_exp, _ = _first(env, "OTEL_METRICS_EXPORTER")
    cfg.exporters = [e.strip().lower() for e in (raw_exp or "").split(",") if e.strip()]
    proto, cfg.protocol_source = _first(
        env, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"
    )
    cfg.protocol = proto.lower() if proto else None
    signal, _ = _first(env, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    base, _ = _first(env, "OTEL_EXPORTER_OTLP_ENDPOINT")
    add = cfg.problems.append
    any_otel = any(str(k).startswith("OTEL_") for k in env)
    if not cfg.enabled:
        if any_otel:
            add(
                Problem(
                    "warn",
                    "OTEL_* variables are set but CLAUDE_CODE_ENABLE_TELEMETRY is not 1: "
                    "Claude Code sends no telemetry",
                    "set CLAUDE_CODE_ENABLE_TELEMETRY=1 in settings env",
                )
            )
        return cfg
    unknown = [e for e in cfg.exporters if e not in EXPORTERS]
    if not cfg.exporters:
        add(
            Problem(
                "fail",
                "telemetry is on but OTEL_METRICS_EXPORTER is not set: no metrics are exported",
                "set OTEL_METRICS_EXPORTER=otlp",
            )
        )
    elif unknown:
        add(
            Problem(
                "fail",
                f"OTEL_METRICS_EXPORTER names unknown exporter(s) {', '.join(unknown)}",
                f"use one of {', '.join(EXPORTERS)}",
            )
        )
    if cfg.protocol is None:
        if cfg.otlp:
            add(
                Problem(
                    "warn",
                    "OTEL_EXPORTER_OTLP_PROTOCOL is not set: the exporter's default may not be "
                    "what the collector accepts",
                    "set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
                )
            )
    elif cfg.protocol not in PROTOCOLS:
        add(
            Problem(
                "fail",
                f"{cfg.protocol_source}={proto!r} is not an OTLP protocol",
                f"use one of {', '.join(PROTOCOLS)}",
            )
        )
    headers_text, _ = _first(env, "OTEL_EXPORTER_OTLP_HEADERS")
    sig_headers, _ = _first(env, "OTEL_EXPORTER_OTLP_METRICS_HEADERS")
    for text in (headers_text, sig_headers):
        if text:
            hdrs, errs = parse_headers(text)
            cfg.headers.update(hdrs)
            for e in errs:
                add(
                    Problem(
                        "fail", f"OTEL_EXPORTER_OTLP_HEADERS: {e}", "write headers as key=value,key2=value2"
                    )
                )
    if not cfg.otlp:
        return cfg
    grpc = cfg.protocol == "grpc"
    if signal:
        cfg.endpoint = cfg.metrics_url = signal
        cfg.endpoint_source = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
    elif base:
        cfg.endpoint = base
        cfg.endpoint_source = "OTEL_EXPORTER_OTLP_ENDPOINT"
        cfg.metrics_url = base if grpc else base.rstrip("/") + "/v1/metrics"
    else:
        cfg.endpoint = DEFAULT_GRPC if grpc else DEFAULT_HTTP
        cfg.metrics_url = cfg.endpoint if grpc else cfg.endpoint + "/v1/metrics"
        add(
            Problem(
                "warn",
                f"no OTEL_EXPORTER_OTLP_ENDPOINT: metrics go to {cfg.endpoint} (a local sidecar)",
                "set OTEL_EXPORTER_OTLP_ENDPOINT to the collector URL",
            )
        )
    _check_url(cfg)
    return cfg


def _check_url(cfg: OtelConfig) -> None:
    url = cfg.metrics_url or ""
    var = cfg.endpoint_source or "OTEL_EXPORTER_OTLP_ENDPOINT"
    named = f" ({cfg.endpoint_source})" if cfg.endpoint_source else ""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        cfg.problems.append(
            Problem(
                "fail",
                f"the OTLP endpoint {url!r}{named} is not a valid URL",
                f"set {var} to https://collector.example.com",
            )
        )
        return
    if parts.scheme not in ("http", "https") or not host:
        cfg.problems.append(
            Problem(
                "fail",
                f"the OTLP endpoint {url!r}{named} is not an http(s) URL",
                f"set {var} to https://<collector host>",
            )
        )
    elif parts.scheme == "http" and not is_loopback(host):
        cfg.problems.append(
            Problem(
                "fail",
                f"the OTLP endpoint {parts.scheme}://{host}{named} is plain http to a remote host: user "
                "attribution headers (e-mail, team) travel unencrypted",
                f"set {var} to the collector's https:// URL",
            )
        )
    if (cfg.metrics_url or "").rstrip("/").endswith("/v1/metrics/v1/metrics"):
        cfg.problems.append(
            Problem(
                "fail",
                "the metrics URL repeats /v1/metrics: OTEL_EXPORTER_OTLP_ENDPOINT must be the base URL",
                "drop /v1/metrics from OTEL_EXPORTER_OTLP_ENDPOINT",
            )
        )
