"""Network probe bench (loopback only).

1. 8 endpoints of which 3 never answer (accept TCP, never speak TLS), deadline T = 2 s:
   total wall must be <= T + 0.5 s; reports the ratio wall / T.
2. A healthy 8-endpoint run (fixture DNS, TLS with trustme certs, HTTP): wall must be <= 150 ms.
Baseline measured in the same run: `python -I -c pass` in a subprocess.

    /work/venv/bin/python bench/bench_net.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from ccwb_doctor.analyzers.net.endpoints import adhoc_endpoint
from ccwb_doctor.analyzers.net.model import ProbeSettings
from ccwb_doctor.analyzers.net.probe import probe_all
from ccwb_doctor.fixtures.dns_server import DNSServer
from ccwb_doctor.fixtures.netservers import (
    PKI,
    BlackHole,
    HTTPFixture,
    aws_routes,
    collector_routes,
    discovery_routes,
)

T = 2.0


def baseline(rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "pass"], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    rounds = max(1, ap.parse_args().rounds)
    tmp = Path(tempfile.mkdtemp(prefix="bench-net-"))
    pki = PKI()
    cafile = str(pki.bundle(tmp / "ca.pem", pki.public))
    names = [f"h{i}.example.test" for i in range(8)]
    with ExitStack() as stack:
        dns = stack.enter_context(DNSServer({n: {"A": ["127.0.0.1"]} for n in names}))
        servers = []
        for i, n in enumerate(names):
            ctx = pki.context(n)
            if i == 0:
                srv = stack.enter_context(HTTPFixture({}, ctx))
                srv.routes.update(discovery_routes(f"https://{n}:{srv.port}"))
            elif i == 7:
                srv = stack.enter_context(HTTPFixture(collector_routes(200), ctx))
            else:
                srv = stack.enter_context(HTTPFixture(aws_routes(), ctx))
            servers.append(srv)
        kinds = ["idp", "sts", "bedrock", "b2", "b3", "b4", "b5", "collector"]
        paths = ["", "", "", "", "", "", "", "/v1/metrics"]
        healthy = [
            adhoc_endpoint(k, f"https://{n}:{s.port}{p}")
            for k, n, s, p in zip(kinds, names, servers, paths, strict=True)
        ]
        holes = [stack.enter_context(BlackHole()) for _ in range(3)]
        stalled = healthy[:5] + [
            adhoc_endpoint(f"hole{i}", f"https://{names[i]}:{h.port}") for i, h in enumerate(holes)
        ]
        settings = ProbeSettings(timeout=T, nameservers=[dns.nameserver], cafile=cafile, public_cafile=cafile)

        probe_all(healthy[:1], settings)  # warm imports once (not part of either figure)
        ok_times, stall_times = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            res = probe_all(healthy, settings)
            ok_times.append(time.perf_counter() - t0)
            assert all(r.status == "ok" for r in res), [r.message for r in res if r.status != "ok"]
        for _ in range(max(1, rounds // 2)):
            t0 = time.perf_counter()
            res = probe_all(stalled, settings)
            stall_times.append(time.perf_counter() - t0)
            assert sum(r.status == "fail" for r in res) == 3
    base = baseline(rounds)
    ok_med, stall_med = statistics.median(ok_times), statistics.median(stall_times)
    print(f"baseline python -I -c pass: median {base * 1000:.1f} ms")
    print(
        f"healthy 8 endpoints: median {ok_med * 1000:.1f} ms (limit 150 ms) "
        f"ratio to baseline {ok_med / base:.2f}  {'OK' if ok_med <= 0.150 else 'OVER'}"
    )
    print(
        f"8 endpoints, 3 never answer, T={T:g} s: median {stall_med:.3f} s, ratio to T {stall_med / T:.3f} "
        f"(limit {T + 0.5:g} s)  {'OK' if stall_med <= T + 0.5 else 'OVER'}; ratio to baseline {stall_med / base:.1f}"
    )
    return 0 if ok_med <= 0.150 and stall_med <= T + 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
