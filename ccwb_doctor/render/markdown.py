"""Markdown: problems first with their fixes, then every result in a table."""

from __future__ import annotations

from typing import Any

from ccwb_doctor.render import subject

ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌", "error": "🛑", "skip": "⏭️"}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(doc: dict[str, Any], *, title: str = "ccwb-doctor report", **_: Any) -> str:
    s = doc["summary"]
    lines = [
        f"# {title}",
        "",
        f"{doc['tool']['name']} {doc['tool']['version']} · {doc['generated_at']} · "
        f"{doc['host']['os']}/{doc['host']['arch']} · Python {doc['host']['python']}",
        "",
        f"**Summary:** {s['pass']} pass · {s['warn']} warn · {s['fail']} fail · {s['error']} error · "
        f"{s['skip']} skip",
        "",
    ]
    problems = [r for r in doc["results"] if r["status"] in ("fail", "error", "warn")]
    if problems:
        lines += ["## Problems", ""]
        order = {"fail": 0, "error": 1, "warn": 2}
        for r in sorted(problems, key=lambda r: order[r["status"]]):
            subj = f" ({subject(r)})" if subject(r) else ""
            lines.append(f"- {ICON[r['status']]} **{r['id']}**{_cell(subj)}: {_cell(r['message'])}")
            if r.get("remediation"):
                lines.append(f"  - Fix: {_cell(r['remediation'])}")
        lines.append("")
    lines += ["## All checks", "", "| | Check | Area | Message |", "|---|---|---|---|"]
    for r in doc["results"]:
        subj = f" ({subject(r)})" if subject(r) else ""
        lines.append(
            f"| {ICON[r['status']]} | {r['id']}{_cell(subj)} | {r['area']} | {_cell(r['message'])} |"
        )
    return "\n".join(lines) + "\n"
