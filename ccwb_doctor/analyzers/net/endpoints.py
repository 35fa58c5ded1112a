"""Endpoint derivation: which URLs the configuration really talks to, from plain values (never guessed).

Pure: takes dicts and strings (the helper profile, the Claude Code environment, the AWS profile and the
botocore-shaped AWS config) and returns :class:`Endpoint` values. botocore is imported inside functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ccwb_doctor.analyzers.net.endpoint import (
    BEDROCK,
    COLLECTOR,
    DISCOVERY_SUFFIX,
    GENERIC,
    IDP,
    KINDS,
    STS,
    TRUE_WORDS,
    Endpoint,
    _https,
    _s,
)

# --------------------------------------------------------------------------------------------- IdP
AUTO_SUFFIXES = (
    ((".okta.com", ".oktapreview.com", ".okta-emea.com"), "okta"),
    ((".auth0.com",), "auth0"),
    ((".microsoftonline.com", ".windows.net"), "azure"),
    ((".amazoncognito.com",), "cognito"),
)


def provider_type(profile: Mapping[str, Any]) -> str:
    """The provider_type the helper acts on: ``auto`` (or unset) is detected from the domain's host suffix."""
    ptype = _s(profile.get("provider_type")).lower()
    if ptype not in ("", "auto"):
        return ptype
    host = (urlsplit(_https(_s(profile.get("provider_domain")))).hostname or "").lower()
    if host == "accounts.google.com":
        return "google"
    if host.startswith("cognito-idp.") and host.endswith(".amazonaws.com"):
        return "cognito"
    for suffixes, name in AUTO_SUFFIXES:
        if any(host.endswith(sfx) or host == sfx[1:] for sfx in suffixes):
            return name
    return ptype or "auto"


def idp_issuer(profile: Mapping[str, Any]) -> tuple[str, str] | None:
    """(issuer URL, source) for a normalised helper profile, per provider_type; None when unknowable."""
    explicit = _s(profile.get("oidc_issuer_url"))
    if explicit:
        return explicit, "oidc_issuer_url"
    ptype = provider_type(profile)
    domain = _s(profile.get("provider_domain")).rstrip("/")
    if ptype == "google":
        return "https://accounts.google.com", "provider_type=google"
    if ptype == "cognito":
        pool = _s(profile.get("cognito_user_pool_id"))
        if "_" in pool:
            region = pool.split("_", 1)[0]
            return f"https://cognito-idp.{region}.amazonaws.com/{pool}", "cognito_user_pool_id"
        return None
    if not domain:
        return None
    if ptype == "okta":
        server = _s(profile.get("okta_auth_server_id")) or _s(profile.get("okta_auth_server"))
        base = _https(domain)
        return (
            (f"{base}/oauth2/{server}", "provider_domain+okta_auth_server_id")
            if server
            else (base, "provider_domain")
        )
    if ptype == "auth0":
        return _https(domain) + "/", "provider_domain"
    if ptype == "azure":
        base = _https(domain)
        if not base.endswith("/v2.0"):
            base += "/v2.0"
        return base, "provider_domain"
    return None


def idp_flow_endpoints(profile: Mapping[str, Any]) -> dict[str, str]:
    """The authorize/token URLs the AWS guidance's helper builds for its provider_type (anchor §2.4)."""
    ptype = provider_type(profile)
    domain = _s(profile.get("provider_domain")).rstrip("/")
    if ptype == "generic":
        out = {"authorization_endpoint": _s(profile.get("oidc_authorization_endpoint"))}
        out["token_endpoint"] = _s(profile.get("oidc_token_endpoint"))
        out["jwks_uri"] = _s(profile.get("oidc_jwks_uri"))
        return {k: v for k, v in out.items() if v}
    if ptype == "google":
        return {
            "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
            "token_endpoint": "https://oauth2.googleapis.com/token",
        }
    if not domain:
        return {}
    base = _https(domain)
    if ptype == "okta":
        server = _s(profile.get("okta_auth_server_id"))
        prefix = f"{base}/oauth2/{server}" if server else f"{base}/oauth2"
        return {"authorization_endpoint": f"{prefix}/v1/authorize", "token_endpoint": f"{prefix}/v1/token"}
    if ptype == "auth0":
        return {"authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/oauth/token"}
    if ptype == "azure":
        root = base[: -len("/v2.0")] if base.endswith("/v2.0") else base
        return {
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
        }
    if ptype == "cognito":
        return {
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "token_endpoint": f"{base}/oauth2/token",
        }
    return {}


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_SUFFIX


def idp_endpoint(profile: Mapping[str, Any] | None, provider_url: str | None = None) -> Endpoint | None:
    """The IdP discovery endpoint; an explicit provider URL (``--provider-url``) wins over the profile."""
    found: tuple[str, str] | None = None
    if provider_url:
        found = (_https(provider_url), "--provider-url")
    elif profile:
        found = idp_issuer(profile)
    if not found:
        return None
    issuer, source = found
    flow = idp_flow_endpoints(profile or {})
    return Endpoint(IDP, IDP, discovery_url(issuer), source, {"issuer": issuer, "flow": flow})


def discovered_endpoints(doc: Mapping[str, Any], already: set[tuple[str, int]]) -> list[Endpoint]:
    """Hosts named by a discovery document (jwks_uri, token_endpoint, authorization_endpoint) not yet probed."""
    out: list[Endpoint] = []
    for key in ("jwks_uri", "token_endpoint", "authorization_endpoint"):
        url = doc.get(key)
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            continue
        ep = Endpoint(GENERIC, f"idp:{key}", url, f"discovery.{key}", {"reachability": True})
        if (ep.host, ep.port) in already:
            continue
        already.add((ep.host, ep.port))
        out.append(ep)
    return out


def flow_endpoints(idp: Endpoint) -> list[Endpoint]:
    """The helper's own authorize/token/JWKS URLs (provider table or generic oidc_* keys) on other hosts."""
    seen = {(idp.host, idp.port)}
    out: list[Endpoint] = []
    for key, url in (idp.expect.get("flow") or {}).items():
        if not url.startswith(("https://", "http://")):
            continue
        ep = Endpoint(GENERIC, f"idp:{key}", url, f"helper {key}", {"reachability": True})
        if (ep.host, ep.port) not in seen:
            seen.add((ep.host, ep.port))
            out.append(ep)
    return out


# --------------------------------------------------------------------------------------------- AWS
def _truthy(v: Any) -> bool:
    return _s(v).lower() in TRUE_WORDS


def configured_endpoint_url(
    service_id: str,
    env: Mapping[str, str],
    aws_config: Mapping[str, Any] | None,
    profile: Mapping[str, Any] | None,
) -> tuple[str, str] | None:
    """(URL, source) from AWS_ENDPOINT_URL_<SVC> / AWS_ENDPOINT_URL / services section / endpoint_url.

    Uses botocore's ConfiguredEndpointProvider (the SDKs' precedence); honours the ignore switch.
    """
    prof = dict(profile or {})
    if not any(k.startswith("AWS_ENDPOINT_URL") for k in env) and not (
        prof.get("endpoint_url") or prof.get("services")
    ):
        return None  # nothing for the provider to find (and botocore.configprovider costs ~50 ms to import)
    from botocore.configprovider import ConfiguredEndpointProvider

    if _truthy(env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) or _truthy(
        prof.get("ignore_configured_endpoint_urls")
    ):
        return None
    full = dict(aws_config or {})
    full.setdefault("profiles", {})
    full.setdefault("services", {})
    url = ConfiguredEndpointProvider(full, prof, service_id, environ=dict(env)).provide()
    if not url:
        return None
    env_key = "AWS_ENDPOINT_URL_" + service_id.upper().replace("-", "_").replace(" ", "_")
    if env.get(env_key):
        source = env_key
    elif env.get("AWS_ENDPOINT_URL"):
        source = "AWS_ENDPOINT_URL"
    elif prof.get("services"):
        source = f"services {prof.get('services')} / endpoint_url"
    else:
        source = "profile endpoint_url"
    return str(url), source


def _flag(env: Mapping[str, str], profile: Mapping[str, Any] | None, env_key: str, cfg_key: str) -> bool:
    if env_key in env:
        return _truthy(env.get(env_key))
    return _truthy((profile or {}).get(cfg_key))


def ruleset_url(service: str, region: str, *, fips: bool = False, dualstack: bool = False) -> str:
    """The endpoint botocore's rule set resolves for ``service`` in ``region``."""
    from botocore.endpoint_provider import EndpointProvider
    from botocore.loaders import create_loader

    loader = create_loader()
    ruleset = loader.load_service_model(service, "endpoint-rule-set-1")
    provider = EndpointProvider(ruleset, loader.load_data("partitions"))
    params: dict[str, Any] = {"Region": region, "UseFIPS": fips, "UseDualStack": dualstack}
    if "UseGlobalEndpoint" in ruleset.get("parameters", {}):
        params["UseGlobalEndpoint"] = False
    return str(provider.resolve_endpoint(**params).url)


def aws_endpoint(
    kind: str,
    service: str,
    region: str,
    env: Mapping[str, str],
    aws_config: Mapping[str, Any] | None = None,
    profile: Mapping[str, Any] | None = None,
    name: str | None = None,
    region_source: str = "",
) -> Endpoint:
    """An AWS service endpoint: a configured endpoint URL if any, else the rule-set host for the region.

    Raises ValueError (botocore's InvalidRegionError) for a region botocore would refuse as a client region.
    """
    from botocore.utils import validate_region_name

    expect = {"region": region, "service": service}
    configured = configured_endpoint_url(service, env, aws_config, profile)
    if configured:
        return Endpoint(kind, name or kind, configured[0], configured[1], expect)
    try:
        validate_region_name(region)
    except ValueError:
        raise ValueError(f"{region_source or 'region'} {region!r} is not a valid AWS region name") from None
    fips = _flag(env, profile, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")
    dual = _flag(env, profile, "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")
    expect.update(fips=fips, dualstack=dual)
    url = ruleset_url(service, region, fips=fips, dualstack=dual)
    src = f"botocore rule set ({region_source or 'region'}={region}{', FIPS' if fips else ''})"
    return Endpoint(kind, name or kind, url, src, expect)


def sts_endpoint(
    helper_profile: Mapping[str, Any] | None,
    env: Mapping[str, str],
    aws_config: Mapping[str, Any] | None = None,
    profile: Mapping[str, Any] | None = None,
) -> Endpoint | None:
    """STS for the helper's region (the helper calls AssumeRoleWithWebIdentity there).

    The reference helper's own ``sts_endpoint_url`` (config.json) counts after the environment variables,
    as the helper itself applies it; the AWS profile's endpoint_url / services section come through botocore.
    """
    own = _s((helper_profile or {}).get("sts_endpoint_url"))
    if (
        own
        and not _truthy(env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
        and not (env.get("AWS_ENDPOINT_URL_STS") or env.get("AWS_ENDPOINT_URL"))
    ):
        expect = {"region": _s((helper_profile or {}).get("aws_region")), "service": "sts"}
        return Endpoint(STS, STS, own, "helper sts_endpoint_url", expect)
    region = _s((helper_profile or {}).get("aws_region"))
    source = "helper aws_region"
    if not region:
        region = (
            _s((profile or {}).get("region"))
            or _s(env.get("AWS_REGION"))
            or _s(env.get("AWS_DEFAULT_REGION"))
        )
        source = "profile/env region"
    if not region:
        return None
    return aws_endpoint(STS, "sts", region, env, aws_config, profile, region_source=source)


def bedrock_regions(
    env: Mapping[str, str], profile: Mapping[str, Any] | None = None
) -> list[tuple[str, str]]:
    """Every (region, source) Claude Code sends Bedrock runtime calls to, primary first, deduplicated."""
    out: list[tuple[str, str]] = []
    primary = _s(env.get("AWS_REGION"))
    src = "AWS_REGION"
    if not primary:
        primary, src = _s(env.get("AWS_DEFAULT_REGION")), "AWS_DEFAULT_REGION"
    if not primary:
        primary, src = _s((profile or {}).get("region")), "profile region"
    if primary:
        out.append((primary, src))
    small = _s(env.get("ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION"))
    if small and small not in {r for r, _ in out}:
        out.append((small, "ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION"))
    return out


def bedrock_endpoints(
    env: Mapping[str, str],
    aws_config: Mapping[str, Any] | None = None,
    profile: Mapping[str, Any] | None = None,
) -> list[Endpoint]:
    """Bedrock runtime per region; ANTHROPIC_BEDROCK_BASE_URL overrides every region's endpoint. As Claude
    Code decides: AWS_ENDPOINT_URL_BEDROCK_RUNTIME / AWS_ENDPOINT_URL do not apply (ccwb_doctor.analyzers.net.claude_endpoints)."""
    from ccwb_doctor.analyzers.net.claude_endpoints import runtime_env

    env = runtime_env(env)
    base = _s(env.get("ANTHROPIC_BEDROCK_BASE_URL"))
    regions = bedrock_regions(env, profile)
    if base:
        rs = [r for r, _ in regions]
        return [
            Endpoint(BEDROCK, BEDROCK, base, "ANTHROPIC_BEDROCK_BASE_URL", {"regions": rs, "gateway": True})
        ]
    out: list[Endpoint] = []
    for region, source in regions:
        ep = aws_endpoint(
            BEDROCK, "bedrock-runtime", region, env, aws_config, profile, f"bedrock:{region}", source
        )
        if any(e.url == ep.url for e in out):
            continue
        out.append(ep)
    return out


# ------------------------------------------------------------------------------------------- OTel
def otlp_metrics_url(env: Mapping[str, str]) -> tuple[str, str, str] | None:
    """(metrics URL, protocol, source) per the OTel exporter spec, or None when nothing is configured.

    The signal-specific variable is used as-is; the generic one is a base URL to which ``v1/metrics`` is
    appended (relative to a base path, no double slash). For gRPC no path is appended.
    """
    proto = _s(env.get("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL")) or _s(env.get("OTEL_EXPORTER_OTLP_PROTOCOL"))
    proto = proto or "http/protobuf"
    specific = _s(env.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))
    if specific:
        return specific, proto, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
    base = _s(env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
    if not base:
        return None
    if proto == "grpc":
        return base, proto, "OTEL_EXPORTER_OTLP_ENDPOINT"
    return (base if base.endswith("/") else base + "/") + "v1/metrics", proto, "OTEL_EXPORTER_OTLP_ENDPOINT"


def telemetry_enabled(env: Mapping[str, str]) -> bool:
    return _truthy(env.get("CLAUDE_CODE_ENABLE_TELEMETRY"))


def collector_endpoint(env: Mapping[str, str]) -> Endpoint | None:
    found = otlp_metrics_url(env)
    if not found:
        return None
    url, proto, source = found
    expect = {"protocol": proto, "telemetry_enabled": telemetry_enabled(env)}
    return Endpoint(COLLECTOR, COLLECTOR, url, source, expect)


# ------------------------------------------------------------------------------------------- all
def adhoc_endpoint(name: str, url: str) -> Endpoint:
    """`net --endpoint NAME=URL`: idp/sts/bedrock/collector pick those expectations, others are generic."""
    kind = name if name in KINDS else GENERIC
    url = _https(url) if "://" not in url else url
    expect: dict[str, Any] = {}
    if kind == IDP:
        if url.rstrip("/").endswith(DISCOVERY_SUFFIX):
            issuer = url.rstrip("/")[: -len(DISCOVERY_SUFFIX)]
        else:
            issuer, url = url, discovery_url(url)
        expect = {"issuer": issuer, "flow": {}}
    elif kind == COLLECTOR:
        expect = {"protocol": "http/protobuf", "telemetry_enabled": True}
    return Endpoint(kind, name, url, "--endpoint", expect)


def derive_all(
    helper_profile: Mapping[str, Any] | None,
    claude_env: Mapping[str, str],
    profile: Mapping[str, Any] | None,
    aws_config: Mapping[str, Any] | None,
    provider_url: str | None = None,
    errors: dict[str, str] | None = None,
) -> list[Endpoint]:
    """Every endpoint the configuration will use: IdP, STS, Bedrock per region, collector.

    With ``errors``, a kind whose endpoint cannot be derived (say an invalid region) records a one-line
    reason there and the other kinds are still derived; without it the first such error is raised.
    """
    out: list[Endpoint] = []

    def each(kind: str, derive: Any) -> None:
        try:
            found = derive()
        except (ValueError, LookupError, TypeError) as exc:
            if errors is None:
                raise
            errors.setdefault(kind, " ".join(str(exc).split())[:300])
            return
        out.extend(e for e in (found if isinstance(found, list) else [found]) if e is not None)

    def idp_and_flow() -> list[Endpoint]:
        idp = idp_endpoint(helper_profile, provider_url)
        return [idp, *flow_endpoints(idp)] if idp else []

    each(IDP, idp_and_flow)
    each(STS, lambda: sts_endpoint(helper_profile, claude_env, aws_config, profile))
    each(BEDROCK, lambda: bedrock_endpoints(claude_env, aws_config, profile))
    each(COLLECTOR, lambda: collector_endpoint(claude_env))
    return out
