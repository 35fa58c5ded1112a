"""The ``ccwb-doctor fix`` document (schema ``ccwb-doctor/fix/v1``, ``ccwb_doctor/schema/fix-v1.json``): a plan,
what an apply wrote and ran with the re-run of the affected checks, or what an undo restored. Both the
JSON and the text output are made from this one document after it is redacted (``redact``), so a secret
in a diff (a removed ``aws_secret_access_key`` line) or a message is masked the same way in both.
"""

from __future__ import annotations

import json
import time
from typing import Any

FIX_SCHEMA = "ccwb-doctor/fix/v1"


def _mode(m: int | None) -> str | None:
    return None if m is None else f"{m:o}"


def _change(c: Any) -> dict[str, Any]:
    return {
        "path": c.path,
        "target": c.target,
        "findings": list(c.findings),
        "summaries": list(c.summaries),
        "refused": c.refused,
        "created": c.before is None,
        "content_changes": c.after is not None and c.after != c.before,
        "mode_before": _mode(c.mode_before),
        "mode_after": _mode(c.mode_after),
        "diff": c.diff(),
    }


def _action(a: Any) -> dict[str, Any]:
    return {
        "path": a.path,
        "argv": list(a.argv),
        "undo": list(a.undo) if a.undo is not None else None,
        "findings": list(a.findings),
        "summaries": list(a.summaries),
        "refused": a.refused,
    }


def _base(action: str, home: Any) -> dict[str, Any]:
    from ccwb_doctor import __version__

    return {
        "schema": FIX_SCHEMA,
        "tool": {"name": "ccwb-doctor", "version": __version__},
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "action": action,
        "home": str(home),
        "findings": [],
        "changes": [],
        "commands": [],
        "applied": None,
        "undone": None,
        "exit_code": 0,
    }


def plan_doc(plan: Any) -> dict[str, Any]:
    """The plan: findings (each pointing at its changes and commands by index), changes, commands."""
    doc = _base("plan", plan.home)
    changes, actions = list(plan.changes), list(plan.actions)
    doc["changes"] = [_change(c) for c in changes]
    doc["commands"] = [_action(a) for a in actions]
    doc["findings"] = [
        {
            "id": f.id,
            "status": f.status,
            "message": f.message,
            "changes": [next(i for i, c in enumerate(changes) if c is x) for x in f.changes],
            "commands": [next(i for i, a in enumerate(actions) if a is x) for x in f.actions],
            "advice": list(f.advice),
        }
        for f in plan.findings
    ]
    doc["exit_code"] = 1 if plan.todo else 0
    return doc


def applied_section(done: Any, recheck: list[dict[str, Any]], undo_command: str) -> dict[str, Any]:
    return {
        "stamp": done.stamp,
        "written": [
            {"path": c.target, "backup": f"{c.target}.ccwb-doctor-{done.stamp}.bak" if c.before else None}
            for c in done.written
        ],
        "ran": [{"path": a.path, "argv": list(a.argv)} for a in done.ran],
        "left_alone": [{"path": x.target, "reason": why} for x, why in done.left_alone],
        "recheck": recheck,
        "undo_command": undo_command,
    }


def undo_doc(home: Any, res: Any) -> dict[str, Any]:
    doc = _base("undo", home)
    doc["undone"] = None
    if res.stamp is not None:
        doc["undone"] = {
            "stamp": res.stamp,
            "restored": list(res.restored),
            "ran": [list(a) for a in res.ran],
            "left_alone": [{"path": p, "reason": why} for p, why in res.left_alone],
        }
    doc["exit_code"] = 1 if res.left_alone else 0
    return doc


def _scrub_diff(diff: str, known: list[str]) -> str:
    """A diff scrubbed line by line without its ``-``/``+``/`` `` column: ``-aws_session_token = X`` would
    otherwise read as an option ``-aws_session_token`` whose value is ``=``."""
    from ccwb_doctor.analyzers.redact.secrets import scrub_text

    out = []
    for line in diff.split("\n"):
        head = line[:1] if line[:1] in ("-", "+", " ") and not line.startswith(("--- ", "+++ ")) else ""
        out.append(head + scrub_text(line[len(head) :], known))
    return "\n".join(out)


def redact(doc: dict[str, Any], source: Any = None) -> dict[str, Any]:
    """The document with every secret masked: the known secrets the facts saw (``source``: a Plan or a
    Report), by shape and by key name."""
    from ccwb_doctor.analyzers.redact.secrets import scrub

    report = getattr(source, "report", source)
    facts = getattr(report, "facts", None)
    known = list(facts.secrets) if facts is not None else []
    diffs = [_scrub_diff(c["diff"], known) for c in doc.get("changes") or []]
    out: dict[str, Any] = scrub(
        {**doc, "changes": [{**c, "diff": ""} for c in doc.get("changes") or []]}, known
    )
    for c, d in zip(out["changes"], diffs, strict=True):
        c["diff"] = d
    return out


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_text(doc: dict[str, Any]) -> str:
    """The plan (a unified diff grouped by finding, the commands to run) and the apply or undo result."""
    if doc["action"] == "undo":
        return _undo_text(doc)
    lines: list[str] = []
    shown: set[int] = set()
    changes, commands = doc["changes"], doc["commands"]
    for f in doc["findings"]:
        lines.append(f"{f['id']}  {f['status'].upper()}  {f['message']}")
        for i in f["changes"]:
            c = changes[i]
            lines += [f"  fix: {s}" for s in c["summaries"]]
            if c["refused"]:
                lines.append(f"  left alone: {c['target']}: {c['refused']}")
            elif i in shown:
                lines.append(f"  (the change to {c['target']} is shown above, under {c['findings'][0]})")
            else:
                shown.add(i)
                lines.append(c["diff"])
        for i in f["commands"]:
            a = commands[i]
            lines += [f"  fix: {s}" for s in a["summaries"]]
            if a["refused"]:
                lines.append(f"  left alone: {a['path']}: {a['refused']}")
            else:
                lines.append(f"  run: {_shell(a['argv'])}")
                undo = f"  undo: {_shell(a['undo'])}" if a["undo"] else "  undo: none"
                lines.append(undo)
        lines += [f"  advice: {a}" for a in f["advice"]]
        lines.append("")
    files = len({c["target"] for c in changes if not c["refused"]})
    runs = sum(1 for a in commands if not a["refused"])
    if not doc["findings"]:
        lines.append("nothing to fix: no check with a local fix reports a problem")
    elif not files and not runs:
        lines.append("no file to change: the findings above need the advice given")
    else:
        what = f"{files} file(s) would change" if files or not runs else ""
        if runs:
            what += (" and " if what else "") + f"{runs} command(s) would run"
        lines.append(
            f"{what}; run again with --apply to {'write them' if not runs else 'do it'} (backups, --undo)"
        )
    text = "\n".join(lines) + "\n"
    if doc.get("applied"):
        text += _applied_text(doc)
    return text


def _shell(argv: list[str]) -> str:
    import shlex

    return shlex.join(argv)


def _applied_text(doc: dict[str, Any]) -> str:
    ap = doc["applied"]
    lines = [""]
    for w in ap["written"]:
        lines.append(f"wrote {w['path']}" + (f" (backup {w['backup']})" if w["backup"] else ""))
    lines += [f"ran {_shell(r['argv'])}" for r in ap["ran"]]
    lines += [f"left alone {x['path']}: {x['reason']}" for x in ap["left_alone"]]
    if ap["recheck"]:
        lines += ["", "re-run of the affected checks:"]
        lines += [f"  {r['id']}: {r['before']} -> {r['after']}  {r['message']}" for r in ap["recheck"]]
    lines.append(f"undo with: {ap['undo_command']}")
    return "\n".join(lines) + "\n"


def _undo_text(doc: dict[str, Any]) -> str:
    u = doc["undone"]
    if u is None:
        return "nothing to undo: no apply is recorded in the journal\n"
    lines = [f"undoing the apply of {u['stamp']}:"]
    lines += [f"  ran {_shell(a)}" for a in u["ran"]]
    lines += [f"  restored {p}" for p in u["restored"]]
    lines += [f"  left alone {x['path']}: {x['reason']}" for x in u["left_alone"]]
    return "\n".join(lines) + "\n"
