"""NET-* checks over real HOME files (scenario builders) and real loopback servers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from ccwb_doctor.app import render_report, run_report
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.dns_server import DNSServer
from ccwb_doctor.fixtures.netservers import (
    PKI,
    BlackHole,
    ConnectProxy,
    HTTPFixture,
    aws_routes,
    closed_port,
    collector_routes,
    discovery_routes,
)

NAMES = [
    "login.example.test",
    "sts.example.test",
    "bedrock.example.test",
    "collector.example.test",
    "hole.example.test",
]
NET_IDS = ["NET-IDP", "NET-STS", "NET-BEDROCK", "NET-COLLECTOR", "NET-PROXY"]


class World:
    """A reference install whose every endpoint is a loopback server reached through the fixture DNS."""

    def __init__(self, tmp: Path, stack: ExitStack) -> None:
        self.tmp = tmp
        self.pki = PKI()
        self.system_ca = str(self.pki.bundle(tmp / "system.pem", self.pki.public, self.pki.interception))
        self.public_ca = str(self.pki.bundle(tmp / "public.pem", self.pki.public))
        self.dns = stack.enter_context(
            DNSServer({n: {"A": ["127.0.0.1"]} for n in NAMES}, {"nx.example.test": "nxdomain"})
        )
        self.idp = stack.enter_context(HTTPFixture({}, self.pki.context("login.example.test")))
        self.issuer = f"https://login.example.test:{self.idp.port}"
        self.idp.routes.update(discovery_routes(self.issuer))
        self.sts = stack.enter_context(HTTPFixture(aws_routes(), self.pki.context("sts.example.test")))
        self.bedrock = stack.enter_context(
            HTTPFixture(aws_routes(), self.pki.context("bedrock.example.test"))
        )
        self.collector = stack.enter_context(HTTPFixture(collector_routes(200)))

    def scenario(self, name: str, issuer: str | None = None, **env: str) -> sc.Scenario:
        s = sc.reference_install(
            self.tmp / name,
            issuer=issuer or self.issuer,
            collector=f"http://collector.example.test:{self.collector.port}",
        )
        base = {
            "AWS_ENDPOINT_URL_STS": f"https://sts.example.test:{self.sts.port}",
            "ANTHROPIC_BEDROCK_BASE_URL": f"https://bedrock.example.test:{self.bedrock.port}",
        }
        doc = s.read_settings()
        doc["env"].update({**base, **env})
        s.write_settings(doc)
        return s

    def run(self, s: sc.Scenario, timeout: float = 3.0, **kw: Any) -> dict[str, list[Any]]:
        extra = {
            "net_nameservers": [self.dns.address],
            "net_cafile": self.system_ca,
            "net_public_cafile": self.public_ca,
        }
        opts = s.options(mode="default", timeout=timeout, extra=extra, **kw)
        report = run_report(opts, only=NET_IDS, env=s.env)
        self.last = report
        out: dict[str, list[Any]] = {}
        for r in report.results:
            out.setdefault(r.id, []).append(r)
        return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with ExitStack() as stack:
        yield World(tmp_path_factory.mktemp("networld"), stack)


def one(res: dict[str, list[Any]], cid: str) -> Any:
    assert len(res[cid]) == 1, [r.message for r in res[cid]]
    return res[cid][0]


def test_offline_skips_every_net_check(world: World) -> None:
    s = world.scenario("offline")
    report = run_report(s.options(), only=NET_IDS, env=s.env)  # scenarios default to offline
    assert {r.id for r in report.results} == set(NET_IDS)
    for r in report.results:
        assert r.status.value == "skip" and "offline" in r.message


def test_healthy_configuration_passes(world: World) -> None:
    before = len(world.idp.requests)
    t0 = time.monotonic()
    res = world.run(world.scenario("healthy"))
    assert time.monotonic() - t0 < 3.0
    assert len(world.idp.requests) - before == 1  # probes run once, shared by the five checks
    for cid in NET_IDS:
        for r in res[cid]:
            assert r.status.value == "pass", (cid, r.message)
    idp = one(res, "NET-IDP")
    assert idp.evidence["url"] == f"{world.issuer}/.well-known/openid-configuration"
    assert set(idp.evidence["timeline"]) == {"dns", "tcp", "tls", "http"}
    assert all(isinstance(s["ms"], float) for s in idp.evidence["stages"])
    assert one(res, "NET-STS").evidence["source"] == "AWS_ENDPOINT_URL_STS"
    assert one(res, "NET-BEDROCK").evidence["url"] == f"https://bedrock.example.test:{world.bedrock.port}"
    assert one(res, "NET-COLLECTOR").evidence["url"].endswith("/v1/metrics")
    doc = json.loads(render_report(world.last, "json"))
    assert doc["schema"] == "ccwb-doctor/report/v1"


def test_idp_nxdomain_fails_at_dns(world: World) -> None:
    res = world.run(world.scenario("nx", issuer="https://nx.example.test"))
    idp = one(res, "NET-IDP")
    assert idp.status.value == "fail" and idp.evidence["failed_stage"] == "dns"
    assert f"DNS for nx.example.test returns NXDOMAIN (no such name) via {world.dns.address}" in idp.message
    assert "split-horizon" in idp.remediation
    assert one(res, "NET-STS").status.value == "pass"  # one broken endpoint does not taint the others


def test_sts_refused_and_collector_wrong_path(world: World) -> None:
    s = world.scenario(
        "broken",
        AWS_ENDPOINT_URL_STS=f"https://sts.example.test:{closed_port()}",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=f"http://collector.example.test:{world.collector.port}/metrics",
    )
    res = world.run(s)
    sts = one(res, "NET-STS")
    assert sts.status.value == "fail" and sts.evidence["failed_stage"] == "tcp" and "refused" in sts.message
    col = one(res, "NET-COLLECTOR")
    assert col.status.value == "fail" and "wrong path" in col.message and "v1/metrics" in col.remediation


def test_two_bedrock_regions_each_get_a_result(world: World) -> None:
    s = world.scenario("regions", ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION="us-west-2")
    doc = s.read_settings()
    doc["env"]["ANTHROPIC_BEDROCK_BASE_URL"] = f"https://bedrock.example.test:{world.bedrock.port}/gw"
    s.write_settings(doc)
    res = world.run(s)
    br = one(res, "NET-BEDROCK")  # a gateway base URL serves both regions: one endpoint
    assert br.evidence["expect"]["regions"] == ["us-east-1", "us-west-2"] and br.status.value == "pass"


def test_proxy_407_fails_net_proxy_and_names_the_stage(world: World) -> None:
    with ConnectProxy(auth=("bob", "pr0xy-secret-pw"), hosts={n: "127.0.0.1" for n in NAMES}) as px:
        s = world.scenario("proxy407", HTTPS_PROXY=f"http://127.0.0.1:{px.port}")
        res = world.run(s)
        s2 = world.scenario("proxyok", HTTPS_PROXY=f"http://bob:pr0xy-secret-pw@127.0.0.1:{px.port}")
        res2 = world.run(s2)
        text = render_report(world.last, "json")
    proxy = one(res, "NET-PROXY")
    assert proxy.status.value == "fail" and "407" in proxy.message
    sts = one(res, "NET-STS")
    assert sts.evidence["failed_stage"] == "proxy" and "demands authentication (407)" in sts.message
    assert (
        one(res2, "NET-PROXY").status.value == "pass" and "proxy used for" in one(res2, "NET-PROXY").message
    )
    assert one(res2, "NET-STS").status.value == "pass"
    assert "pr0xy-secret-pw" not in text


def test_interception_warns_in_net_proxy(world: World) -> None:
    with HTTPFixture(aws_routes(), world.pki.context("sts.example.test", ca=world.pki.interception)) as corp:
        s = world.scenario("mitm", AWS_ENDPOINT_URL_STS=f"https://sts.example.test:{corp.port}")
        res = world.run(s)
    proxy = one(res, "NET-PROXY")
    assert proxy.status.value == "warn" and "Corp TLS Inspection CA" in proxy.message
    assert one(res, "NET-STS").status.value == "warn"


def test_telemetry_off_skips_collector(world: World) -> None:
    s = world.scenario("notelemetry", CLAUDE_CODE_ENABLE_TELEMETRY="0")
    res = world.run(s)
    col = one(res, "NET-COLLECTOR")
    assert col.status.value == "skip" and "telemetry is off" in col.message


def test_bad_helper_config_is_an_error_with_reason(world: World) -> None:
    s = sc.apply(world.scenario("badhelper"), "helper-config-not-json")
    res = world.run(s)
    idp = one(res, "NET-IDP")
    assert idp.status.value == "error" and "config.json" in idp.message


def test_invalid_helper_region_errors_sts_only(world: World) -> None:
    s = world.scenario("badregion")
    doc = json.loads(s.helper_config.read_text())
    doc["profiles"][s.helper_profile]["aws_region"] = "us east 1"
    s.helper_config.write_text(json.dumps(doc))
    doc = s.read_settings()
    doc["env"].pop("AWS_ENDPOINT_URL_STS")  # the region decides the STS host now
    s.write_settings(doc)
    res = world.run(s)
    sts = one(res, "NET-STS")
    assert sts.status.value == "error"
    assert (
        sts.message
        == "cannot derive the sts endpoint: helper aws_region 'us east 1' is not a valid AWS region name"
    )
    assert one(res, "NET-IDP").status.value == "pass" and one(res, "NET-BEDROCK").status.value == "pass"


def test_collector_auth_required_passes_when_headers_helper_configured(world: World) -> None:
    with HTTPFixture(collector_routes(401)) as col:
        s = world.scenario(
            "colauth",
            OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=f"http://collector.example.test:{col.port}/v1/metrics",
        )
        bare = one(world.run(s), "NET-COLLECTOR")
        s.write_settings({**s.read_settings(), "otelHeadersHelper": f"{s.helper_path} --otel"})
        helped = one(world.run(s), "NET-COLLECTOR")
    assert bare.status.value == "warn" and "no otelHeadersHelper" in bare.message
    http = next(st for st in helped.evidence["stages"] if st["stage"] == "http")
    assert helped.status.value == "pass" and http["code"] == "auth-required-401"
    assert "headers come from the configured helper" in http["detail"]


def test_stalled_endpoint_bounded_by_timeout(world: World) -> None:
    with BlackHole() as hole:
        s = world.scenario("stall", AWS_ENDPOINT_URL_STS=f"https://hole.example.test:{hole.port}")
        t0 = time.monotonic()
        res = world.run(s, timeout=1.0)
        wall = time.monotonic() - t0
    sts = one(res, "NET-STS")
    assert sts.status.value == "fail" and sts.evidence["failed_stage"] == "tls"
    assert wall < 1.0 + 1.0


def test_no_proxy_entry_strands_an_endpoint(world: World) -> None:
    with ConnectProxy(hosts={n: "127.0.0.1" for n in NAMES}) as px:
        s = world.scenario(
            "stranded",
            HTTPS_PROXY=f"http://127.0.0.1:{px.port}",
            NO_PROXY="sts.example.test",
            AWS_ENDPOINT_URL_STS=f"https://sts.example.test:{closed_port()}",
        )
        res = world.run(s)
    proxy = one(res, "NET-PROXY")
    assert proxy.status.value == "warn" and "NO_PROXY entry 'sts.example.test'" in proxy.message
    assert one(res, "NET-IDP").status.value == "pass"
    assert one(res, "NET-IDP").evidence["proxy"]["proxy"] == f"http://127.0.0.1:{px.port}"
    assert one(res, "NET-STS").evidence["failed_stage"] == "tcp"
