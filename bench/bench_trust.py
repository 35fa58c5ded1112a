"""Benchmark: trust evaluations per second, end to end through claims -> context keys -> IAM evaluator.

One evaluation = webid.build_context(claims, provider URL) + iam.evaluate(Request) against a parsed trust
policy with 3 conditions (aud StringEquals, sub StringLike, amr ForAnyValue:StringEquals), as the
TRUST-CONDITIONS check does it. The policy is parsed once (a run parses it once). Target: >= 10,000/s
on one core. The baseline is `python -I -c pass` (process start), measured in the same run.

Run: /work/venv/bin/python bench/bench_trust.py [--n 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import baseline  # noqa: E402

from ccwb_doctor.analyzers.iam.parse import parse_policy  # noqa: E402
from ccwb_doctor.analyzers.iam.policy import Request, evaluate  # noqa: E402
from ccwb_doctor.analyzers.trust.webid import build_context  # noqa: E402

URL = "https://dev-12345678.okta.com/oauth2/default"
PREFIX = URL.removeprefix("https://")
ARN = f"arn:aws:iam::111122223333:oidc-provider/{PREFIX}"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": ARN},
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            "Condition": {
                "StringEquals": {f"{PREFIX}:aud": "0oabc123def456ghi789"},
                "StringLike": {f"{PREFIX}:sub": "00u*"},
                "ForAnyValue:StringEquals": {f"{PREFIX}:amr": ["mfa", "hwk"]},
            },
        }
    ],
}


def claims(i: int) -> dict[str, object]:
    return {
        "iss": URL,
        "aud": "0oabc123def456ghi789",
        "sub": f"00u{i:012d}",
        "amr": ["pwd", "mfa"],
        "iat": 1_800_000_000,
        "exp": 1_800_003_600,
        "email": f"user{i}@example.com",
    }


def rate(n: int) -> tuple[float, int]:
    policy = parse_policy(POLICY, name="trust")
    tokens = [claims(i) for i in range(256)]
    allowed = 0
    t0 = time.perf_counter()
    for i in range(n):
        ctx = build_context(tokens[i & 255], URL, provider_arn=ARN)
        d = evaluate(
            Request("sts:AssumeRoleWithWebIdentity", None, {"Federated": ARN}, ctx.keys), resource=[policy]
        )
        allowed += d.allowed
    return n / (time.perf_counter() - t0), allowed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    base = baseline(9)
    rates = []
    for _ in range(args.repeat):
        r, allowed = rate(args.n)
        assert allowed == args.n, "every benchmark token must be allowed"
        rates.append(r)
    med = statistics.median(rates)
    per_eval = 1 / med
    print(
        f"trust evaluations/s (median of {args.repeat} x {args.n}): {med:,.0f}  ({per_eval * 1e6:.1f} us each)"
    )
    print(
        f"baseline `python -I -c pass`: {base * 1000:.1f} ms  -> one process start = {base / per_eval:,.0f} evaluations"
    )
    print(f"target >= 10,000/s: {'PASS' if med >= 10_000 else 'FAIL'}")


if __name__ == "__main__":
    main()
