"""The fleet document (schema ``ccwb-doctor/fleet/v1``) as text, Markdown or JSON; HTML is in fleet_html.

Each takes the document the command has already redacted. Text and Markdown show the first ``TOP`` root
causes and matrix rows; the JSON document has them all.
"""

from __future__ import annotations

import json
from typing import Any

TOP = 10


def _pct(n: int, total: int) -> str:
    return f"{100.0 * n / total:.1f}%" if total else "0.0%"


def _headline(doc: dict[str, Any]) -> list[str]:
    t = doc["totals"]
    r = t["results"]
    return [
        f"Reports: {t['reports']} read · {t['healthy']} healthy · {t['failing']} failing · "
        f"{t['unreadable']} unreadable · {t['stale']} stale (older than {doc['stale']['hours']:g} h)",
        f"Results: {r['pass']} pass · {r['warn']} warn · {r['fail']} fail · {r['error']} error · {r['skip']} skip",
    ]


def json_render(doc: dict[str, Any], **_: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def text(doc: dict[str, Any], **_: Any) -> str:
    t = doc["totals"]
    out = [f"ccwb-doctor fleet · {doc['tool']['version']} · {doc['generated_at']}", *_headline(doc), ""]
    out.append("Platforms")
    w = max((len(p["platform"]) for p in doc["platforms"]), default=8)
    for p in doc["platforms"]:
        out.append(f"  {p['platform']:<{w}}  {p['reports']:>7} reports  {p['failing']:>7} failing")
    out.append("")
    causes = doc["root_causes"]
    out.append(f"Top root causes (reports failing; {len(causes)} checks fail somewhere)")
    if not causes:
        out.append("  none: no report has a failing check")
    for i, c in enumerate(causes[:TOP], 1):
        out.append(
            f"  {i:>2}. {c['failing']:>7} ({_pct(c['failing'], t['reports'])})  {c['id']}: {c['title']}"
        )
        if c["remediation"]:
            out.append(f"      fix: {c['remediation']}")
    out.append("")
    m = doc["matrix"]
    if m["rows"]:
        out.append("Failing reports by check × platform (+N: warning)")
        cw = max(len(r["id"]) for r in m["rows"][:TOP])
        widths = [max(len(p), 9) for p in m["platforms"]]
        out.append(
            "  " + " " * cw + "".join(f"  {p:>{wd}}" for p, wd in zip(m["platforms"], widths, strict=True))
        )
        for r in m["rows"][:TOP]:
            cells = [
                (f"{f}" if f else "·") + (f" +{wn}" if wn else "")
                for f, wn in zip(r["fail"], r["warn"], strict=True)
            ]
            out.append(
                f"  {r['id']:<{cw}}" + "".join(f"  {c:>{wd}}" for c, wd in zip(cells, widths, strict=True))
            )
        if len(m["rows"]) > TOP:
            out.append(f"  … {len(m['rows']) - TOP} more checks (see --format json)")
        out.append("")
    s = doc["stale"]
    out.append(f"Stale reports: {s['count']} older than {s['hours']:g} h")
    for e in s["oldest"]:
        out.append(f"  {e['report']}  {e['generated_at']}  ({e['age_hours']:g} h old)")
    u = doc["unreadable"]
    out.append("")
    out.append(f"Unreadable inputs: {u['count']}")
    for e in u["examples"]:
        out.append(f"  {e['report']}: {e['reason']}")
    if u["count"] > len(u["examples"]):
        out.append(f"  … and {u['count'] - len(u['examples'])} more")
    since = doc.get("since")
    if since is not None:
        out += ["", *_since_text(since)]
    return "\n".join(out) + "\n"


def _since_text(s: dict[str, Any]) -> list[str]:
    out = [
        f"Since the baseline: {s['baseline_reports']} reports then, {s['matched']} matched, "
        f"{s['new_reports']} new, {s['missing_reports']} missing"
    ]
    for label, key in (
        ("Regressions (failing now, not then)", "regressions"),
        ("Fixed (failing then, not now)", "fixes"),
    ):
        out.append(f"{label}: {sum(e['reports'] for e in s[key])}")
        for e in s[key]:
            out.append(f"  {e['id']}: {e['reports']} report(s), e.g. {', '.join(e['examples'])}")
    if s["checks"]:
        out.append("Failing reports per check, then → now")
        for c in s["checks"]:
            out.append(f"  {c['id']}: {c['before']} → {c['after']}")
    return out


def _cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def markdown(doc: dict[str, Any], **_: Any) -> str:
    t = doc["totals"]
    out = [
        "# ccwb-doctor fleet summary",
        "",
        f"ccwb-doctor {doc['tool']['version']} · {doc['generated_at']}",
        "",
    ]
    out += [f"**{line.split(':', 1)[0]}:**{line.split(':', 1)[1]}" for line in _headline(doc)]
    out += ["", "## Platforms", "", "| Platform | Reports | Failing |", "|---|---:|---:|"]
    out += [f"| {_cell(p['platform'])} | {p['reports']} | {p['failing']} |" for p in doc["platforms"]]
    out += ["", "## Top root causes", ""]
    if doc["root_causes"]:
        out += ["| # | Check | Reports failing | Fix |", "|---:|---|---:|---|"]
        for i, c in enumerate(doc["root_causes"][:TOP], 1):
            out.append(
                f"| {i} | **{_cell(c['id'])}** {_cell(c['title'])} | {c['failing']} "
                f"({_pct(c['failing'], t['reports'])}) | {_cell(c['remediation'])} |"
            )
    else:
        out.append("No report has a failing check.")
    m = doc["matrix"]
    if m["rows"]:
        out += ["", "## Failing reports by check × platform", "", "(+N: reports warning)", ""]
        out.append("| Check | " + " | ".join(_cell(p) for p in m["platforms"]) + " |")
        out.append("|---|" + "---:|" * len(m["platforms"]))
        for r in m["rows"][:TOP]:
            cells = [f"{f}" + (f" +{wn}" if wn else "") for f, wn in zip(r["fail"], r["warn"], strict=True)]
            out.append(f"| {_cell(r['id'])} | " + " | ".join(cells) + " |")
    s = doc["stale"]
    out += ["", "## Stale reports", "", f"{s['count']} report(s) older than {s['hours']:g} h."]
    if s["oldest"]:
        out += ["", "| Report | Generated | Age (h) |", "|---|---|---:|"]
        out += [f"| {_cell(e['report'])} | {e['generated_at']} | {e['age_hours']:g} |" for e in s["oldest"]]
    u = doc["unreadable"]
    out += ["", "## Unreadable inputs", "", f"{u['count']} input(s) could not be read."]
    out += [f"- `{_cell(e['report'])}`: {_cell(e['reason'])}" for e in u["examples"]]
    since = doc.get("since")
    if since is not None:
        out += ["", "## Since the baseline", ""]
        out += [f"- {line}" for line in _since_text(since)]
    return "\n".join(out) + "\n"
