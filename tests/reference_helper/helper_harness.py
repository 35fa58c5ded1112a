"""Test harness for the reference helper's end-to-end tests: moto STS behind a counting proxy,
a HOME with config.json, and a runner for the helper as a real subprocess."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ccwb_doctor.fixtures.idp import FixtureIdP

PY = sys.executable
ROLE_ARN = "arn:aws:iam::123456789012:role/BedrockOidcFederatedRole"
PROFILE = "ClaudeCode"


class CountingProxy:
    """Reverse proxy in front of moto that counts AssumeRoleWithWebIdentity calls."""

    def __init__(self, upstream: str, tls: ssl.SSLContext | None = None) -> None:
        self.calls = 0
        self.lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: object) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if b"AssumeRoleWithWebIdentity" in body:
                    with outer.lock:
                        outer.calls += 1
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                req = urllib.request.Request(upstream + self.path, data=body, headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        status, data = resp.status, resp.read()
                except urllib.error.HTTPError as exc:
                    status, data = exc.code, exc.read()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Helper:
    home: Path
    env: dict[str, str]
    idp: FixtureIdP
    sts: CountingProxy
    calls: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    @property
    def cache_file(self) -> Path:
        return self.home / ".cache" / "ccwb-credential-process" / f"{PROFILE}.json"

    @property
    def refresh_file(self) -> Path:
        return self.home / ".cache" / "ccwb-credential-process" / f"{PROFILE}.refresh.json"

    def argv(self, *args: str) -> list[str]:
        return [PY, "-m", "ccwb_doctor.reference_helper", *args]

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self.argv(*args), env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout
        )
        self.calls.append(proc)
        return proc

    def write_config(self, **overrides: Any) -> None:
        profile = {
            "provider_type": "generic",
            "oidc_issuer_url": self.idp.issuer,
            "provider_domain": self.idp.issuer.split("://")[1],
            "client_id": self.idp.client_id,
            "aws_region": "us-west-2",
            "federated_role_arn": ROLE_ARN,
            "federation_type": "direct",
            "max_session_duration": 3600,
            "credential_storage": "session",
            "redirect_port": 0,
        }
        profile.update(overrides)
        cfg = self.home / "claude-code-with-bedrock" / "config.json"
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(json.dumps({"profiles": {PROFILE: profile}}))

    def session(self) -> dict[str, Any]:
        return json.loads(self.cache_file.read_text())


def base_env(home: Path) -> dict[str, str]:
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "SYSTEMROOT") if k in os.environ}
    return {**keep, "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}


def assert_credentials(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr
    creds = json.loads(proc.stdout)
    assert (
        creds["Version"] == 1 and creds["AccessKeyId"] and creds["SecretAccessKey"] and creds["SessionToken"]
    )
    assert creds["Expiration"].endswith("Z")
    for secret in (creds["SecretAccessKey"], creds["SessionToken"]):
        assert secret not in proc.stderr
    return creds
