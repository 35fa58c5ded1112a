"""NET-*: staged reachability (proxy → DNS → TCP → TLS → HTTP) of every endpoint, naming the failing stage.

The per-endpoint verdict and the fix lines live in ``analyzers/net/verdicts.py`` (``ccwb-doctor net`` uses them too).
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.analyzers.net.verdicts import FIXES, fix_for, outcome_for
from ccwb_doctor.model import Outcome, error, fail, ok, skip, warn
from ccwb_doctor.registry import check

DOCS = "https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html"
OFFLINE = "offline mode: network probes are not run (drop --offline to probe)"


def _probe_kind(facts: Any, kind: str, missing: str) -> list[Outcome] | Outcome:
    if facts.options.offline:
        return skip(OFFLINE)
    eps = facts.endpoints
    if kind in eps.errors and not eps.of_kind(kind):
        return error(f"cannot derive the {kind} endpoint: {eps.errors[kind]}")
    if not eps.of_kind(kind):
        return skip(missing)
    results = facts.net_results.of_kind(kind)
    if not results:
        return skip(missing)
    return [outcome_for(r) for r in results]


@check(
    "NET-IDP",
    title="IdP discovery, JWKS and token endpoints are reachable",
    area="network",
    severity="high",
    remediation=FIXES["dns"],
    docs="https://openid.net/specs/openid-connect-discovery-1_0.html",
    needs=("helper_profile", "claude_env"),
)
def net_idp(facts: Any) -> Outcome | list[Outcome]:
    return _probe_kind(facts, "idp", "no IdP issuer in the configuration (provider_domain / oidc_issuer_url)")


@check(
    "NET-STS",
    title="STS endpoint for the helper's region is reachable",
    area="network",
    severity="high",
    remediation=FIXES["tcp"],
    docs=DOCS,
    needs=("helper_profile", "claude_env", "profile", "aws_config"),
)
def net_sts(facts: Any) -> Outcome | list[Outcome]:
    return _probe_kind(facts, "sts", "no region for STS (helper aws_region / profile region / AWS_REGION)")


@check(
    "NET-BEDROCK",
    title="Bedrock runtime is reachable in every configured region",
    area="network",
    severity="high",
    remediation=FIXES["tcp"],
    docs="https://docs.aws.amazon.com/general/latest/gr/bedrock.html",
    needs=("claude_env", "profile", "aws_config"),
)
def net_bedrock(facts: Any) -> Outcome | list[Outcome]:
    from ccwb_doctor.analyzers.net.claude_endpoints import ignored_runtime_vars

    found = _probe_kind(facts, "bedrock", "no Bedrock region configured (AWS_REGION / profile region)")
    from ccwb_doctor.analyzers.net.claude_endpoints import RUNTIME_IGNORED, base_url
    from ccwb_doctor.analyzers.net.endpoints import configured_endpoint_url

    env = facts.claude_env
    ignored = ignored_runtime_vars(env)
    if not base_url(env):  # the profile's endpoint_url / a services section: ignored by the runtime too
        rest = {k: v for k, v in env.items() if k not in RUNTIME_IGNORED}
        try:
            cfg = configured_endpoint_url(
                "bedrock-runtime", rest, facts.peek("aws_config"), facts.peek("profile")
            )
        except Exception:  # noqa: BLE001 - an unreadable config is CONFIG-PROFILE's verdict
            cfg = None
        if cfg:
            ignored.append((cfg[1], cfg[0]))
    if not ignored:
        return found
    out = found if isinstance(found, list) else [found]
    for var, url in ignored:
        also = " (it uses it only for ListInferenceProfiles)" if var == "AWS_ENDPOINT_URL" else ""
        out.append(
            warn(
                f"{var}={url} is set, but Claude Code's Bedrock client ignores it for model calls{also}: "
                "it calls the regional bedrock-runtime endpoint instead",
                fix=f"To send Claude Code to {url}, set ANTHROPIC_BEDROCK_BASE_URL={url} in the env block of "
                "~/.claude/settings.json (Claude Code honours that one for the runtime and the control plane).",
                evidence={"variable": var, "url": url, "honoured": "ANTHROPIC_BEDROCK_BASE_URL"},
            )
        )
    return out


@check(
    "NET-COLLECTOR",
    title="OTLP collector accepts an export",
    area="network",
    severity="low",
    remediation=FIXES["http"],
    docs="https://opentelemetry.io/docs/specs/otel/protocol/exporter/",
    needs=("claude_env",),
)
def net_collector(facts: Any) -> Outcome | list[Outcome]:
    if facts.options.offline:
        return skip(OFFLINE)
    eps = facts.endpoints
    cols = eps.of_kind("collector")
    if cols and not any(c.expect.get("telemetry_enabled", True) for c in cols):
        return skip("telemetry is off (CLAUDE_CODE_ENABLE_TELEMETRY is not 1): the collector is not used")
    return _probe_kind(facts, "collector", "no collector configured (OTEL_EXPORTER_OTLP_ENDPOINT unset)")


@check(
    "NET-PROXY",
    title="Proxy settings are coherent and no TLS interception breaks the chain",
    area="network",
    severity="medium",
    remediation=FIXES["proxy"],
    docs="https://docs.aws.amazon.com/sdkref/latest/guide/feature-proxy.html",
    needs=("claude_env",),
)
def net_proxy(facts: Any) -> Outcome | list[Outcome]:
    if facts.options.offline:
        return skip(OFFLINE)
    from ccwb_doctor.analyzers.net.proxy import proxy_for

    eps = facts.endpoints
    results = facts.net_results.results
    env = eps.env
    routes = {r.endpoint.name: r.proxy for r in results}
    conflicts = sorted({c for e in eps.items for c in proxy_for(e.url, env).conflicts})
    ev: dict[str, Any] = {"routes": routes, "conflicts": conflicts}
    proxy_fail = [r for r in results if any(s.stage == "proxy" and s.status == "fail" for s in r.stages)]
    proxy_fail += [
        r for r in results if r not in proxy_fail and any(s.code.startswith("proxy-") for s in r.stages)
    ]
    if proxy_fail:
        r = proxy_fail[0]
        bad = next(s for s in r.stages if s.stage == "proxy" or s.code.startswith("proxy-"))
        ev["failures"] = {x.endpoint.name: x.to_dict()["stages"] for x in proxy_fail}
        fix = fix_for(r) or FIXES["proxy"]
        others = f" (and {len(proxy_fail) - 1} more endpoint(s))" if len(proxy_fail) > 1 else ""
        return fail(f"{bad.detail}{others}", fix=fix, evidence=ev)
    intercepted = [
        (r, s)
        for r in results
        for s in r.stages
        if s.stage == "tls" and (s.data.get("interception") or s.data.get("interception_suspected"))
    ]
    if intercepted:
        r, s = intercepted[0]
        issuer = s.data.get("cert", {}).get("issuer_name", "?")
        ev["intercepted"] = sorted({x.endpoint.host for x, _ in intercepted})
        msg = f"TLS interception by '{issuer}' on {', '.join(ev['intercepted'])}"
        fix = "Give Claude Code and the helper the inspection root: NODE_EXTRA_CA_CERTS / AWS_CA_BUNDLE / SSL_CERT_FILE."
        return warn(msg, fix=fix, evidence=ev)
    stranded = [
        r
        for r in results
        if r.proxy.get("bypassed_by") not in (None, "loopback")
        and r.failed_stage in ("dns", "tcp")
        and any(x.proxy.get("proxy") and x.status != "fail" for x in results)
    ]
    if stranded:
        r = stranded[0]
        ev["stranded"] = [x.endpoint.host for x in stranded]
        msg = (
            f"NO_PROXY entry {r.proxy['bypassed_by']!r} sends {r.endpoint.host} direct, but it is not reachable "
            f"directly ({r.failed_stage} fails) while the proxy works for other endpoints"
        )
        return warn(
            msg,
            fix="Remove that NO_PROXY entry, or open the direct path (VPC endpoint, firewall).",
            evidence=ev,
        )
    if conflicts:
        return warn(
            f"proxy variables disagree ({'; '.join(conflicts)}): Go and Python SDKs pick different ones",
            fix=None,
            evidence=ev,
        )
    proxied = [n for n, p in routes.items() if p.get("proxy")]
    if not proxied:
        return ok(
            "no proxy in use for any endpoint; direct connections" + ("" if results else " (nothing probed)"),
            evidence=ev,
        )
    return ok(f"proxy used for {', '.join(proxied)}; every tunnel opened", evidence=ev)
