"""`ccwb-doctor binary PATH`: the header analysis of one file and whether this host can run it.

Text: formats, every slice's architecture, interpreter/loader, host capabilities, the verdict and the
build to install, then the BINARY-ARCH and BINARY-EXEC results. Other formats: the schema-v1 report
with only those two checks, describing that file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ccwb_doctor.cli import UsageError

CHECKS = ("BINARY-ARCH", "BINARY-EXEC")


def describe(analysis: Any, host: Any) -> str:
    info, verdict = analysis.info, analysis.verdict
    lines = [f"File: {analysis.target.path}"]
    size = f"{info.size} bytes" if info.size is not None else "size unknown"
    lines.append(f"  size: {size}; header bytes read: {info.bytes_read}")
    lines.append(
        f"  format: {info.format}" + (f" ({info.os})" if info.os else "") + f"; status: {info.status}"
    )
    if info.status != "ok":
        lines.append(f"  stopped at offset {info.offset}: {info.error}")
    for i, s in enumerate(info.slices):
        extra = ", ".join(
            x
            for x in (
                f"{s.bits}-bit {s.endian}-endian",
                s.filetype or "",
                f"offset {s.offset}" if info.format == "macho-fat" else "",
                f"min {s.platform or 'os'} {s.min_os}" if s.min_os else "",
            )
            if x
        )
        lines.append(f"  slice {i}: {s.arch} ({extra})")
    if info.interpreter:
        args = " ".join(info.interpreter_args)
        lines.append(f"  interpreter: {info.interpreter}{' ' + args if args else ''}")
    for label, value in (("linkage", info.linkage), ("libc", info.libc), ("subsystem", info.subsystem)):
        if value:
            lines.append(f"  {label}: {value}")
    lines += [f"  problem: {p}" for p in info.problems]
    lines += [f"  note: {n}" for n in info.notes]
    hp = [f"{host.os} {host.machine}"]
    if host.translated:
        hp.append(f"this process translated as {host.process_machine}")
    if host.rosetta is not None:
        hp.append(f"Rosetta {'installed' if host.rosetta else 'not installed'}")
    if host.windows_x64_emulation is not None:
        hp.append(f"x64 emulation {'available' if host.windows_x64_emulation else 'unavailable'}")
    if host.libc:
        hp.append(host.libc)
    emus = [f"{e.name}->{e.arch}" for e in host.binfmt if e.enabled and e.arch]
    if host.binfmt_enabled and emus:
        hp.append("binfmt_misc: " + ", ".join(emus))
    lines.append("Host: " + "; ".join(hp))
    if verdict is not None:
        lines.append(f"Verdict: {verdict.kind}: {verdict.message}")
        for arch, kind in verdict.slices if len(verdict.slices) > 1 else ():
            lines.append(f"  {arch}: {kind}")
        if verdict.fix:
            lines.append(f"  fix: {verdict.fix}")
        if verdict.build is not None:
            lines.append(f"  AWS guidance build for this host: {verdict.build.aws or 'none'}")
            lines.append(f"  or: {verdict.build.reference}")
    return "\n".join(lines) + "\n\n"


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.app import emit, options_from_args, render_report, run_report, write_output, write_stdout

    path = Path(args.path)
    from ccwb_doctor.cli import input_path_problem

    problem = input_path_problem(path)
    if problem == "is a directory":
        raise UsageError(f"{path}: is a directory, expected a file")
    if problem is not None:
        raise UsageError(f"{path}: {problem}")
    options = options_from_args(args)
    options.binary_path = path.absolute()
    try:
        report = run_report(options, only=CHECKS)
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    fmt = getattr(args, "format", "text") or "text"
    output = getattr(args, "output", None)
    if fmt != "text":
        emit(report, fmt, output)
        return report.exit_code
    from ccwb_doctor.analyzers.redact.secrets import printable, scrub_text

    facts = report.facts
    analyses = facts.peek("binary_analyses") or []
    head = "".join(describe(a, facts.host) for a in analyses if a.info is not None)
    # the same boundary as every format: strings read from the file (a #! line, PT_INTERP) may carry
    # terminal escapes or secrets
    head = printable(scrub_text(head, list(facts.secrets)))
    if output and output != "-":
        write_output(Path(output), head + render_report(report, "text"))
    else:
        write_stdout(head + render_report(report, "text"))
    return report.exit_code
