"""Benchmark ccwb-credential-process: cached path vs bare ``python -I -c pass``, and the refresh path.

    /work/venv/bin/python bench/bench_helper.py [--runs 30]

Starts the fixture IdP and moto STS on 127.0.0.1, logs in once through the scripted browser, then
times (wall, subprocess) the cached-credentials path the way botocore runs it: a console-script-
equivalent ``python -I -c 'from ccwb_doctor.reference_helper.cli import main; ...'`` and the installed
``ccwb-credential-process`` console script itself, plus ``ccwb-otel-headers`` on a cached ID token. The refresh
path (expired credentials, valid refresh token: one IdP token request + JWKS + one STS call) is timed
separately. Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import script  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from ccwb_doctor.fixtures.idp import FixtureIdP  # noqa: E402

PY = sys.executable
ENTRY = "from ccwb_doctor.reference_helper.cli import main; raise SystemExit(main())"


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, timeout=120)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"command failed: {argv}: {proc.stderr.decode()[:300]}")
    return elapsed


def expire(cache_file: Path, id_token_too: bool) -> None:
    session = json.loads(cache_file.read_text())
    session["credentials"]["Expiration"] = "2001-01-01T00:00:00Z"
    session["credentials_exp"] = 978307200
    if id_token_too:
        session["id_token_exp"] = 0
        session.pop("id_token", None)
    cache_file.write_text(json.dumps(session))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    with tempfile.TemporaryDirectory() as tmp, FixtureIdP(path="/oauth2/default") as idp:
        home = Path(tmp)
        cfg = home / "claude-code-with-bedrock" / "config.json"
        cfg.parent.mkdir()
        profile = {
            "provider_type": "generic",
            "oidc_issuer_url": idp.issuer,
            "client_id": idp.client_id,
            "aws_region": "us-west-2",
            "federated_role_arn": "arn:aws:iam::123456789012:role/Bench",
            "redirect_port": 0,
        }
        cfg.write_text(json.dumps({"profiles": {"ClaudeCode": profile}}))
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "AWS_ENDPOINT_URL_STS": f"http://{host}:{port}",
            "BROWSER": f"{PY} -m ccwb_doctor.fixtures.idp_browser %s",
        }
        helper = [PY, "-I", "-c", ENTRY]
        console = [script("ccwb-credential-process")]  # what ~/.aws/config really runs
        headers = [script("ccwb-otel-headers")]
        timed(helper, env)  # first login, fills the cache
        cache_file = home / ".cache" / "ccwb-credential-process" / "ClaudeCode.json"
        for _ in range(3):  # warm the OS caches
            for argv in ([PY, "-I", "-c", "pass"], helper, console, headers):
                timed(argv, env)
        base, cached, scripted, otel = [], [], [], []
        for _ in range(args.runs):  # interleaved so all see the same machine load
            base.append(timed([PY, "-I", "-c", "pass"], env))
            cached.append(timed(helper, env))
            scripted.append(timed(console, env))
            otel.append(timed(headers, env))
        refresh_sts, refresh_idp = [], []
        for _ in range(max(5, args.runs // 3)):
            expire(cache_file, id_token_too=False)
            refresh_sts.append(timed(helper, env))
            expire(cache_file, id_token_too=True)
            refresh_idp.append(timed(helper, env))
    moto.stop()
    b, c = statistics.median(base), statistics.median(cached)
    cs, oh = statistics.median(scripted), statistics.median(otel)
    rs, ri = statistics.median(refresh_sts), statistics.median(refresh_idp)
    print(f"python -I -c pass           median {b * 1000:7.1f} ms  (n={len(base)})")
    print(f"cached credentials          median {c * 1000:7.1f} ms  ratio {c / b:4.2f}x  (budget 2.5x)")
    print(f"  same, console script      median {cs * 1000:7.1f} ms  ratio {cs / b:4.2f}x  (budget 2.5x)")
    print(f"ccwb-otel-headers (cached)  median {oh * 1000:7.1f} ms  ratio {oh / b:4.2f}x")
    print(f"refresh: cached ID token    median {rs * 1000:7.1f} ms  ratio {rs / b:4.2f}x  (STS only)")
    print(
        f"refresh: refresh_token      median {ri * 1000:7.1f} ms  ratio {ri / b:4.2f}x  (IdP token + JWKS + STS)"
    )
    return 0 if max(c, cs) / b <= 2.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
