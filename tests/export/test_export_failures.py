"""A failed export is one warning line on stderr, within ``--timeout``, and never changes the run's exit
code: a refused port, 401, 500, 503 (retried), a TLS error, a server that never answers, headers that
would cross plain http, no collector at all, and the SDK not installed. Real servers on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ccwb_doctor.app import export_if_asked, run_report
from ccwb_doctor.fixtures import scenarios as sc
from ccwb_doctor.fixtures.collector import FixtureCollector


@pytest.fixture
def refused_url() -> Iterator[str]:
    sock = socket.socket()  # bound, never listening: connections are refused
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def export(s: sc.Scenario, value: str, capsys: Any, timeout: float = 3.0) -> tuple[bool | None, str, float]:
    report = run_report(s.options(mode="offline", timeout=timeout), env=s.env)
    capsys.readouterr()
    t0 = time.monotonic()
    ok = export_if_asked(report, value)
    took = time.monotonic() - t0
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # exactly one line, whatever happened
    return ok, err, took


def test_a_refused_port(tmp_path: Path, capsys: Any, refused_url: str) -> None:
    s = sc.guidance_install(tmp_path / "home")
    ok, err, took = export(s, f"otlp={refused_url}", capsys)
    assert ok is False and err.startswith("ccwb-doctor: warning: the OTLP export failed: ")
    assert "Connection refused" in err and refused_url in err and took < 3.5


@pytest.mark.parametrize(("fault", "status"), [(None, 401), ("500", 500), ("503", 503)])
def test_the_collector_says_no(tmp_path: Path, capsys: Any, fault: str | None, status: int) -> None:
    with FixtureCollector() as col:
        col.fault = fault
        col.require_headers = {"x-api-key": "expected"}  # fault first: 500/503 never reach the auth check
        s = sc.guidance_install(tmp_path / "home", collector=col.endpoint)
        ok, err, took = export(s, "otlp", capsys, timeout=2.0)
        endpoint = col.endpoint
        tries = len(col.received)
    assert ok is False and endpoint in err and f"answered HTTP {status}" in err
    assert took < 2.5
    if status == 503:  # retried with backoff inside the budget, then given up
        assert tries >= 3 and "(retried " in err
    else:
        assert tries == 2  # one request per signal, no retry


def test_tls_with_the_ca_claude_code_trusts_and_without(tmp_path: Path, capsys: Any) -> None:
    with FixtureCollector(tls=True) as col:
        s = sc.guidance_install(tmp_path / "home", collector=col.endpoint)
        ok, err, _ = export(s, "otlp", capsys)
        assert ok is False and "CERTIFICATE_VERIFY_FAILED" in err
        assert col.received == []  # nothing was sent to an unverified server
        assert col.ca_bundle is not None
        s.env["NODE_EXTRA_CA_CERTS"] = (
            col.ca_bundle
        )  # Claude Code's (Node's) extra CA: trusted as it trusts it
        ok, err, _ = export(s, "otlp", capsys)
        assert ok is True and col.wait_for(2, timeout=5)
        assert [r.status for r in col.received] == [200, 200]


def test_a_collector_that_never_answers(tmp_path: Path, capsys: Any) -> None:
    with FixtureCollector() as col:
        col.fault = "hang"
        s = sc.guidance_install(tmp_path / "home", collector=col.endpoint)
        ok, err, took = export(s, "otlp", capsys, timeout=1.5)
        assert col.wait_for(1, timeout=2)
    assert ok is False and took < 2.5
    assert "timed out" in err or "gave up after 1.5 s (--timeout)" in err, err


def test_headers_never_cross_plain_http_to_a_remote_host(tmp_path: Path, capsys: Any) -> None:
    s = sc.guidance_install(tmp_path / "home")
    doc = s.read_settings()
    doc["env"]["OTEL_EXPORTER_OTLP_HEADERS"] = "x-api-key=abc123secretvalue"
    s.write_settings(doc)
    ok, err, took = export(s, "otlp=http://collector.corp.example.com:4318", capsys)
    assert ok is False and "not sending the collector's headers (x-api-key) over plain http" in err
    assert "abc123secretvalue" not in err and took < 1.0


def test_no_collector_configured_and_grpc(tmp_path: Path, capsys: Any) -> None:
    s = sc.guidance_install(tmp_path / "home")
    doc = s.read_settings()
    doc["env"].pop("OTEL_EXPORTER_OTLP_ENDPOINT")
    s.write_settings(doc)
    ok, err, _ = export(s, "otlp", capsys)
    assert ok is False and "no collector to send to" in err and "--export otlp=URL" in err
    doc["env"].update(
        OTEL_EXPORTER_OTLP_ENDPOINT="https://c.example.com:4317", OTEL_EXPORTER_OTLP_PROTOCOL="grpc"
    )
    s.write_settings(doc)
    ok, err, _ = export(s, "otlp", capsys)
    assert ok is False and "speaks gRPC" in err


def _cli(spawn: Any, argv: list[str], env: dict[str, str], block_sdk: bool = False) -> tuple[int, str, str]:
    """The real command line in a subprocess; ``block_sdk`` makes ``import opentelemetry`` fail, as when
    the ``otlp`` extra is not installed."""
    pre = ""
    if block_sdk:
        pre = (
            "import sys\n"
            "class _NoOtel:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'opentelemetry':\n"
            "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
            "sys.meta_path.insert(0, _NoOtel())\n"
        )
    code = pre + f"import sys\nfrom ccwb_doctor.cli import main\nsys.exit(main({argv!r}))\n"
    proc = spawn([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.communicate(timeout=90)
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("broken", [False, True])
def test_the_exit_code_is_the_doctors_whatever_the_export(
    tmp_path: Path, spawn: Any, refused_url: str, broken: bool
) -> None:
    s = sc.guidance_install(tmp_path / "home")
    if broken:
        sc.apply(s, "no-region")
    base = ["run", "--offline", "--home", str(s.home), "--format", "json", "--timeout", "3"]
    rc0, out0, err0 = _cli(spawn, base, s.env)
    assert err0 == "" and rc0 == (1 if broken else 0)
    rc, out, err = _cli(spawn, [*base, "--export", f"otlp={refused_url}"], s.env)
    assert rc == rc0 and out.startswith("{") and err.count("\n") == 1 and "Connection refused" in err
    rc, out, err = _cli(spawn, [*base, "--export", "otlp"], s.env, block_sdk=True)
    assert rc == rc0 and out.startswith("{")
    assert err.count("\n") == 1 and "pip install 'ccwb-doctor[otlp]'" in err, err


def test_a_bad_export_value_is_a_usage_error(tmp_path: Path, spawn: Any) -> None:
    s = sc.guidance_install(tmp_path / "home")
    rc, out, err = _cli(spawn, ["run", "--offline", "--home", str(s.home), "--export", "prometheus"], s.env)
    assert rc == 2 and out == "" and err.count("\n") == 1 and "expected otlp, otlp=URL or off" in err


def test_a_failing_headers_helper_is_named_with_the_collectors_answer(tmp_path: Path, capsys: Any) -> None:
    with FixtureCollector() as col:
        col.require_headers = {"authorization": None}
        s = sc.guidance_install(tmp_path / "home", collector=col.endpoint)
        helper = sc.write(
            s.home / "bin" / "otel-headers", "#!/bin/sh\necho 'no cached token' >&2\nexit 3\n", 0o755
        )
        doc = s.read_settings()
        doc["otelHeadersHelper"] = str(helper)
        s.write_settings(doc)
        ok, err, _ = export(s, "otlp", capsys)
    assert ok is False and "answered HTTP 401" in err and "otelHeadersHelper exited 3: no cached token" in err
