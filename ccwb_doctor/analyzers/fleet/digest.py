"""One report's text → a :class:`Digest` (what the fleet view needs of it), or :class:`BadReport`.

Accepts the JSON report (``--format json``) and the helpdesk file of ``ccwb-doctor report``: Markdown
whose last fenced ```` ```json ```` block is the JSON report. Checks the shape the fleet relies on (schema
id, host, generated_at, results with known statuses), not the whole JSON schema: that is the renderer's
contract, and a hand-edited report only needs to be readable here.

Speed (100,000 reports in seconds): evidence is most of a report's bytes and the fleet never reads it. In
the layout every renderer of ours writes (``json.dumps(indent=2)``), a result's evidence object opens with
``"evidence": {`` at six spaces and closes with the first ``}`` at exactly six spaces; :func:`parse` cuts
those spans out (``str.find``) and parses the rest with the standard parser, so everything but the
evidence's inside is still validated as JSON. A document in any other layout, or one the cut version of
which does not parse, is parsed whole.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, NamedTuple

SCHEMA = "ccwb-doctor/report/v1"
STATUSES = ("pass", "warn", "fail", "skip", "error")
FAILING = ("fail", "error")
_FENCE = "```json\n"
_OPEN = '\n      "evidence": {\n'
_CLOSE = "\n      }"


def cut_evidence(body: str) -> str | None:
    """``body`` with each result's evidence emptied (the indent=2 layout), or None if there is none."""
    parts = []
    pos = 0
    while True:
        start = body.find(_OPEN, pos)
        if start < 0:
            break
        end = body.find(_CLOSE, start + len(_OPEN) - 1)
        if end < 0:
            return None
        parts.append(body[pos:start])
        parts.append('\n      "evidence": {}')
        pos = end + len(_CLOSE)
    if not parts:
        return None
    parts.append(body[pos:])
    return "".join(parts)


class BadReport(ValueError):
    """The text is not a readable schema-v1 report; the message is the one-line reason."""


class Failure(NamedTuple):
    id: str
    title: str
    area: str
    severity: str
    remediation: str


class Digest(NamedTuple):
    generated_at: str
    epoch: float  # generated_at as POSIX seconds
    platform: str  # "os/arch"
    counts: tuple[int, int, int, int, int]  # results by STATUSES
    failing: tuple[Failure, ...]  # one per check id with a fail/error result, in report order
    warning: tuple[str, ...]  # check ids with a warn result and no fail/error


def extract_json(text: str) -> str:
    """The JSON document in ``text``: the text itself, or the last ```json block of a Markdown report."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return stripped
    start = text.rfind(_FENCE)
    if start < 0:
        raise BadReport("neither a JSON report nor a Markdown report with an embedded ```json block")
    start += len(_FENCE)
    end = text.find("\n```", start)
    if end < 0:
        raise BadReport("the embedded ```json block is not closed")
    return text[start:end]


def parse_time(value: Any) -> float:
    if not isinstance(value, str):
        raise BadReport("generated_at is missing or not a string")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise BadReport(f"generated_at is not an RFC 3339 time: {value[:40]!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _str(d: dict[str, Any], key: str, default: str = "") -> str:
    v = d.get(key, default)
    return v if isinstance(v, str) else default


# os.uname / platform.machine names -> the names a judged platform (and so the OTLP export) uses
_ARCH_NAMES = {"aarch64": "arm64", "amd64": "x86_64", "x64": "x86_64"}


def from_doc(doc: Any) -> Digest:
    if not isinstance(doc, dict):
        raise BadReport("the JSON document is not an object")
    if doc.get("schema") != SCHEMA:
        got = doc.get("schema")
        raise BadReport(
            f"schema is {str(got)[:60]!r}, not {SCHEMA!r}" if got else f"no schema (want {SCHEMA!r})"
        )
    host = doc.get("host")
    if (
        not isinstance(host, dict)
        or not isinstance(host.get("os"), str)
        or not isinstance(host.get("arch"), str)
    ):
        raise BadReport("host.os / host.arch missing")
    results = doc.get("results")
    if not isinstance(results, list):
        raise BadReport("results is not a list")
    epoch = parse_time(doc.get("generated_at"))
    counts = [0, 0, 0, 0, 0]
    failing: dict[str, Failure] = {}
    warning: dict[str, None] = {}
    for i, r in enumerate(results):
        if not isinstance(r, dict) or not isinstance(r.get("id"), str) or not r["id"]:
            raise BadReport(f"results[{i}] has no id")
        status = r.get("status")
        if status not in STATUSES:
            raise BadReport(f"results[{i}] ({r['id'][:40]}) has status {str(status)[:20]!r}")
        counts[STATUSES.index(status)] += 1
        cid = r["id"]
        if status in FAILING:
            if cid not in failing:
                failing[cid] = Failure(
                    cid, _str(r, "title", cid), _str(r, "area"), _str(r, "severity"), _str(r, "remediation")
                )
        elif status == "warn":
            warning[cid] = None
    arch = host["arch"].strip().lower()
    platform = f"{host['os'].strip().lower() or '?'}/{_ARCH_NAMES.get(arch, arch) or '?'}"
    return Digest(
        doc["generated_at"],
        epoch,
        platform,
        (counts[0], counts[1], counts[2], counts[3], counts[4]),
        tuple(failing.values()),
        tuple(c for c in warning if c not in failing),
    )


def parse_all(data: bytes) -> list[tuple[str, Digest]]:
    """A file's bytes → (key suffix, digest) for each report in it: one schema-v1 report (suffix ""), or
    an OTLP JSON file of exported results, one per machine (``analyzers.fleet.otlp``)."""
    text = _utf8(data)
    from ccwb_doctor.analyzers.fleet import otlp

    if otlp.is_otlp_json(text):
        return otlp.digests(text)
    return [("", parse_text(text))]


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadReport(f"not UTF-8 (byte {exc.start})") from None


def parse(data: bytes) -> Digest:
    """A report file's bytes → its digest; :class:`BadReport` with the reason otherwise."""
    return parse_text(_utf8(data))


def parse_text(text: str) -> Digest:
    body = extract_json(text)
    cut = cut_evidence(body)
    if cut is not None:
        try:
            return from_doc(json.loads(cut))
        except (json.JSONDecodeError, RecursionError, BadReport):
            pass  # an unusual layout or a real problem: the whole parse below decides and names it
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise BadReport(f"not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise BadReport("not valid JSON (nested too deeply)") from None
    return from_doc(doc)
