"""SARIF 2.1.0: one rule per check id, one result per report result (pass/skip as kind pass/notApplicable)."""

from __future__ import annotations

import json
from typing import Any

from ccwb_doctor.render import subject

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"fail": "error", "error": "error", "warn": "warning", "pass": "none", "skip": "none"}
KIND = {"fail": "fail", "error": "fail", "warn": "fail", "pass": "pass", "skip": "notApplicable"}
SEV_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def render(doc: dict[str, Any], *, catalog: list[dict[str, Any]] | None = None, **_: Any) -> str:
    metas = {m["id"]: m for m in (catalog or [])}
    rule_ids: list[str] = []
    for r in doc["results"]:
        if r["id"] not in rule_ids:
            rule_ids.append(r["id"])
    rules = []
    for rid in rule_ids:
        m = metas.get(rid) or next(
            {
                "id": r["id"],
                "title": r["title"],
                "area": r["area"],
                "severity": r["severity"],
                "remediation": r.get("remediation", ""),
                "docs": "",
            }
            for r in doc["results"]
            if r["id"] == rid
        )
        rule: dict[str, Any] = {
            "id": rid,
            "name": "".join(p.capitalize() for p in rid.split("-")),
            "shortDescription": {"text": m["title"]},
            "fullDescription": {"text": m["title"]},
            "help": {"text": m.get("remediation") or m["title"]},
            "defaultConfiguration": {"level": SEV_LEVEL.get(m["severity"], "warning")},
            "properties": {"area": m["area"], "severity": m["severity"], "tags": [m["area"]]},
        }
        if m.get("docs"):
            rule["helpUri"] = m["docs"]
        rules.append(rule)
    results = []
    for r in doc["results"]:
        text = r["message"] + (
            f" Fix: {r['remediation']}" if r.get("remediation") and r["status"] != "pass" else ""
        )
        res: dict[str, Any] = {
            "ruleId": r["id"],
            "ruleIndex": rule_ids.index(r["id"]),
            "kind": KIND[r["status"]],
            "level": LEVEL[r["status"]],
            "message": {"text": text},
            "properties": {"status": r["status"], "subject": subject(r), "duration_ms": r.get("duration_ms")},
        }
        loc = (r.get("evidence") or {}).get("location") if isinstance(r.get("evidence"), dict) else None
        if isinstance(loc, dict) and loc.get("path"):
            phys: dict[str, Any] = {"artifactLocation": {"uri": str(loc["path"])}}
            if loc.get("line"):
                phys["region"] = {"startLine": int(loc["line"])}
            res["locations"] = [{"physicalLocation": phys}]
        results.append(res)
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "ccwb-doctor", "version": doc["tool"]["version"], "rules": rules}
                },
                "invocations": [{"executionSuccessful": True, "endTimeUtc": doc["generated_at"]}],
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
