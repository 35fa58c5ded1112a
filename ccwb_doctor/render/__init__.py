"""Renderers. Each takes the REDACTED schema-v1 dict (see ccwb_doctor.app.emit) and returns text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FORMATS = ("text", "json", "markdown", "junit", "sarif")


def renderer(fmt: str) -> Callable[..., str]:
    if fmt == "json":
        from ccwb_doctor.render.jsonfmt import render
    elif fmt == "markdown":
        from ccwb_doctor.render.markdown import render
    elif fmt == "junit":
        from ccwb_doctor.render.junit import render
    elif fmt == "sarif":
        from ccwb_doctor.render.sarif import render
    elif fmt == "text":
        from ccwb_doctor.render.text import render
    else:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    return render


def subject(result: dict[str, Any]) -> str:
    """A short name for what one result is about, when a check reports several."""
    ev = result.get("evidence") or {}
    s = ev.get("subject") if isinstance(ev, dict) else None
    return str(s) if s else ""
