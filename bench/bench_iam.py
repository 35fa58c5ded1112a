"""Benchmark: IAM evaluator throughput on a 3-condition OIDC trust policy (one core, one thread).

Run: /work/venv/bin/python bench/bench_iam.py
Prints the median of several batches: evaluations/s, microseconds per evaluation, parse time, and the
ratio of 10,000 evaluations to a baseline measured in the same run (`python -I -c pass`).
Target (issue 3): >= 10,000 evaluations/s.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import baseline  # noqa: E402

from ccwb_doctor.analyzers.iam.parse import parse_policy  # noqa: E402
from ccwb_doctor.analyzers.iam.policy import Request, evaluate  # noqa: E402

PROVIDER = "arn:aws:iam::111122223333:oidc-provider/idp.example.com"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"idp.example.com:aud": "client-1"},
                "StringLike": {"idp.example.com:sub": "user-*"},
                "ForAnyValue:StringEquals": {"idp.example.com:amr": ["mfa", "hwk"]},
            },
        }
    ],
}
CTX = {
    "idp.example.com:aud": "client-1",
    "idp.example.com:sub": "user-42",
    "idp.example.com:amr": ["pwd", "mfa"],
}
BATCH = 10_000
REPEATS = 7


def main() -> None:
    base = baseline()
    t = time.perf_counter()
    for _ in range(1000):
        policy = parse_policy(TRUST, name="trust")
    parse_us = (time.perf_counter() - t) / 1000 * 1e6
    req = Request("sts:AssumeRoleWithWebIdentity", None, {"Federated": PROVIDER}, CTX)
    assert evaluate(req, resource=[policy]).allowed
    batches = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        for _ in range(BATCH):
            evaluate(req, resource=[policy])
        batches.append(time.perf_counter() - t)
    med = statistics.median(batches)
    print(f"baseline python -I -c pass: median {base * 1000:.1f} ms")
    print(f"parse_policy (3-condition trust): median {parse_us:.1f} us")
    print(f"evaluate: median {med / BATCH * 1e6:.2f} us/eval, {BATCH / med:,.0f} evals/s (target >= 10,000)")
    print(f"ratio: {BATCH:,} evaluations / baseline = {med / base:.2f}x")


if __name__ == "__main__":
    main()
