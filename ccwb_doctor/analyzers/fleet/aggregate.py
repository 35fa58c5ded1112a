"""Fold digests, one report at a time, into the fleet document (schema ``ccwb-doctor/fleet/v1``).

Memory is bounded by the number of distinct check ids and platforms, plus a few named examples per list;
``--since`` adds one small entry per baseline report (its key and the interned set of its failing check
ids), never the reports themselves.

Rules, so the numbers can be explained:
- a report *fails* a check when it has at least one ``fail`` or ``error`` result with that id (a check with
  several results, such as MODEL-PERMISSION per model, counts once per report); it *warns* when it has a
  ``warn`` result and no failing one;
- the fix shown for a check is the remediation of the first report (in input order) that failed it;
- a report is *stale* when its generated_at is more than ``stale_hours`` before ``now``;
- with a baseline, reports are matched by key (the path relative to the directory given, or the file
  name for a file given); a *regression* is a check failing now that did not fail in the matched baseline
  report, a *fix* the reverse.
"""

from __future__ import annotations

import heapq
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from ccwb_doctor.analyzers.fleet.digest import STATUSES, Digest, Failure

FLEET_SCHEMA = "ccwb-doctor/fleet/v1"
EXAMPLES = 5  # named reports per list
STALE_LISTED = 10


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Named:
    """A count and the first few names."""

    __slots__ = ("count", "names")

    def __init__(self) -> None:
        self.count = 0
        self.names: list[str] = []

    def add(self, name: str) -> None:
        self.count += 1
        if len(self.names) < EXAMPLES:
            self.names.append(name)


class Baseline:
    """The old snapshot for ``--since``: key → failing check ids, plus its per-check totals."""

    def __init__(self) -> None:
        self.failing: dict[str, frozenset[str]] = {}
        self._interned: dict[frozenset[str], frozenset[str]] = {}
        self.fail_counts: Counter[str] = Counter()
        self.reports = 0
        self.unreadable = 0

    def add(self, key: str, digest: Digest) -> None:
        ids = frozenset(f.id for f in digest.failing)
        ids = self._interned.setdefault(ids, ids)
        if key not in self.failing:
            self.reports += 1
            self.fail_counts.update(ids)
        self.failing[key] = ids

    def add_bad(self) -> None:
        self.unreadable += 1


class FleetAggregator:
    def __init__(self, *, now: float, stale_hours: float, baseline: Baseline | None = None) -> None:
        self.now = now
        self.stale_hours = stale_hours
        self._stale_before = now - stale_hours * 3600.0
        self.reports = 0
        self.failing_reports = 0
        self.results: Counter[str] = Counter()
        self.platforms: Counter[str] = Counter()
        self.platform_failing: Counter[str] = Counter()
        self.fail: Counter[str] = Counter()
        self.warn: Counter[str] = Counter()
        self.cell_fail: Counter[tuple[str, str]] = Counter()
        self.cell_warn: Counter[tuple[str, str]] = Counter()
        self.meta: dict[str, Failure] = {}
        self.unreadable = _Named()
        self.bad_examples: list[tuple[str, str]] = []
        self.stale = 0
        self._oldest: list[tuple[float, str, str]] = []  # max-heap via negated epoch, STALE_LISTED entries
        self.newest = 0.0
        self.baseline = baseline
        self.regressions: dict[str, _Named] = {}
        self.fixes: dict[str, _Named] = {}
        self.matched = 0
        self.new_reports = 0
        self._seen: set[str] = set()

    # -- folding --------------------------------------------------------------------------------------
    def add_bad(self, name: str, reason: str) -> None:
        self.unreadable.add(name)
        if len(self.bad_examples) < EXAMPLES:
            self.bad_examples.append((name, reason))

    def add(self, key: str, digest: Digest) -> None:
        self.reports += 1
        plat = digest.platform
        self.platforms[plat] += 1
        for status, n in zip(STATUSES, digest.counts, strict=True):
            if n:
                self.results[status] += n
        if digest.failing:
            self.failing_reports += 1
            self.platform_failing[plat] += 1
        for f in digest.failing:
            self.fail[f.id] += 1
            self.cell_fail[(f.id, plat)] += 1
            if f.id not in self.meta:
                self.meta[f.id] = f
        for cid in digest.warning:
            self.warn[cid] += 1
            self.cell_warn[(cid, plat)] += 1
        self.newest = max(self.newest, digest.epoch)
        if digest.epoch < self._stale_before:
            self.stale += 1
            item = (-digest.epoch, key, digest.generated_at)
            if len(self._oldest) < STALE_LISTED:
                heapq.heappush(self._oldest, item)
            elif item > self._oldest[0]:
                heapq.heapreplace(self._oldest, item)
        if self.baseline is not None:
            self._compare(key, digest)

    def _compare(self, key: str, digest: Digest) -> None:
        assert self.baseline is not None
        self._seen.add(key)
        old = self.baseline.failing.get(key)
        if old is None:
            self.new_reports += 1
            return
        self.matched += 1
        now = {f.id for f in digest.failing}
        for cid in sorted(now - old):
            self.regressions.setdefault(cid, _Named()).add(key)
        for cid in sorted(old - now):
            self.fixes.setdefault(cid, _Named()).add(key)

    # -- the document ---------------------------------------------------------------------------------
    def _check(self, cid: str) -> dict[str, Any]:
        m = self.meta.get(cid)
        return {
            "id": cid,
            "title": m.title if m else cid,
            "area": m.area if m else "",
            "severity": m.severity if m else "",
        }

    def document(self, tool_version: str) -> dict[str, Any]:
        plats = sorted(self.platforms, key=lambda p: (-self.platforms[p], p))
        checks = sorted(set(self.fail) | set(self.warn), key=lambda c: (-self.fail[c], -self.warn[c], c))
        oldest = sorted(self._oldest, key=lambda t: (-t[0], t[1]))  # oldest first
        doc: dict[str, Any] = {
            "schema": FLEET_SCHEMA,
            "tool": {"name": "ccwb-doctor", "version": tool_version},
            "generated_at": rfc3339(self.now),
            "totals": {
                "reports": self.reports,
                "failing": self.failing_reports,
                "healthy": self.reports - self.failing_reports,
                "unreadable": self.unreadable.count,
                "stale": self.stale,
                "results": {s: self.results[s] for s in STATUSES},
            },
            "platforms": [
                {"platform": p, "reports": self.platforms[p], "failing": self.platform_failing[p]}
                for p in plats
            ],
            "root_causes": [
                {
                    **self._check(c),
                    "failing": self.fail[c],
                    "share": round(self.fail[c] / self.reports, 4) if self.reports else 0.0,
                    "remediation": self.meta[c].remediation,
                }
                for c in checks
                if self.fail[c]
            ],
            "matrix": {
                "platforms": plats,
                "rows": [
                    {
                        "id": c,
                        "fail": [self.cell_fail[(c, p)] for p in plats],
                        "warn": [self.cell_warn[(c, p)] for p in plats],
                    }
                    for c in checks
                ],
            },
            "stale": {
                "hours": self.stale_hours,
                "count": self.stale,
                "oldest": [
                    {
                        "report": key,
                        "generated_at": gen,
                        "age_hours": round((self.now + neg) / 3600.0, 1),
                    }
                    for neg, key, gen in oldest
                ],
            },
            "unreadable": {
                "count": self.unreadable.count,
                "examples": [{"report": n, "reason": r} for n, r in self.bad_examples],
            },
            "since": None,
        }
        if self.baseline is not None:
            b = self.baseline
            ids = sorted(set(b.fail_counts) | set(self.fail), key=lambda c: (c not in self.fail, c))

            def named(d: dict[str, _Named]) -> list[dict[str, Any]]:
                order = sorted(d, key=lambda c: (-d[c].count, c))
                return [{"id": c, "reports": d[c].count, "examples": d[c].names} for c in order]

            doc["since"] = {
                "baseline_reports": b.reports,
                "baseline_unreadable": b.unreadable,
                "matched": self.matched,
                "new_reports": self.new_reports,
                "missing_reports": sum(1 for k in b.failing if k not in self._seen),
                "regressions": named(self.regressions),
                "fixes": named(self.fixes),
                "checks": [
                    {"id": c, "before": b.fail_counts[c], "after": self.fail[c]}
                    for c in ids
                    if b.fail_counts[c] != self.fail[c]
                ],
            }
        return doc
