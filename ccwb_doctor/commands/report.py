"""`ccwb-doctor report [--output FILE] [--anonymize]`: one redacted Markdown file for a support ticket.

Layout: the Markdown report (summary, problems with their fixes, every check), then the environment
and versions, then the JSON report in a fenced block. Both renderings go through the engine's
redacting boundary (app.render_report); the assembled text is scrubbed once more with the run's
known secrets (the environment section is ours), and ``--anonymize`` replaces e-mail addresses,
account ids and hostnames with consistent pseudonyms (analyzers.redact.anonymize) across the whole file.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path
from typing import Any

from ccwb_doctor.cli import UsageError

TITLE = "ccwb-doctor helpdesk report"


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def environment(report: Any, options: Any) -> list[tuple[str, str]]:
    facts = report.facts
    host = report.host
    rows = [
        ("ccwb-doctor", _version("ccwb-doctor")),
        ("OS", f"{host['os']} {platform.release()}"),
        ("Architecture", host["arch"]),
        ("Python", f"{host['python']} ({sys.implementation.name})"),
        ("botocore", _version("botocore")),
        ("boto3", _version("boto3")),
        ("Credential helper", str(facts.peek("helper_version", "n/a"))),
        ("Run mode", options.mode),
        ("AWS profile", str(facts.peek("profile_name") or "?")),
    ]
    cp = facts.peek("credential_process")
    if getattr(cp, "raw", None):
        rows.append(("credential_process", str(cp.raw)))
    hc = facts.peek("helper_config")
    if hc is not None:
        rows.append(("Helper config", f"{hc.path} ({hc.shape} shape)"))
    return rows


def build(report: Any, options: Any, anonymize: bool = False) -> str:
    """The ticket file's text (redacted; anonymized on request)."""
    from ccwb_doctor.analyzers.redact.secrets import scrub_text
    from ccwb_doctor.app import render_report

    md = render_report(report, "markdown", title=TITLE).rstrip("\n")
    js = render_report(report, "json").rstrip("\n")
    env_lines = ["## Environment", "", "| | |", "|---|---|"]
    env_lines += [f"| {k} | {v.replace('|', '/')} |" for k, v in environment(report, options)]
    text = "\n".join(
        [
            md,
            "",
            *env_lines,
            "",
            "## JSON report",
            "",
            "Schema `ccwb-doctor/report/v1`; secrets are masked.",
            "",
            "```json",
            js,
            "```",
            "",
        ]
    )
    known = list(report.facts.secrets) if report.facts is not None else []
    text = scrub_text(text, known)
    if anonymize:
        from ccwb_doctor.analyzers.redact.anonymize import Anonymizer

        text = Anonymizer().text(text)
        home = str(options.home) if options.home else str(Path.home())
        if len(home) > 1:
            text = text.replace(home, "~")
    return text


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.app import (
        export_if_asked,
        options_from_args,
        run_report,
        split_ids,
        write_output,
        write_stdout,
    )
    from ccwb_doctor.commands.run import check_inputs

    try:
        options = options_from_args(args)
        check_inputs(options)
        report = run_report(options, only=split_ids(args.only), skip=split_ids(args.skip))
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    text = build(report, options, anonymize=bool(getattr(args, "anonymize", False)))
    output = getattr(args, "output", None)
    if output and output != "-":
        write_output(Path(output), text)
        s = report.summary()
        print(f"ccwb-doctor: wrote {output} ({s['fail']} fail, {s['error']} error)", file=sys.stderr)
    else:
        write_stdout(text)
    export_if_asked(report, getattr(args, "export", None))
    return report.exit_code
