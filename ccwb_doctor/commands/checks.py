"""`ccwb-doctor checks`: the catalog (id, title, area, severity, needs)."""

from __future__ import annotations

import argparse
import json
import sys


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.registry import REGISTRY

    metas = [c.meta for c in REGISTRY.discover().all()]
    if args.format == "json":
        sys.stdout.write(json.dumps({"checks": [m.to_dict() for m in metas]}, indent=2) + "\n")
        return 0
    width = max((len(m.id) for m in metas), default=10)
    for m in metas:
        needs = f"  (needs: {', '.join(m.needs)})" if m.needs else ""
        sys.stdout.write(f"{m.id:<{width}}  {m.area:<8} {m.severity:<8} {m.title}{needs}\n")
    return 0
