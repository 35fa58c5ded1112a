"""Permission-matrix speed: 16 models x 29 regions x 3 geographies must evaluate in <= 1 s.

Run: /work/venv/bin/python bench/bench_matrix.py
Prints medians for two policies (grouping-friendly guidance shape; a policy conditioned on
bedrock:InferenceProfileArn, which defeats most request grouping), at two matrix sizes, the
per-request cost (to show linear growth), and the ratio to `python -I -c pass` measured in this run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from ccwb_doctor.analyzers.bedrock.matrix import evaluate_matrix
from ccwb_doctor.analyzers.bedrock.profiles import load_profiles_table
from ccwb_doctor.analyzers.iam import parse as ip
from ccwb_doctor.analyzers.iam import policy as iam

INVOKE = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
ACCT = "123456789012"


def median_s(fn: Callable[[], Any], runs: int = 5) -> float:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def policies(regions: list[str]) -> dict[str, iam.Policy]:
    guidance = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": INVOKE,
                "Resource": [
                    "arn:aws:bedrock:*::foundation-model/*",
                    "arn:aws:bedrock:*:*:inference-profile/*",
                ],
                "Condition": {"StringEquals": {"aws:RequestedRegion": regions[:20]}},
            },
            {"Effect": "Allow", "Action": INVOKE, "Resource": "arn:aws:bedrock:::foundation-model/*"},
        ],
    }
    via_profile = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": INVOKE, "Resource": "arn:aws:bedrock:*:*:inference-profile/*"},
            {
                "Effect": "Allow",
                "Action": INVOKE,
                "Resource": "arn:aws:bedrock:*::foundation-model/*",
                "Condition": {
                    "ArnLike": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*:*:inference-profile/us.*"}
                },
            },
            {
                "Effect": "Deny",
                "Action": "bedrock:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "ap-east-2"}},
            },
        ],
    }
    return {
        "guidance-shape": ip.parse_policy(guidance, name="g"),
        "profile-conditioned": ip.parse_policy(via_profile, name="v"),
    }


def main() -> int:
    table = load_profiles_table()
    models = list(table.models)
    regions = list(table.regions["aws"])
    assert len(models) == 16 and len(regions) == 29, (len(models), len(regions))
    geos3 = ["us", "eu", "global"]
    geos_all = ["us", "eu", "apac", "au", "jp", "global"]
    base = median_s(lambda: subprocess.run([sys.executable, "-I", "-c", "pass"], check=True), runs=5)
    print(f"baseline `python -I -c pass`: {base * 1000:.1f} ms")
    worst = 0.0
    for pname, pol in policies(regions).items():
        for label, ms, rs, gs in (
            ("8 x 29 x 3", models[:8], regions, geos3),
            ("16 x 29 x 3", models, regions, geos3),
            ("16 x 29 x 6", models, regions, geos_all),
        ):
            last: dict[str, Any] = {}

            def once(
                ms: list[str] = ms,
                rs: list[str] = rs,
                gs: list[str] = gs,
                pol: iam.Policy = pol,
                last: dict[str, Any] = last,
            ) -> None:
                last["r"] = evaluate_matrix(ms, rs, gs, table, [pol], account=ACCT)

            t = median_s(once)
            rep = last["r"]
            cells = len(ms) * len(rs) * len(gs)
            if label == "16 x 29 x 3":
                worst = max(worst, t)
            print(
                f"{pname:20s} {label:12s} cells={cells:5d} evaluated={rep.requests:6d} requests "
                f"distinct={rep.evaluations:5d}  median {t * 1000:7.1f} ms  "
                f"{t / max(rep.requests, 1) * 1e6:6.2f} us/request  ratio to baseline {t / base:5.2f}"
            )
    print(
        f"16 x 29 x 3 worst median: {worst * 1000:.1f} ms (budget 1000 ms) -> {'OK' if worst <= 1.0 else 'TOO SLOW'}"
    )
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
