"""`ccwb-doctor net`: schema-v1 report, one result per endpoint, usage errors, bounded wall time."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ccwb_doctor.cli import main
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.netservers import (
    BlackHole,
    HTTPFixture,
    aws_routes,
    closed_port,
    collector_routes,
    discovery_routes,
)


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(var, raising=False)


def test_json_one_result_per_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    with HTTPFixture(collector_routes(200)) as col:
        code = main(
            [
                "net",
                "--endpoint",
                f"collector=http://127.0.0.1:{col.port}/v1/metrics",
                "--endpoint",
                f"web=http://127.0.0.1:{closed_port()}/",
                "--format",
                "json",
                "--timeout",
                "3",
            ]
        )
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert doc["schema"] == "ccwb-doctor/report/v1"
    assert [(r["id"], r["status"]) for r in doc["results"]] == [
        ("NET-COLLECTOR", "pass"),
        ("NET-ENDPOINT", "fail"),
    ]
    web = doc["results"][1]
    assert web["evidence"]["url"].startswith("http://127.0.0.1:") and web["evidence"]["failed_stage"] == "tcp"
    assert [s["stage"] for s in web["evidence"]["stages"]] == ["dns", "tcp"]
    assert all("ms" in s for s in web["evidence"]["stages"])
    assert web["message"].startswith("web http://127.0.0.1:") and ": TCP connect to port" in web["message"]


def test_text_output_names_the_stage(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["net", "--endpoint", f"sts=https://127.0.0.1:{closed_port()}", "--timeout", "2"])
    out = capsys.readouterr().out
    assert code == 1 and "NET-STS" in out and "TCP connect to port" in out


@pytest.mark.parametrize("bad", ["noequals", "=http://x", "a="])
def test_bad_endpoint_is_usage_error(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["net", "--endpoint", bad]) == 2
    assert "NAME=URL" in capsys.readouterr().err


def test_offline_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["net", "--offline", "--endpoint", "x=http://127.0.0.1:1"]) == 2
    assert "offline" in capsys.readouterr().err


def test_stalled_endpoints_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    with BlackHole() as a, BlackHole() as b:
        t0 = time.monotonic()
        code = main(
            [
                "net",
                "--endpoint",
                f"a=https://127.0.0.1:{a.port}",
                "--endpoint",
                f"b=https://127.0.0.1:{b.port}",
                "--timeout",
                "1",
                "--format",
                "json",
            ]
        )
        wall = time.monotonic() - t0
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and [r["evidence"]["failed_stage"] for r in doc["results"]] == ["tls", "tls"]
    assert wall < 1.0 + 0.5


def test_configured_endpoints_from_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with HTTPFixture({}) as idp, HTTPFixture(aws_routes()) as aws, HTTPFixture(collector_routes(401)) as col:
        issuer = f"http://127.0.0.1:{idp.port}"
        idp.routes.update(discovery_routes(issuer))
        s = sc.reference_install(tmp_path / "home", issuer=issuer, collector=f"http://127.0.0.1:{col.port}")
        doc = s.read_settings()
        doc["env"]["AWS_ENDPOINT_URL_STS"] = f"http://127.0.0.1:{aws.port}"
        doc["env"]["ANTHROPIC_BEDROCK_BASE_URL"] = f"http://127.0.0.1:{aws.port}"
        s.write_settings(doc)
        code = main(["net", "--home", str(s.home), "--format", "json", "--timeout", "3"])
    doc = json.loads(capsys.readouterr().out)
    got = {(r["id"], r["status"]) for r in doc["results"]}
    assert got == {
        ("NET-IDP", "pass"),
        ("NET-STS", "pass"),
        ("NET-BEDROCK", "pass"),
        ("NET-COLLECTOR", "warn"),
    }
    assert code == 0


def test_url_credentials_never_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with HTTPFixture({("GET", "/"): (200, {}, b"ok")}) as srv:
        url = f"http://user:hunter2-secret@127.0.0.1:{srv.port}/"
        code = main(["net", "--endpoint", f"web={url}", "--format", "json", "--timeout", "2"])
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out)["results"][0]["status"] == "pass"
    assert "hunter2-secret" not in out
