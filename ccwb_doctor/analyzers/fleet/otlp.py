"""An OTLP JSON file of the doctor's exported results → one :class:`Digest` per machine.

The file is what an OpenTelemetry collector's file exporter writes (one ``{"resourceLogs": [...]}``
request per line; a pretty-printed single request is read too). Only log records of the ``ccwb-doctor``
scope with a check id count; other scopes (Claude Code's own events in the same file), metric and trace
lines are skipped. Records are grouped into runs by ``service.instance.id`` (a run may span several
requests), and each machine (``ccwb.host.pseudo_id``) is represented by its newest run, so a file that
collects a fleet for weeks still shows each machine once. Memory: one small entry per run in the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import field
from datetime import UTC, datetime
from typing import Any

from ccwb_doctor.analyzers.fleet.digest import FAILING, STATUSES, BadReport, Digest, Failure
from ccwb_doctor.analyzers.telemetry import records as T
from ccwb_doctor.records import record

PREFIXES = ('"resourceLogs"', '"resourceMetrics"', '"resourceSpans"')


def is_otlp_json(text: str) -> bool:
    """Does ``text`` open like an OTLP JSON request (cheap: looks at its first key only)?"""
    head = text[:200].lstrip("\ufeff \t\r\n")
    return head.startswith("{") and head[1:].lstrip().startswith(PREFIXES)


def _value(v: Any) -> Any:
    """An OTLP JSON AnyValue → a Python scalar (strings, numbers, booleans; others as None)."""
    if not isinstance(v, dict):
        return None
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in v:
            return v[key]
    if "intValue" in v:
        try:
            return int(v["intValue"])
        except (TypeError, ValueError):
            return None
    return None


def _attrs(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {
        a["key"]: _value(a.get("value"))
        for a in items
        if isinstance(a, dict) and isinstance(a.get("key"), str)
    }


@record
class _Run:
    host: str
    platform: str
    epoch: float = 0.0
    counts: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])
    failing: dict[str, Failure] = field(default_factory=dict)
    warning: dict[str, None] = field(default_factory=dict)

    def add(self, rec: dict[str, Any]) -> None:
        attrs = _attrs(rec.get("attributes"))
        cid, status = attrs.get(T.L_ID), attrs.get(T.L_STATUS)
        if not isinstance(cid, str) or not cid:
            return
        if status not in STATUSES:
            raise BadReport(f"a {cid[:40]} record has status {str(status)[:20]!r}")
        self.counts[STATUSES.index(status)] += 1
        try:
            self.epoch = max(self.epoch, int(rec.get("timeUnixNano") or 0) / 1e9)
        except (TypeError, ValueError):
            raise BadReport(f"a {cid[:40]} record has a bad timeUnixNano") from None
        if status in FAILING:
            s = lambda k: attrs.get(k) if isinstance(attrs.get(k), str) else ""  # noqa: E731
            self.failing.setdefault(
                cid, Failure(cid, s(T.L_TITLE) or cid, s(T.L_AREA), s(T.L_SEVERITY), s(T.L_FIX))
            )
        elif status == "warn":
            self.warning[cid] = None

    def digest(self) -> Digest:
        when = datetime.fromtimestamp(self.epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        c = self.counts
        warn = tuple(cid for cid in self.warning if cid not in self.failing)
        return Digest(
            when,
            self.epoch,
            self.platform,
            (c[0], c[1], c[2], c[3], c[4]),
            tuple(self.failing.values()),
            warn,
        )


def _requests(text: str) -> Iterator[tuple[int, Any]]:
    """(line number, request object) for each request: the file as one (maybe pretty-printed) request,
    else one request per line (a JSON-lines file fails the whole parse at its second line: cheap)."""
    try:
        yield 1, json.loads(text.lstrip("\ufeff"))
        return
    except (json.JSONDecodeError, RecursionError):
        pass
    lines = text.split("\n")
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield i, json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            if i == len(lines) and not text.endswith("\n"):
                return  # a last line still being written
            why = getattr(exc, "msg", "nested too deeply")
            raise BadReport(f"line {i} is not valid OTLP JSON ({why})") from None


def digests(text: str) -> list[tuple[str, Digest]]:
    """(``#host-<pseudo id>``, digest of that machine's newest run) for every machine in the file."""
    runs: dict[str, _Run] = {}
    for lineno, req in _requests(text):
        if not isinstance(req, dict):
            raise BadReport(f"line {lineno} is not an OTLP JSON object")
        for rl in req.get("resourceLogs") or []:
            if not isinstance(rl, dict):
                continue
            res = _attrs((rl.get("resource") or {}).get("attributes"))
            for sl in rl.get("scopeLogs") or []:
                if not isinstance(sl, dict) or (sl.get("scope") or {}).get("name") != T.SCOPE:
                    continue
                run_id = str(res.get(T.R_RUN) or f"line-{lineno}")
                run = runs.get(run_id)
                if run is None:
                    host = str(res.get(T.R_HOST_ID) or run_id)
                    run = runs[run_id] = _Run(host, T.platform_of(res))
                for rec in sl.get("logRecords") or []:
                    if isinstance(rec, dict):
                        run.add(rec)
    newest: dict[str, _Run] = {}
    for run in runs.values():
        # the newest run; on a tie (runs in the same second) the later one in the file
        if sum(run.counts) and (run.host not in newest or run.epoch >= newest[run.host].epoch):
            newest[run.host] = run
    if not newest:
        raise BadReport("an OTLP JSON file with no ccwb-doctor results")
    return [(f"#host-{h}", newest[h].digest()) for h in sorted(newest)]
