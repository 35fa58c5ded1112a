"""`ccwb-doctor [run]`: the full doctor."""

from __future__ import annotations

import argparse
import sys

from ccwb_doctor.cli import UsageError


def run(args: argparse.Namespace) -> int:
    from ccwb_doctor.app import emit, export_if_asked, options_from_args, run_report, split_ids

    progress = None
    try:
        options = options_from_args(args)
        check_inputs(options)
        if args.format == "text" and not options.offline and sys.stderr.isatty():
            from ccwb_doctor.commands.net import Progress

            # Live table of the network probes while they run (shown only once a probe reports).
            progress = Progress("probing endpoints", lazy=True)
            options.extra["net_listener"] = progress
        report = run_report(options, only=split_ids(args.only), skip=split_ids(args.skip))
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    finally:
        if progress is not None:
            progress.stop()
    emit(report, args.format, args.output, verbose=getattr(args, "verbose", False))
    if args.output and args.format != "text":
        s = report.summary()
        print(f"ccwb-doctor: wrote {args.output} ({s['fail']} fail, {s['error']} error)", file=sys.stderr)
    export_if_asked(report, getattr(args, "export", None))
    return report.exit_code


def check_inputs(options) -> None:  # type: ignore[no-untyped-def]
    """Required inputs named on the command line must be readable files (else exit 2), and the policy
    files must parse: a gate must not pass on a --trust-policy, --permissions-policy or --scp it could
    not read, whether or not a token is given."""
    from pathlib import Path

    from ccwb_doctor.cli import input_path_problem

    named = [options.trust_policy, options.template, *options.permissions_policies, *options.scps]
    if options.token and options.token != "-":
        named.append(options.token)
    for p in named:
        if p is None:
            continue
        path = Path(p)
        problem = input_path_problem(path)
        if problem is not None:
            raise UsageError(f"{path}: {problem}")
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    from ccwb_doctor.facts.model import read_policy_file
    from ccwb_doctor.model import InputError

    policies = [("--trust-policy", options.trust_policy)]
    policies += [("--permissions-policy", p) for p in options.permissions_policies]
    policies += [("--scp", p) for p in options.scps]
    for flag, p in policies:
        if p is None:
            continue
        try:
            read_policy_file(Path(p), f"{flag} file")
        except InputError as exc:
            raise UsageError(str(exc)) from None
    if options.home is not None and not options.home.is_dir():
        raise UsageError(f"--home {options.home}: no such directory")
