"""Benchmark: `ccwb-doctor conform` over the reference templates with the full permission matrix
(16 models x 29 regions x 3 profile geographies), as a whole process. Budget: <= 2 s wall, process
start included.

The input folder is a realistic CI checkout: the three reference templates, a parameters file, a
claims file (one identity that must be allowed, one that must be denied), a helper config.json, a
Claude Code settings file, and a scope file that asks for every model of the table x the 29 commercial
regions x the us, eu and global profiles. The run is checked (no fail/error, the whole matrix
evaluated) before it is timed.

Run: .venv/bin/python bench/bench_conform.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import baseline, script, wall  # noqa: E402

BUDGET_S = 2.0
GEOGRAPHIES = ["us", "eu", "global"]
ISSUER = "https://idp.example.com/realms/dev"
PARAMS = {
    "OidcIssuerUrl": ISSUER,
    "OidcClientId": "ccwb-client",
    "OidcJwksUrl": ISSUER + "/certs",
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "CertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/0c1d2e3f-aaaa-bbbb-cccc-111122223333",
    "CollectorDomainName": "otel.example.com",
}


def build(root: Path) -> tuple[int, int, int]:
    from ccwb_doctor.analyzers.bedrock.profiles import load_profiles_table
    from ccwb_doctor.reference_infra.deploy import TEMPLATES_DIR

    table = load_profiles_table()
    models, regions = list(table.models), list(table.regions["aws"])
    shutil.copytree(TEMPLATES_DIR, root / "templates")
    (root / "params.json").write_text(
        json.dumps([{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMS.items()])
    )
    (root / "matrix.scope.json").write_text(
        json.dumps({"models": models, "regions": regions, "geographies": GEOGRAPHIES})
    )
    (root / "identities.claims.json").write_text(
        json.dumps(
            {
                "allow": [{"name": "dev", "claims": {"iss": ISSUER, "aud": "ccwb-client", "sub": "u1"}}],
                "deny": [{"name": "other", "claims": {"iss": ISSUER, "aud": "other-app", "sub": "u2"}}],
            }
        )
    )
    (root / "client").mkdir()
    profile = {
        "provider_domain": "idp.example.com/realms/dev",
        "client_id": "ccwb-client",
        "aws_region": "us-east-1",
        "federated_role_arn": "arn:aws:iam::111122223333:role/ccwb-FederatedRole",
        "federation_type": "direct",
        "max_session_duration": 43200,
    }
    (root / "client" / "config.json").write_text(json.dumps({"profiles": {"ClaudeCode": profile}}))
    (root / "client" / "settings.json").write_text(
        json.dumps(
            {
                "env": {
                    "CLAUDE_CODE_USE_BEDROCK": "1",
                    "AWS_PROFILE": "ClaudeCode",
                    "AWS_REGION": "us-east-1",
                    "ANTHROPIC_MODEL": "us.anthropic.claude-sonnet-4-6",
                }
            }
        )
    )
    return len(models), len(regions), len(GEOGRAPHIES)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        shape = build(root)
        exe = script("ccwb-doctor")
        base_cmd = [exe, "conform", str(root), "--param-file", str(root / "params.json")]
        # correctness first: the timed run must be a clean, complete run
        p = subprocess.run([*base_cmd, "--format", "json"], capture_output=True, text=True, timeout=120)
        rep = json.loads(p.stdout)
        assert p.returncode == 0 and rep["summary"]["fail"] == rep["summary"]["error"] == 0, rep["summary"]
        cells = [
            r for r in rep["results"] if r["id"] == "CONFORM-MODEL-PERMISSION" and "cells" in r["evidence"]
        ]
        assert len(cells) == shape[0], len(cells)
        evaluated = sum(sum(r["evidence"].get("cells", {}).values()) for r in cells)
        base = baseline(args.runs)
        text = wall([*base_cmd, "--format", "text"], args.runs)
        js = wall([*base_cmd, "--format", "json"], args.runs)
        sarif = wall([*base_cmd, "--format", "sarif"], args.runs)
        print(f"matrix: {shape[0]} models x {shape[1]} regions x {shape[2]} geographies ({evaluated} cells)")
        print(f"results per run: {len(rep['results'])} ({rep['summary']})")
        print(f"baseline python -I -c pass: median {base * 1000:.1f} ms")
        for name, t in (("text", text), ("json", js), ("sarif", sarif)):
            verdict = "within" if t <= BUDGET_S else "OVER"
            print(
                f"conform --format {name:5}: median {t * 1000:.1f} ms, ratio {t / base:.1f}x, "
                f"{verdict} the {BUDGET_S:.0f} s budget"
            )


if __name__ == "__main__":
    main()
