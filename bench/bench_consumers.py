"""Issue 15 budget: the consumer model (the ``consumers`` and ``settings_commands`` facts: INI readings,
shell word model, settings command model) adds <= 10 ms to an offline run.

Each run is a fresh ``python`` process over a healthy guidance install: it computes the facts the model
depends on (settings stack, paths, capture, AWS config), then times the first ``facts.consumers`` and
``facts.settings_commands`` (module imports included: a fresh process pays them), then finishes the offline
CONFIG run. Reported: median of that added time, the median whole CONFIG run, and ``python -I -c pass`` by
the same interpreter in the same session.

    python bench/bench_consumers.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import baseline  # noqa: E402

from ccwb_doctor.fixtures import scenarios as sc  # noqa: E402

BUDGET_MS = 10.0

DRIVER = r"""
import json, sys, time
t_start = time.perf_counter()
from ccwb_doctor.app import run_report
from ccwb_doctor.facts import Facts
from ccwb_doctor.options import RunOptions
from pathlib import Path
home, env = sys.argv[1], json.loads(sys.argv[2])
facts = Facts(RunOptions(home=Path(home), mode="offline"), env=env)
for name in ("claude_settings", "claude_env", "paths", "capture", "judged_platform", "aws_config"):
    facts.peek(name)
t0 = time.perf_counter()
facts.consumers
facts.settings_commands
added = time.perf_counter() - t0
run_report(facts.options, only=["config"], env=env, facts=facts)
print(json.dumps({"added": added, "whole": time.perf_counter() - t_start}))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    runs = ap.parse_args().runs
    added, whole = [], []
    with tempfile.TemporaryDirectory() as d:
        s = sc.guidance_install(Path(d) / "home")
        env = {**s.env, "NO_COLOR": "1"}
        base = baseline(runs)
        for i in range(runs + 2):
            t0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", DRIVER, str(s.home), json.dumps(env)],
                capture_output=True,
                text=True,
                check=True,
            )
            wall = time.perf_counter() - t0
            if i >= 2:  # warm-up
                added.append(json.loads(out.stdout.strip().splitlines()[-1])["added"])
                whole.append(wall)
    a, w = statistics.median(added) * 1000, statistics.median(whole) * 1000
    print(f"python -I -c pass                      median {base * 1000:7.1f} ms")
    print(f"offline CONFIG run (fresh process)     median {w:7.1f} ms  ratio {w / (base * 1000):5.1f}x")
    print(
        f"consumer model (consumers + settings_commands facts, imports included) median {a:6.2f} ms "
        f"(budget {BUDGET_MS:.0f} ms)"
    )
    return 0 if a <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
