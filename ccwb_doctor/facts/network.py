"""Network facts: the endpoints the configuration really uses, and ONE staged probe run shared by NET-*.

Test/embedder injection through ``options.extra``: ``net_nameservers`` (list of "ip:port" or (ip, port)),
``net_cafile`` (the trust store standing for the system one), ``net_public_cafile`` (the public bundle),
``net_hosts_file``, ``net_timeout`` (the probes' deadline, when no runner timeout applies) and ``net_listener`` (a progress callback ``(ProbeResult, Stage | None) -> None``).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

from ccwb_doctor.facts import Facts, castore, fact
from ccwb_doctor.records import record

PROBE_CAP_S = 10.0
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@record
class NetEndpoints:
    items: list[Any] = field(default_factory=list)  # analyzers.net.endpoint.Endpoint
    errors: dict[str, str] = field(default_factory=dict)  # kind -> one-line reason the input was unusable
    env: dict[str, str] = field(
        default_factory=dict
    )  # the environment Claude Code (and its helper) runs with
    adhoc: bool = False

    def of_kind(self, kind: str) -> list[Any]:
        return [e for e in self.items if e.kind == kind]


@record
class NetResults:
    results: list[Any]  # analyzers.net.probe.ProbeResult
    timeout: float
    resolver: str

    def of_kind(self, kind: str) -> list[Any]:
        return [r for r in self.results if r.endpoint.kind == kind or r.endpoint.name.startswith(f"{kind}:")]


def _try(facts: Facts, name: str, errors: dict[str, str], kinds: tuple[str, ...]) -> Any:
    try:
        return facts.get(name)
    except AttributeError:
        return None
    except Exception as exc:  # noqa: BLE001 - recorded per endpoint kind, reported by that check
        for k in kinds:
            errors.setdefault(k, " ".join(str(exc).split())[:300])
        return None


def _register_secrets(facts: Facts, env: dict[str, str]) -> None:
    for var in PROXY_VARS:
        value = env.get(var)
        if value:
            parts = urlsplit(value if "://" in value else f"http://{value}")
            if parts.password:
                facts.secrets.add(parts.password)
                facts.secrets.add(value)


def _register_url_secrets(facts: Facts, items: list[Any]) -> None:
    for ep in items:
        try:
            password = urlsplit(ep.url).password
        except ValueError:
            password = None
        if password:
            facts.secrets.add(password)


@fact("endpoints")
def _endpoints(facts: Facts) -> NetEndpoints:
    from ccwb_doctor.analyzers.net.endpoint import COLLECTOR
    from ccwb_doctor.analyzers.net.endpoints import adhoc_endpoint, derive_all

    errors: dict[str, str] = {}
    env = _try(facts, "claude_env", errors, ("idp", "sts", "bedrock", "collector"))
    env = dict(env) if isinstance(env, dict) else dict(facts.env)
    _register_secrets(facts, env)
    if facts.options.endpoints:
        items = [adhoc_endpoint(n, u) for n, u in facts.options.endpoints.items()]
        _register_url_secrets(facts, items)
        return NetEndpoints(items, {}, env, adhoc=True)
    helper = _try(facts, "helper_profile", errors, ("idp", "sts"))
    profile = _try(facts, "profile", errors, ("sts", "bedrock"))
    aws_config = _try(facts, "aws_config", errors, ("sts", "bedrock"))
    try:
        items = derive_all(helper, env, profile, aws_config, facts.options.provider_url, errors)
    except Exception as exc:  # noqa: BLE001 - last resort: botocore data missing or unreadable
        items = []
        for kind in ("idp", "sts", "bedrock", "collector"):
            errors.setdefault(kind, f"cannot derive endpoints: {exc}")
    settings = _try(facts, "claude_settings", errors, ())
    merged = getattr(settings, "merged", {}) or {}
    auth = bool(
        merged.get("otelHeadersHelper")
        or env.get("OTEL_EXPORTER_OTLP_HEADERS")
        or env.get("OTEL_EXPORTER_OTLP_METRICS_HEADERS")
    )
    _register_url_secrets(facts, items)
    for ep in items:
        if ep.kind == COLLECTOR:
            ep.expect["auth_configured"] = auth
    return NetEndpoints(items, errors, env)


def _nameservers(raw: Any) -> list[tuple[str, int]] | None:
    if not raw:
        return None
    out: list[tuple[str, int]] = []
    for item in raw:
        if isinstance(item, (tuple, list)):
            out.append((str(item[0]), int(item[1])))
        else:
            host, _, port = str(item).rpartition(":")
            out.append((host.strip("[]"), int(port)) if host else (str(item), 53))
    return out


def probe_timeout(check_timeout: float) -> float:
    """The probes' global deadline: at most 10 s, and inside the runner's per-check timeout with headroom
    for set-up (imports, CA bundles) and the checks' own work, so a stalled endpoint is a FAIL naming its
    stage rather than a check timing out."""
    return max(0.2, min(PROBE_CAP_S, check_timeout * 0.8 - 0.1))


def probe_settings(facts: Facts, env: dict[str, str]) -> Any:
    from ccwb_doctor.analyzers.net.model import ProbeSettings

    extra = facts.options.extra
    return ProbeSettings(
        timeout=float(extra.get("net_timeout") or probe_timeout(float(facts.options.timeout or PROBE_CAP_S))),  # type: ignore[arg-type]
        nameservers=_nameservers(extra.get("net_nameservers")),
        cafile=extra.get("net_cafile") or env.get("AWS_CA_BUNDLE") or None,  # type: ignore[arg-type]
        public_cafile=extra.get("net_public_cafile") or None,  # type: ignore[arg-type]
        env=env,
        hosts_file=extra.get("net_hosts_file", "/etc/hosts"),  # type: ignore[arg-type]
        client_cas={kind: castore.client_cas(env, kind) for kind in castore.CLIENT_CA_VARS},
    )


@fact("net_results")
def _net_results(facts: Facts) -> NetResults:
    from ccwb_doctor.analyzers.net.dns import resolver_label
    from ccwb_doctor.analyzers.net.probe import probe_all

    eps: NetEndpoints = facts.endpoints
    settings = probe_settings(facts, eps.env)
    targets = [e for e in eps.items if e.expect.get("telemetry_enabled", True)]
    listener = facts.options.extra.get("net_listener")
    results = probe_all(targets, settings, listener if callable(listener) else None)
    return NetResults(results, settings.timeout, resolver_label(settings))
