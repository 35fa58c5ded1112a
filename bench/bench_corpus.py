"""Speed budget on real AWS-guidance installs: `ccwb-doctor run --home H --offline --format json` <= 5x
`python -I -c pass` run by the same interpreter (the doctor's venv), paired: each doctor run is timed next to
a baseline run, and the ratio is the median of the per-pair ratios. Both medians are printed.

    python bench/bench_corpus.py [--runs N] [--install NAME]... [--all] [--budget 5]

Default: five installs of different kinds; --all: every healthy install of the corpus.

Exit 1 when a median ratio is over budget.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import script  # noqa: E402

from ccwb_doctor.fixtures import guidance_corpus as G  # noqa: E402

DEFAULT_INSTALLS = (
    "okta-session-https",
    "macos-arm64",
    "windows-awscli",
    "idc-zero-binary",
    "legacy-1.1.4-flat",
)


def _time(cmd: list[str], env: dict[str, str] | None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - t0


def paired(cmd: list[str], env: dict[str, str], runs: int, warmup: int = 2) -> tuple[float, float, float]:
    """(median doctor s, median baseline s, median of per-pair ratios)."""
    base_cmd = [sys.executable, "-I", "-c", "pass"]
    docs, bases, ratios = [], [], []
    for i in range(runs + warmup):
        b = _time(base_cmd, None)
        d = _time(cmd, env)
        if i >= warmup:
            docs.append(d)
            bases.append(b)
            ratios.append(d / b)
    return statistics.median(docs), statistics.median(bases), statistics.median(ratios)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--install", action="append", help="corpus install name (repeatable)")
    ap.add_argument("--all", action="store_true", help="every healthy install of the corpus")
    ap.add_argument("--budget", type=float, default=5.0)
    args = ap.parse_args()
    exe = script("ccwb-doctor")
    over = False
    print(f"interpreter: {sys.executable}")
    with tempfile.TemporaryDirectory() as d:
        names = sorted(G.HEALTHY) if args.all else args.install or DEFAULT_INSTALLS
        for name in names:
            home = Path(d) / name / "ana"
            home.mkdir(parents=True)
            inst = G.build(name, home)
            env = {**inst.env, "NO_COLOR": "1"}
            cmd = [exe, *inst.argv("--format", "json")]
            doc, base, ratio = paired(cmd, env, args.runs)
            over |= ratio > args.budget
            print(
                f"{name:24} doctor median {doc * 1000:6.1f} ms  python -I -c pass median {base * 1000:5.1f} ms  "
                f"paired ratio {ratio:4.1f}x (budget {args.budget:g}x){'  OVER' if ratio > args.budget else ''}"
            )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
