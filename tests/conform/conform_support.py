"""Shared builders for the conform tests: real files in tmp folders, run through the real CLI entry.

A plain module (imported by name), not the conftest: several test folders have a conftest.py, and
``from conftest import …`` picks whichever was imported last."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ISSUER = "https://idp.example.com/realms/dev"
PARAMS = {
    "OidcIssuerUrl": ISSUER,
    "OidcClientId": "ccwb-client",
    "OidcJwksUrl": ISSUER + "/certs",
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "CertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/0c1d2e3f-aaaa-bbbb-cccc-111122223333",
    "CollectorDomainName": "otel.example.com",
    "EnableDataLake": "true",
    "EnableFleetRouting": "true",
}
CLAIMS = {
    "allow": [{"name": "developer", "claims": {"iss": ISSUER, "aud": "ccwb-client", "sub": "dev-alice"}}],
    "deny": [
        {"name": "other-app", "claims": {"iss": ISSUER, "aud": "some-other-client", "sub": "dev-bob"}},
    ],
}
SERVICE_ACCOUNT = {
    "name": "service-account",
    "claims": {"iss": ISSUER, "aud": "ccwb-client", "sub": "svc-build"},
}
HELPER_CONFIG = {
    "profiles": {
        "ClaudeCode": {
            "provider_domain": "idp.example.com/realms/dev",
            "client_id": "ccwb-client",
            "aws_region": "us-east-1",
            "federated_role_arn": "arn:aws:iam::111122223333:role/ccwb-FederatedRole",
            "federation_type": "direct",
            "max_session_duration": 43200,
        }
    }
}
SETTINGS = {
    "env": {
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "AWS_PROFILE": "ClaudeCode",
        "AWS_REGION": "us-east-1",
        "ANTHROPIC_MODEL": "us.anthropic.claude-sonnet-4-6",
    }
}


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    return path


def conform(*argv: str) -> tuple[int, dict[str, Any]]:
    """Run `ccwb-doctor conform ... --format json` in-process through the CLI; (exit code, report)."""
    import contextlib
    import io

    from ccwb_doctor.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["conform", *argv, "--format", "json"])
    return rc, json.loads(buf.getvalue())


def by_id(report: dict[str, Any], cid: str, status: str | None = None) -> list[dict[str, Any]]:
    return [r for r in report["results"] if r["id"] == cid and (status is None or r["status"] == status)]


def statuses(report: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in report["results"]:
        out.setdefault(r["id"], set()).add(r["status"])
    return out
