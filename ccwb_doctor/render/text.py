"""Terminal output: grouped by area, one mark per result, a fix line under problems, one summary line."""

from __future__ import annotations

import io
import os
import sys
from typing import Any

from ccwb_doctor.render import subject

MARKS = {
    "pass": ("✓", "green"),
    "warn": ("!", "yellow"),
    "fail": ("✗", "red"),
    "error": ("E", "magenta"),
    "skip": ("-", "dim"),
}


def use_color(stream: Any, env: dict[str, str] | None = None) -> bool:
    """Colour only on a terminal; NO_COLOR set to a non-empty value (no-color.org) or TERM=dumb: plain."""
    env = dict(os.environ) if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def render(doc: dict[str, Any], *, color: bool | None = None, verbose: bool = False, **_: Any) -> str:
    from rich.console import Console
    from rich.markup import escape

    if color is None:
        color = use_color(sys.stdout)
    buf = io.StringIO()
    con = Console(
        file=buf,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=110,
        highlight=False,
        emoji=False,
        soft_wrap=True,
    )
    area = None
    for r in doc["results"]:
        if r["area"] != area:
            area = r["area"]
            con.print(f"[bold]{escape(area.upper())}[/bold]")
        mark, style = MARKS[r["status"]]
        subj = subject(r)
        head = f"{r['id']}" + (f" [{subj}]" if subj else "")
        con.print(f"  [{style}]{mark}[/{style}] {escape(head)}: {escape(r['message'])}")
        if r["status"] in ("fail", "warn", "error") and r.get("remediation"):
            con.print(f"      [cyan]fix:[/cyan] {escape(r['remediation'])}")
        if verbose and r.get("evidence"):
            for k, v in r["evidence"].items():
                con.print(f"      [dim]{escape(str(k))}: {escape(str(v))}[/dim]")
    s = doc["summary"]
    problems = s["fail"] + s["error"]
    line = (
        f"{s['pass']} passed, {s['warn']} warnings, {s['fail']} failed, {s['error']} errors, "
        f"{s['skip']} skipped"
    )
    if problems:
        con.print(f"[red]✗ Doctor found {problems} problem{'s' if problems != 1 else ''}[/red] — {line}")
    elif s["warn"]:
        con.print(
            f"[yellow]! No failures, {s['warn']} warning{'s' if s['warn'] != 1 else ''}[/yellow] — {line}"
        )
    else:
        con.print(f"[green]✓ No issues found[/green] — {line}")
    return buf.getvalue()
