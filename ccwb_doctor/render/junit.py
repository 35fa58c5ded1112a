"""JUnit XML: one testcase per result; fail -> failure, error -> error, skip -> skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ccwb_doctor.render import subject


def _location(r: dict[str, Any]) -> str:
    loc = (r.get("evidence") or {}).get("location") if isinstance(r.get("evidence"), dict) else None
    if isinstance(loc, dict) and loc.get("path"):
        return f"{loc['path']}:{loc.get('line') or 1}"
    return ""


def render(doc: dict[str, Any], **_: Any) -> str:
    s = doc["summary"]
    total_ms = sum(float(r.get("duration_ms") or 0) for r in doc["results"])
    suite = ET.Element(
        "testsuite",
        {
            "name": "ccwb-doctor",
            "tests": str(len(doc["results"])),
            "failures": str(s["fail"]),
            "errors": str(s["error"]),
            "skipped": str(s["skip"]),
            "time": f"{total_ms / 1000:.3f}",
            "timestamp": doc["generated_at"],
        },
    )
    for r in doc["results"]:
        name = r["id"] + (f" [{subject(r)}]" if subject(r) else "")
        attrs = {
            "classname": f"ccwb-doctor.{r['area']}",
            "name": name,
            "time": f"{float(r.get('duration_ms') or 0) / 1000:.3f}",
        }
        loc = _location(r)
        if loc:
            attrs["file"] = loc.rsplit(":", 1)[0]
            attrs["line"] = loc.rsplit(":", 1)[1]
        case = ET.SubElement(suite, "testcase", attrs)
        body = r["message"] + (f"\nFix: {r['remediation']}" if r.get("remediation") else "")
        body += f"\nLocation: {loc}" if loc else ""
        if r["status"] == "fail":
            el = ET.SubElement(case, "failure", {"message": r["message"], "type": r["severity"]})
            el.text = body
        elif r["status"] == "error":
            el = ET.SubElement(case, "error", {"message": r["message"], "type": "error"})
            el.text = body
        elif r["status"] == "skip":
            ET.SubElement(case, "skipped", {"message": r["message"]})
        elif r["status"] == "warn":
            out = ET.SubElement(case, "system-out")
            out.text = "WARNING: " + body
    suites = ET.Element("testsuites", {"name": "ccwb-doctor"})
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
