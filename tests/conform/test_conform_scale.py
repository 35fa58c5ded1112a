"""Issue 16: `conform` on a 10,000-statement permission policy took 41 s and timed out (every matrix
cell traced every statement). The evaluator now indexes statements by action and resource token, so
the cost follows the candidates, not the policy; here the whole conform pass must finish well inside
the per-check timeout, with the same verdicts, and a warning from an ambiguous condition must reach
conform as a warning."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from typing import Any

from ccwb_doctor.analyzers.bedrock.profiles import load_profiles_table
from ccwb_doctor.conform.engine import collect
from ccwb_doctor.conform.findings import find_all

_spec = importlib.util.spec_from_file_location(
    "bench_iam_scale", Path(__file__).parents[2] / "bench" / "bench_iam_scale.py"
)
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _statuses(found: dict[str, list[Any]], cid: str) -> list[str]:
    return [str(getattr(o.status, "value", o.status)) for o in found.get(cid, [])]


def test_conform_on_10k_statements_is_fast_and_complete(tmp_path: Path) -> None:
    path = tmp_path / "BedrockAccessPolicy.json"
    path.write_text(json.dumps(bench.policy(10_000)))
    t = time.perf_counter()
    found = find_all(collect([path]), load_profiles_table)
    took = time.perf_counter() - t
    assert took < 10, f"conform findings on 10k statements took {took:.1f} s"  # was > 41 s
    perm = _statuses(found, "CONFORM-MODEL-PERMISSION")
    assert perm and set(perm) == {"pass"}, perm
    assert "error" not in {s for v in found for s in _statuses(found, v)}


def test_an_ambiguous_condition_is_a_conform_warning(tmp_path: Path) -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                "Resource": [
                    "arn:aws:bedrock:*::foundation-model/*",
                    "arn:aws:bedrock:*:*:inference-profile/*",
                ],
                "Condition": {"ArnLike": {"aws:RequestedRegion": "arn:aws:*:*:*:*"}},
            },
            {
                "Effect": "Allow",
                "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                "Resource": [
                    "arn:aws:bedrock:*::foundation-model/*",
                    "arn:aws:bedrock:*:*:inference-profile/*",
                ],
                "Condition": {"ArnNotLike": {"aws:RequestedRegion": "arn:aws:*:*:*:*"}},
            },
        ],
    }
    path = tmp_path / "BedrockAccessPolicy.json"
    path.write_text(json.dumps(doc))
    found = find_all(collect([path]), load_profiles_table)
    outs = found["CONFORM-MODEL-PERMISSION"]
    warned = [o for o in outs if str(getattr(o.status, "value", o.status)) == "warn"]
    assert warned, [o.message for o in outs]
    assert "six-part ARN" in warned[0].message
    assert warned[0].evidence["warnings"]
