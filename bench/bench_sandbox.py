"""Benchmark: `ccwb-doctor sandbox` from a cold process start to the printed report (budget 15 s), and
the memory peak of that process (and its helper subprocesses).

Each run is a fresh `ccwb-doctor sandbox` process: start the IdP, moto + the enforcing front and the
collector, deploy the auth stack through CloudFormation, write the HOME, sign in through the helper,
run the whole doctor in --live mode, print the report, tear down. Baseline: `python -I -c pass` in the
same run. Peak memory: ru_maxrss of each sandbox process (wait4), and RUSAGE_CHILDREN of this bench,
which is the largest resident set of any waited-for descendant (the sandbox or a helper it ran).

Run: .venv/bin/python bench/bench_sandbox.py [--runs 5] [--break PITFALL]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import baseline, script  # noqa: E402

BUDGET_S = 15.0


def one(argv: list[str]) -> tuple[float, int, int]:
    """(wall seconds, sandbox process peak RSS KiB, exit code) of one cold run."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child execs the sandbox with stdout/stderr discarded
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(argv[0], argv)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    return wall, int(usage.ru_maxrss), os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--break", dest="brk", default=None)
    args = ap.parse_args()
    argv = [script("ccwb-doctor"), "sandbox", "--format", "json"]
    if args.brk:
        argv += ["--break", args.brk]
    base = baseline(15)
    one(argv)  # warm the OS page cache (imports, moto's service models)
    walls, peaks, codes = [], [], set()
    for _ in range(args.runs):
        w, rss, code = one(argv)
        walls.append(w)
        peaks.append(rss)
        codes.add(code)
    helpers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    med = statistics.median(walls)
    print(f"python -I -c pass              median {base * 1000:8.1f} ms")
    print(
        f"sandbox cold start -> report   median {med:8.2f} s   min {min(walls):.2f} s   max {max(walls):.2f} s"
        f"   ratio {med / base:6.1f}x baseline   budget {BUDGET_S:.0f} s: {'OK' if med <= BUDGET_S else 'OVER'}"
    )
    print(
        f"sandbox process peak RSS       median {statistics.median(peaks) / 1024:8.1f} MiB   max {max(peaks) / 1024:.1f} MiB"
    )
    print(f"largest child process RSS      {helpers_peak / 1024:8.1f} MiB (the sandbox itself or a helper)")
    print(f"exit codes                     {sorted(codes)} ({'healthy' if not args.brk else args.brk})")
    return 0 if med <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
