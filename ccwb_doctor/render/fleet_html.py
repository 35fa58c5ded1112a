"""The fleet document as ONE self-contained HTML page: inline CSS, inline SVG bar charts, no script, no
external reference of any kind. A Content-Security-Policy of ``default-src 'none'`` (styles inline only)
makes the browser refuse any request the page could still make, so it works offline and leaks nothing.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ccwb_doctor.render.fleet import TOP

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:70em;color:#1b1f24;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d0d7de;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#57606a}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:.6em 1em;min-width:8em}
.card b{display:block;font-size:1.6em}.bad b{color:#cf222e}.ok b{color:#1a7f37}
svg text{font:12px system-ui,sans-serif;fill:#1b1f24}svg .bar{fill:#cf222e}svg .bar.p{fill:#bc4c00}
"""


def _chart(title: str, rows: list[tuple[str, int]], cls: str, chart_id: str) -> str:
    """A horizontal bar chart as inline SVG (no script, no font or image fetch)."""
    rows = rows[:TOP] or [("none", 0)]
    label_w, bar_w, row_h = 230, 420, 22
    top = max(n for _, n in rows) or 1
    h = row_h * len(rows) + 10
    parts = [
        f'<svg id="{chart_id}" class="chart" role="img" '
        f'width="{label_w + bar_w + 70}" height="{h}" viewBox="0 0 {label_w + bar_w + 70} {h}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, n) in enumerate(rows):
        y = 5 + i * row_h
        w = round(bar_w * n / top, 1)
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(label[:34])}</text>')
        parts.append(f'<rect class="bar{cls}" x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 6}"/>')
        parts.append(f'<text x="{label_w + w + 5}" y="{y + 15}">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(head: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    out = ["<table><thead><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>")
        out += [f"<td{' class=n' if i in numeric else ''}>{escape(str(v))}</td>" for i, v in enumerate(r)]
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render(doc: dict[str, Any], **_: Any) -> str:
    t = doc["totals"]
    m = doc["matrix"]
    cards = [
        ("reports", t["reports"], ""),
        ("healthy", t["healthy"], " ok"),
        ("failing", t["failing"], " bad" if t["failing"] else ""),
        ("unreadable", t["unreadable"], " bad" if t["unreadable"] else ""),
        (f"stale (> {doc['stale']['hours']:g} h)", t["stale"], ""),
    ]
    body = [
        "<h1>ccwb-doctor fleet summary</h1>",
        f'<p class="muted">ccwb-doctor {escape(doc["tool"]["version"])} · {escape(doc["generated_at"])}</p>',
        '<div class="cards">',
        *(f'<div class="card{c}"><b>{n}</b>{escape(label)}</div>' for label, n, c in cards),
        "</div>",
        "<h2>Failures per check</h2>",
        _chart(
            "Reports failing, per check",
            [(c["id"], c["failing"]) for c in doc["root_causes"]],
            "",
            "chart-checks",
        ),
        "<h2>Failures per platform</h2>",
        _chart(
            "Reports failing, per platform",
            [(p["platform"], p["failing"]) for p in sorted(doc["platforms"], key=lambda p: -p["failing"])],
            " p",
            "chart-platforms",
        ),
        "<h2>Top root causes and their fix</h2>",
        _table(
            ["#", "Check", "Title", "Reports failing", "Fix"],
            [
                [i, c["id"], c["title"], c["failing"], c["remediation"]]
                for i, c in enumerate(doc["root_causes"][:TOP], 1)
            ],
            {0, 3},
        )
        if doc["root_causes"]
        else "<p>No report has a failing check.</p>",
        "<h2>Failing reports by check × platform</h2><p class=muted>+N: reports warning</p>",
        _table(
            ["Check", *m["platforms"]],
            [
                [
                    r["id"],
                    *(f"{f}" + (f" +{w}" if w else "") for f, w in zip(r["fail"], r["warn"], strict=True)),
                ]
                for r in m["rows"]
            ],
            set(range(1, len(m["platforms"]) + 1)),
        ),
        "<h2>Platforms</h2>",
        _table(
            ["Platform", "Reports", "Failing"],
            [[p["platform"], p["reports"], p["failing"]] for p in doc["platforms"]],
            {1, 2},
        ),
        f"<h2>Stale reports</h2><p>{doc['stale']['count']} report(s) older than {doc['stale']['hours']:g} h.</p>",
        _table(
            ["Report", "Generated", "Age (h)"],
            [[e["report"], e["generated_at"], e["age_hours"]] for e in doc["stale"]["oldest"]],
            {2},
        ),
        f"<h2>Unreadable inputs</h2><p>{doc['unreadable']['count']} input(s) could not be read.</p>",
        _table(["Input", "Reason"], [[e["report"], e["reason"]] for e in doc["unreadable"]["examples"]]),
    ]
    s = doc.get("since")
    if s is not None:
        body.append(
            f"<h2>Since the baseline</h2><p>{s['baseline_reports']} reports then, {s['matched']} matched, "
            f"{s['new_reports']} new, {s['missing_reports']} missing.</p>"
        )
        for label, key in (("Regressions (failing now, not then)", "regressions"), ("Fixed", "fixes")):
            body.append(f"<h3>{label}</h3>")
            body.append(
                _table(
                    ["Check", "Reports", "Examples"],
                    [[e["id"], e["reports"], ", ".join(e["examples"])] for e in s[key]],
                    {1},
                )
            )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>ccwb-doctor fleet summary</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
