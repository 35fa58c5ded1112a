"""Endpoint derivation from plain values, and proxy selection the way the AWS SDKs do it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.net import endpoint as nep
from ccwb_doctor.analyzers.net import endpoints as ne
from ccwb_doctor.analyzers.net.proxy import no_proxy_match, proxy_for, strip_credentials


@pytest.mark.parametrize(
    ("profile", "issuer", "token"),
    [
        (
            {"provider_type": "okta", "provider_domain": "dev-1.okta.com"},
            "https://dev-1.okta.com",
            "https://dev-1.okta.com/oauth2/v1/token",
        ),
        (
            {"provider_type": "okta", "provider_domain": "dev-1.okta.com", "okta_auth_server_id": "default"},
            "https://dev-1.okta.com/oauth2/default",
            "https://dev-1.okta.com/oauth2/default/v1/token",
        ),
        (
            {"provider_type": "auth0", "provider_domain": "x.auth0.com"},
            "https://x.auth0.com/",
            "https://x.auth0.com/oauth/token",
        ),
        (
            {"provider_type": "azure", "provider_domain": "login.microsoftonline.com/tid/v2.0"},
            "https://login.microsoftonline.com/tid/v2.0",
            "https://login.microsoftonline.com/tid/oauth2/v2.0/token",
        ),
        (
            {
                "provider_type": "cognito",
                "provider_domain": "a.auth.eu-west-1.amazoncognito.com",
                "cognito_user_pool_id": "eu-west-1_AbC",
            },
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
            "https://a.auth.eu-west-1.amazoncognito.com/oauth2/token",
        ),
        ({"provider_type": "google"}, "https://accounts.google.com", "https://oauth2.googleapis.com/token"),
        (
            {
                "provider_type": "generic",
                "oidc_issuer_url": "https://idp.example.corp/realms/main",
                "oidc_token_endpoint": "https://idp.example.corp/realms/main/protocol/openid-connect/token",
            },
            "https://idp.example.corp/realms/main",
            "https://idp.example.corp/realms/main/protocol/openid-connect/token",
        ),
    ],
)
def test_idp_per_provider_type(profile: dict[str, str], issuer: str, token: str) -> None:
    ep = ne.idp_endpoint(profile)
    assert ep is not None
    assert ep.expect["issuer"] == issuer
    assert ep.url == issuer.rstrip("/") + "/.well-known/openid-configuration"
    assert ep.expect["flow"]["token_endpoint"] == token


@pytest.mark.parametrize(
    ("domain", "kind"),
    [
        ("dev-1.okta.com", "okta"),
        ("x.oktapreview.com", "okta"),
        ("tenant.auth0.com", "auth0"),
        ("login.microsoftonline.com/tid/v2.0", "azure"),
        ("accounts.google.com", "google"),
        ("pool.auth.us-east-1.amazoncognito.com", "cognito"),
        ("idp.example.corp", "auto"),
    ],
)
def test_auto_provider_type_from_domain(domain: str, kind: str) -> None:
    assert ne.provider_type({"provider_type": "auto", "provider_domain": domain}) == kind
    assert ne.provider_type({"provider_domain": domain}) == kind


def test_idp_unknowable_and_provider_url_override() -> None:
    assert ne.idp_endpoint({"provider_type": "auto", "provider_domain": "x.example"}) is None
    assert ne.idp_endpoint({"provider_type": "cognito"}) is None
    assert ne.idp_endpoint(None) is None
    ep = ne.idp_endpoint(
        {"provider_type": "okta", "provider_domain": "a.okta.com"}, "https://other.example/x"
    )
    assert (
        ep is not None and ep.expect["issuer"] == "https://other.example/x" and ep.source == "--provider-url"
    )


def test_discovered_endpoints_skip_known_hosts() -> None:
    doc = {
        "jwks_uri": "https://keys.example/jwks",
        "token_endpoint": "https://idp.example/token",
        "issuer": "x",
    }
    out = ne.discovered_endpoints(doc, {("idp.example", 443)})
    assert [e.name for e in out] == ["idp:jwks_uri"]


@pytest.mark.parametrize(
    ("region", "env", "url"),
    [
        ("us-east-1", {}, "https://sts.us-east-1.amazonaws.com"),
        ("eu-west-1", {"AWS_USE_FIPS_ENDPOINT": "true"}, "https://sts-fips.eu-west-1.amazonaws.com"),
        ("cn-north-1", {}, "https://sts.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", {"AWS_USE_FIPS_ENDPOINT": "true"}, "https://sts.us-gov-west-1.amazonaws.com"),
        ("us-east-1", {"AWS_ENDPOINT_URL_STS": "https://vpce-sts.example"}, "https://vpce-sts.example"),
        ("us-east-1", {"AWS_ENDPOINT_URL": "https://all.example"}, "https://all.example"),
        (
            "us-east-1",
            {"AWS_ENDPOINT_URL": "https://all.example", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
            "https://sts.us-east-1.amazonaws.com",
        ),
    ],
)
def test_sts_endpoint(region: str, env: dict[str, str], url: str) -> None:
    ep = ne.sts_endpoint({"aws_region": region}, env)
    assert ep is not None and ep.url == url and ep.kind == "sts"


def test_sts_profile_services_section_and_fips_from_profile() -> None:
    cfg = {
        "profiles": {"p": {"services": "corp"}},
        "services": {"corp": {"sts": {"endpoint_url": "https://sts.corp"}}},
    }
    ep = ne.sts_endpoint({"aws_region": "us-east-1"}, {}, cfg, {"services": "corp"})
    assert ep is not None and ep.url == "https://sts.corp" and "services" in ep.source
    ep = ne.sts_endpoint(
        {"aws_region": "us-east-1"}, {}, {"profiles": {}}, {"endpoint_url": "https://p.example"}
    )
    assert ep is not None and ep.url == "https://p.example"
    ep = ne.sts_endpoint({"aws_region": "us-west-2"}, {}, None, {"use_fips_endpoint": "true"})
    assert ep is not None and ep.url == "https://sts-fips.us-west-2.amazonaws.com"
    assert ne.sts_endpoint({}, {}, None, None) is None


def test_bedrock_regions_and_overrides() -> None:
    env = {"AWS_REGION": "us-east-1", "ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION": "us-west-2"}
    eps = ne.bedrock_endpoints(env)
    assert [e.url for e in eps] == [
        "https://bedrock-runtime.us-east-1.amazonaws.com",
        "https://bedrock-runtime.us-west-2.amazonaws.com",
    ]
    assert [e.name for e in eps] == ["bedrock:us-east-1", "bedrock:us-west-2"]
    gw = ne.bedrock_endpoints({**env, "ANTHROPIC_BEDROCK_BASE_URL": "https://llm-gw.corp/bedrock"})
    assert len(gw) == 1 and gw[0].url == "https://llm-gw.corp/bedrock" and gw[0].expect["gateway"]
    vpce = ne.bedrock_endpoints({**env, "ANTHROPIC_BEDROCK_BASE_URL": "https://vpce-br.example"})
    assert [e.url for e in vpce] == ["https://vpce-br.example"]  # same URL for both regions: probed once
    # Claude Code's runtime client ignores these two (found with the real binary): the regional hosts stay
    for var in ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL"):
        assert ne.bedrock_endpoints({**env, var: "https://vpce-br.example"}) == eps
    china = ne.bedrock_endpoints({"AWS_REGION": "cn-north-1"})
    assert china[0].url == "https://bedrock-runtime.cn-north-1.amazonaws.com.cn"
    assert ne.bedrock_endpoints({}, None, {"region": "eu-central-1"})[0].expect["region"] == "eu-central-1"


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example"}, "https://c.example/v1/metrics"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example/"}, "https://c.example/v1/metrics"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example/otlp"}, "https://c.example/otlp/v1/metrics"),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example",
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "https://m.example/x",
            },
            "https://m.example/x",
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "https://c.example:4317",
        ),
    ],
)
def test_collector_url_per_otel_spec(env: dict[str, str], url: str) -> None:
    ep = ne.collector_endpoint(env)
    assert ep is not None and ep.url == url


def test_collector_absent_and_telemetry_flag() -> None:
    assert ne.collector_endpoint({}) is None
    ep = ne.collector_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"})
    assert ep is not None and ep.expect["telemetry_enabled"] is False


def test_adhoc_names() -> None:
    assert (
        ne.adhoc_endpoint("idp", "https://i.example").url
        == "https://i.example/.well-known/openid-configuration"
    )
    assert (
        ne.adhoc_endpoint("idp", "https://i.example/.well-known/openid-configuration").expect["issuer"]
        == "https://i.example"
    )
    assert ne.adhoc_endpoint("jwks", "keys.example").kind == "generic"
    assert ne.adhoc_endpoint("jwks", "keys.example").url == "https://keys.example"


def test_derive_all_from_a_guidance_shaped_config() -> None:
    helper = {"provider_type": "okta", "provider_domain": "dev-1.okta.com", "aws_region": "us-east-1"}
    env = {
        "AWS_REGION": "eu-west-1",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example",
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
    }
    eps = ne.derive_all(helper, env, {"region": "us-east-1"}, {"profiles": {}})
    assert [(e.kind, e.host) for e in eps] == [
        ("idp", "dev-1.okta.com"),
        ("sts", "sts.us-east-1.amazonaws.com"),
        ("bedrock", "bedrock-runtime.eu-west-1.amazonaws.com"),
        ("collector", "otel.example"),
    ]


def test_flow_endpoints_on_other_hosts_are_probed_too() -> None:
    eps = ne.derive_all({"provider_type": "google", "aws_region": "us-east-1"}, {}, None, None)
    assert [(e.name, e.url) for e in eps[:2]] == [
        ("idp", "https://accounts.google.com/.well-known/openid-configuration"),
        ("idp:token_endpoint", "https://oauth2.googleapis.com/token"),
    ]
    generic = {
        "provider_type": "generic",
        "oidc_issuer_url": "https://idp.corp/realms/x",
        "oidc_jwks_uri": "https://keys.corp/certs",
        "oidc_token_endpoint": "https://idp.corp/realms/x/token",
    }
    names = [e.name for e in ne.derive_all(generic, {}, None, None)]
    assert names == ["idp", "idp:jwks_uri"]


# ------------------------------------------------------------------------------------------ proxy
def test_proxy_selection() -> None:
    env = {
        "HTTPS_PROXY": "http://u:pw@proxy.corp:3128",
        "NO_PROXY": "localhost,.internal.corp,10.0.0.0/8,api.x:8443",
    }
    c = proxy_for("https://sts.us-east-1.amazonaws.com", env)
    assert c.proxy == "http://proxy.corp:3128" and c.proxy_raw == "http://u:pw@proxy.corp:3128"
    assert "pw" not in str(c.to_dict())
    assert proxy_for("https://idp.internal.corp/x", env).bypassed_by == ".internal.corp"
    assert proxy_for("https://internal.corp/x", env).bypassed_by == ".internal.corp"
    assert proxy_for("https://10.2.3.4/", env).bypassed_by == "10.0.0.0/8"
    assert proxy_for("https://api.x:8443/", env).bypassed_by == "api.x:8443"
    assert proxy_for("https://api.x/", env).proxy is not None
    assert proxy_for("https://127.0.0.1:9/", env).bypassed_by == "loopback"
    assert proxy_for("http://plain.example/", env).proxy is None  # http URLs read HTTP_PROXY
    assert proxy_for("https://a.example", {"https_proxy": "p1:1", "HTTPS_PROXY": "p2:2"}).conflicts
    assert proxy_for("https://a.example", {"HTTPS_PROXY": "x:1", "NO_PROXY": "*"}).bypassed_by == "*"


def test_safe_url_masks_passwords() -> None:
    assert nep.safe_url("https://u:pw@h.example:8443/x?y=1") == "https://u:****@h.example:8443/x?y=1"
    assert nep.safe_url("https://h.example/x") == "https://h.example/x"
    ep = ne.adhoc_endpoint("web", "https://u:pw@h.example/")
    assert "pw" not in str(ep.to_dict()) and ep.url == "https://u:pw@h.example/"


def test_strip_credentials() -> None:
    assert strip_credentials("http://a:b@[::1]:8080") == "http://[::1]:8080"
    assert strip_credentials("proxy:3128") == "http://proxy:3128"


@settings(max_examples=150, deadline=None)
@given(host=st.text(max_size=40), no_proxy=st.text(max_size=80), port=st.integers(0, 65535))
def test_no_proxy_never_raises(host: str, no_proxy: str, port: int) -> None:
    hit = no_proxy_match(host, port, no_proxy)
    assert hit is None or isinstance(hit, str)


@settings(max_examples=150, deadline=None)
@given(
    base=st.from_regex(
        r"https?://[a-z]{1,10}(\.[a-z]{2,5})?(:[0-9]{2,5})?(/[a-z]{1,6}){0,2}/?", fullmatch=True
    ),
    proto=st.sampled_from(["", "http/protobuf", "http/json"]),
)
def test_otlp_metrics_path_rule(base: str, proto: str) -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": base, **({"OTEL_EXPORTER_OTLP_PROTOCOL": proto} if proto else {})}
    found = ne.otlp_metrics_url(env)
    assert found is not None
    url = found[0]
    assert url.endswith("/v1/metrics") and "//v1/metrics" not in url and url.startswith(base.rstrip("/"))


@settings(max_examples=100, deadline=None)
@given(url=st.text(max_size=60))
def test_proxy_for_never_raises(url: str) -> None:
    choice = proxy_for(url, {"HTTPS_PROXY": "http://p:1", "HTTP_PROXY": "http://p:1", "NO_PROXY": "a,.b"})
    assert choice.proxy in (None, "http://p:1")
