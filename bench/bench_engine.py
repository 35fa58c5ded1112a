"""Foundation budgets: `ccwb-doctor --version` <= 8x and a full offline run of the CONFIG checks on a healthy
scenario <= 25x `python -I -c pass`, measured in the same run.

    python bench/bench_engine.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import baseline, script, wall  # noqa: E402

from ccwb_doctor.fixtures import scenarios as sc  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    runs = ap.parse_args().runs
    exe = script("ccwb-doctor")
    with tempfile.TemporaryDirectory() as d:
        s = sc.guidance_install(Path(d) / "home")
        env = {**s.env, "NO_COLOR": "1"}
        base = baseline(runs)
        version = wall([exe, "--version"], runs)
        full = wall([exe, "--home", str(s.home), "--offline", "--only", "config"], runs, env=env)
        everything = wall([exe, "--home", str(s.home), "--offline"], runs, env=env)
    print(f"python -I -c pass            median {base * 1000:7.1f} ms")
    print(
        f"ccwb-doctor --version        median {version * 1000:7.1f} ms  ratio {version / base:5.1f}x (budget 8x)"
    )
    print(
        f"offline CONFIG run, healthy  median {full * 1000:7.1f} ms  ratio {full / base:5.1f}x (budget 25x)"
    )
    print(
        f"offline full catalog run     median {everything * 1000:7.1f} ms  ratio {everything / base:5.1f}x (info)"
    )
    ok = version / base <= 8 and full / base <= 25
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.pop("AWS_PROFILE", None)
    sys.exit(main())
