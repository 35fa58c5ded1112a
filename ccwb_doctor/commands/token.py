"""`ccwb-doctor token FILE|-`: decode one ID token and explain it against the trust policy and provider.

Text: the decoded header and claims (signature masked), the verdict and the explanation tree, then the
TOKEN-*/TRUST-* results. Other formats: the schema-v1 report restricted to those checks.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ccwb_doctor.cli import UsageError

AREAS = ("token", "trust")


def describe(report: Any) -> str:
    """The decoded token and the trust verdict with its explanation tree (before redaction)."""
    facts = report.facts
    tok = facts.peek("token")
    lines: list[str] = []
    if tok is None or not tok.found:
        return "no token\n"
    d = tok.decoded
    lines.append(f"Token ({tok.source}{' ' + tok.path if tok.path and tok.path != '-' else ''})")
    if not d.ok:
        lines.append(f"  not a JWT: {d.error}")
        return "\n".join(lines) + "\n"
    lines.append("  header: " + json.dumps(d.header, sort_keys=True))
    lines.append("  claims:")
    lines += ["    " + ln for ln in json.dumps(d.claims, indent=2, sort_keys=True, default=str).splitlines()]
    lines.append(f"  signature: <masked: {d.signature_len} bytes>")
    te = facts.peek("trust_eval")
    if te is not None:
        verdict = "ALLOWED" if te.decision.allowed else "DENIED (AccessDenied)"
        lines.append(f"Trust verdict for sts:AssumeRoleWithWebIdentity: {verdict}")
        lines.append(f"  principal: {te.principal}")
        for k, v in te.context.items():
            lines.append(f"  context {k} = {v!r}")
        lines += ["  " + ln for ln in te.decision.explain()]
        lines += [f"  note: {u.message}" for u in te.unexposed]
    else:
        lines.append(
            "Trust verdict: not evaluated (no trust policy: give --trust-policy, --template or --live)"
        )
    return "\n".join(lines) + "\n\n"


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.analyzers.redact.secrets import scrub_text
    from ccwb_doctor.app import emit, options_from_args, run_report, split_ids

    try:
        options = options_from_args(args)
        if options.token and options.token != "-":
            from ccwb_doctor.commands.run import check_inputs

            check_inputs(options)
        only = split_ids(getattr(args, "only", None)) or list(AREAS)
        report = run_report(options, only=only, skip=split_ids(getattr(args, "skip", None)))
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    fmt = getattr(args, "format", "text") or "text"
    output = getattr(args, "output", None)
    if fmt == "text":
        head = scrub_text(describe(report), list(report.facts.secrets))
        if output and output != "-":
            from ccwb_doctor.app import render_report, write_output

            body = render_report(report, "text", verbose=getattr(args, "verbose", False))
            write_output(Path(output), head + body)
        else:
            from ccwb_doctor.app import render_report, write_stdout

            write_stdout(head + render_report(report, "text", verbose=getattr(args, "verbose", False)))
    else:
        emit(report, fmt, output, verbose=getattr(args, "verbose", False))
    return report.exit_code
