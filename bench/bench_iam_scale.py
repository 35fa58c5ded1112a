"""Benchmark: `ccwb-doctor conform` on one permission policy of 10,000 statements (issue 16: it took
41 s and timed out when every matrix cell traced every statement). Budget: <= 2 s wall, process start
included, reported with the ratio to a baseline measured by the same interpreter in the same run
(`python -I -c pass`).

The policy: 10,000 statements, each allowing InvokeModel/InvokeModelWithResponseStream on one vendor's
foundation models and inference profiles in every region (``arn:aws:bedrock:*::foundation-model/vendorN.*``,
so a region wildcard defeats any prefix index), plus one statement that allows every Anthropic model;
conform evaluates the whole permission matrix against it. The run is checked (no error, the matrix
evaluated and allowed) before it is timed.

Run: .venv/bin/python bench/bench_iam_scale.py [--runs N] [--statements N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import baseline, script, wall  # noqa: E402

BUDGET_S = 2.0


def policy(n: int) -> dict:
    sts = [
        {
            "Sid": f"Vendor{i}",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": [
                f"arn:aws:bedrock:*::foundation-model/vendor{i}.model-{i}*",
                f"arn:aws:bedrock:*:*:inference-profile/*.vendor{i}.model-{i}*",
            ],
        }
        for i in range(n)
    ]
    sts.append(
        {
            "Sid": "Anthropic",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": [
                "arn:aws:bedrock:*::foundation-model/anthropic.*",
                "arn:aws:bedrock:*:*:inference-profile/*.anthropic.*",
            ],
        }
    )
    return {"Version": "2012-10-17", "Statement": sts}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--statements", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "BedrockAccessPolicy.json"
        path.write_text(json.dumps(policy(args.statements)))
        cmd = [script("ccwb-doctor"), "conform", str(path)]
        p = subprocess.run([*cmd, "--format", "json"], capture_output=True, text=True, timeout=600)
        rep = json.loads(p.stdout)
        assert rep["summary"]["error"] == 0, rep["summary"]
        perm = [r for r in rep["results"] if r["id"] == "CONFORM-MODEL-PERMISSION"]
        assert perm and all(r["status"] == "pass" for r in perm), [r["message"] for r in perm][:3]
        base = baseline()
        t = wall(cmd, runs=args.runs, warmup=1)
    print(f"policy: {args.statements + 1:,} statements; {len(perm)} MODEL-PERMISSION results, all pass")
    print(f"baseline python -I -c pass: median {base * 1000:.1f} ms")
    print(f"ccwb-doctor conform (whole process): median {t:.3f} s (budget {BUDGET_S:.1f} s)")
    print(f"ratio: conform / baseline = {t / base:.1f}x")
    sys.exit(0 if t <= BUDGET_S else 1)


if __name__ == "__main__":
    main()
