"""Command line: ccwb-doctor [run] | checks | token | binary | net | conform | report | sandbox | fix | fleet.

Exit codes: 0 = no FAIL and no ERROR; 1 = at least one FAIL or ERROR; 2 = the command could not run
(bad usage, unreadable required input) with a one-line reason on stderr. Subcommand modules are
imported only when chosen, so ``--version`` and ``checks`` stay fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from ccwb_doctor import __version__

FORMATS = ("text", "json", "markdown", "junit", "sarif")
SUBCOMMANDS = ("run", "checks", "token", "binary", "net", "conform", "report", "sandbox", "fix", "fleet")


class UsageError(Exception):
    """Bad usage or unreadable required input: exit 2 with a one-line reason."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def input_path_problem(path: Any, *, allow_dir: bool = False) -> str | None:
    """Why ``path`` cannot be read as an input file (or folder), or None. Never opens it, so a FIFO
    cannot hang the caller; a FIFO, device or symlink loop is named as such, not "no such file"."""
    import errno
    import os
    import stat

    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symlink loop"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "is a symlink to a missing file" if os.path.islink(path) else "no such file"
        return f"cannot be read ({exc.strerror or exc})"
    except ValueError as exc:  # a NUL in the name
        return f"is not a valid path ({exc})"
    mode = st.st_mode
    if stat.S_ISREG(mode) or (allow_dir and stat.S_ISDIR(mode)):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory"
    kinds = (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    kind = next((name for test, name in kinds if test(mode)), "a special file")
    return f"is {kind}, not a regular file"


def _timeout(value: str) -> float:
    """--timeout: a finite number of seconds greater than zero."""
    import math

    try:
        t = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not math.isfinite(t) or t <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds above 0, got {value!r}")
    return t


def _export(value: str) -> str:
    """--export otlp | otlp=URL | off (checked here; the export itself is imported only when it runs)."""
    from ccwb_doctor.export import parse_value

    try:
        parse_value(value, "--export")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--export: ")) from None
    return value


def _export_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--export",
        metavar="otlp[=URL]|off",
        type=_export,
        help="also send the results to Claude Code's OpenTelemetry collector (or URL) as OTLP/HTTP; "
        "off: not even when a setting opts in (needs the 'otlp' extra)",
    )


def _output_options(p: argparse.ArgumentParser, formats: Sequence[str] = FORMATS) -> None:
    p.add_argument("--format", choices=formats, default="text", help="output format (default: text)")
    p.add_argument("--output", metavar="FILE", help="write the output to FILE instead of stdout")


def _run_options(
    p: argparse.ArgumentParser, *, with_token: bool = True, formats: Sequence[str] = FORMATS
) -> argparse.ArgumentParser:
    g = p.add_argument_group("run options")
    g.add_argument(
        "--home", metavar="DIR", help="resolve every user path (~/.aws, ~/.claude, caches) under DIR"
    )
    g.add_argument("--profile", metavar="NAME", help="AWS profile (default: AWS_PROFILE, else 'default')")
    g.add_argument(
        "--platform",
        metavar="OS-ARCH",
        help="judge binaries and command lines for this platform (linux-x86_64, macos-arm64, windows-amd64, "
        "...; default: inferred from a captured --home, else this host)",
    )
    mode = g.add_mutually_exclusive_group()
    mode.add_argument("--offline", action="store_true", help="no network at all")
    mode.add_argument("--live", action="store_true", help="also run the helper and call STS/IAM/Bedrock")
    if with_token:
        g.add_argument("--token", metavar="FILE|-", help="an ID token to analyse (- reads stdin)")
    g.add_argument(
        "--trust-policy", metavar="FILE", help="role trust policy (bare document or get-role output)"
    )
    g.add_argument(
        "--permissions-policy", metavar="FILE", action="append", help="identity policy (repeatable)"
    )
    g.add_argument("--template", metavar="FILE", help="CloudFormation template of the deployment")
    g.add_argument("--param", metavar="KEY=VALUE", action="append", help="template parameter (repeatable)")
    g.add_argument("--provider-url", metavar="URL", help="IAM OIDC provider URL")
    g.add_argument(
        "--client-id", metavar="ID", action="append", help="provider client id / audience (repeatable)"
    )
    g.add_argument("--scp", metavar="FILE", action="append", help="organisation SCP document (repeatable)")
    g.add_argument(
        "--project",
        metavar="DIR",
        help="project whose .claude/settings.json and settings.local.json apply (default: the current "
        "directory, none with --home)",
    )
    _output_options(p, formats)
    _selection_options(g)
    return p


def _selection_options(g: Any) -> None:
    g.add_argument("--only", metavar="ID,...", action="append", help="run only these check ids or areas")
    g.add_argument("--skip", metavar="ID,...", action="append", help="skip these check ids or areas")
    g.add_argument(
        "--timeout", metavar="SECONDS", type=_timeout, default=30.0, help="per-check timeout (default 30)"
    )
    g.add_argument("-v", "--verbose", action="store_true", help="show evidence under each result (redacted)")


class _Unused:
    """Stands in for the parser of a subcommand this invocation did not name: every call is a no-op."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self


class _OnlyOne:
    """Subparsers that build only ``name``'s parser (argparse spends ~5 ms building all ten)."""

    def __init__(self, sub: Any, name: str) -> None:
        self._sub, self._name = sub, name

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        return self._sub.add_parser(name, **kwargs) if name == self._name else _Unused()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only`` (a subcommand), only that subcommand's parser is built."""
    p = _Parser(
        prog="ccwb-doctor", description="Diagnose Claude Code on Amazon Bedrock with IAM OIDC federation."
    )
    p.add_argument("--version", action="version", version=f"ccwb-doctor {__version__}")
    sub: Any = p.add_subparsers(dest="command", parser_class=_Parser)
    if only in SUBCOMMANDS:
        sub = _OnlyOne(sub, only)
    _export_option(_run_options(sub.add_parser("run", help="run the doctor (default)")))
    c = sub.add_parser("checks", help="list the check catalog")
    c.add_argument("--format", choices=("text", "json"), default="text")
    t = sub.add_parser("token", help="decode and explain one ID token against the trust policy and provider")
    t.add_argument("token", metavar="FILE|-")
    _run_options(t, with_token=False)
    b = sub.add_parser("binary", help="architecture report of one file")
    b.add_argument("path", metavar="PATH")
    _output_options(b)
    b.add_argument("--timeout", type=_timeout, default=30.0, help=argparse.SUPPRESS)
    n = sub.add_parser("net", help="network probes only")
    n.add_argument("--endpoint", metavar="NAME=URL", action="append", default=[], help="probe this endpoint")
    _run_options(n)
    cf = sub.add_parser("conform", help="CI gate over templates, configs and policies (no network)")
    cf.add_argument("paths", metavar="PATH", nargs="+")
    cf.add_argument("--param", metavar="KEY=VALUE", action="append", help="template parameter (repeatable)")
    cf.add_argument("--param-file", metavar="FILE", action="append", help="parameters file (repeatable)")
    _output_options(cf)
    r = sub.add_parser("report", help="redacted helpdesk bundle (markdown with embedded JSON)")
    _export_option(_run_options(r))
    r.set_defaults(format="markdown")
    r.add_argument("--anonymize", action="store_true", help="also hash emails, account ids and hostnames")
    fx = sub.add_parser("fix", help="repair local problems: show the diff, --apply it, --undo it")
    _run_options(fx, formats=("text", "json"))
    act = fx.add_mutually_exclusive_group()
    act.add_argument("--apply", action="store_true", help="write the changes (backups, journal) and re-check")
    act.add_argument("--undo", action="store_true", help="restore the files of the last --apply")
    s = sub.add_parser("sandbox", help="embedded end-to-end demo with no cloud account")
    s.add_argument(
        "--break",
        dest="break_",
        metavar="PITFALL",
        help="break the sandbox one known way (--break list: all)",
    )
    s.add_argument("--keep", action="store_true", help="leave the sandbox up and print its environment")
    s.add_argument(
        "--fleet",
        metavar="N",
        type=_developers,
        help="simulate N developers (1..500; mixed platforms, a few with each pitfall) exporting to the "
        "sandbox collector, then print the fleet summary and write its HTML page",
    )
    s.add_argument(
        "--fix",
        action="store_true",
        help="after the doctor, apply the local fixes (ccwb-doctor fix --apply) and run the doctor again",
    )
    s.add_argument(
        "--claude",
        nargs="?",
        const="auto",
        metavar="PATH|auto",
        help="after the doctor, run the real 'claude -p' against the sandbox and show what it did "
        "(auto: claude on PATH, else the npm cache dir)",
    )
    _output_options(s)
    _selection_options(s)
    _fleet_parser(sub)
    return p


def _developers(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of developers: {value!r}") from None
    if not 1 <= n <= 500:
        raise argparse.ArgumentTypeError(f"must be 1..500 developers, got {n}")
    return n


def _hours(value: str) -> float:
    import math

    try:
        h = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {value!r}") from None
    if not math.isfinite(h) or h < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of hours, 0 or more, got {value!r}")
    return h


def _fleet_parser(sub: Any) -> None:
    f = sub.add_parser("fleet", help="many reports (files or directories) -> one fleet summary")
    f.add_argument("paths", metavar="REPORT|DIR", nargs="+", help="schema-v1 reports or directories of them")
    f.add_argument(
        "--since", metavar="OLD_DIR", help="a baseline snapshot: show regressions and fixes since it"
    )
    f.add_argument(
        "--stale-hours",
        metavar="N",
        type=_hours,
        default=24.0,
        help="a report older than N hours is stale (24)",
    )
    f.add_argument("--now", metavar="TIME", help="reference time (RFC 3339) for staleness (default: now)")
    f.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)
    _output_options(f, ("text", "json", "markdown", "html"))


# Commands that read a bounded set of inputs once and exit. Python's cycle collector finds nothing to free in
# them, and at exit it scans every module and class the run imported (~5% of an offline run): they run with
# the collector off and, when this process is the program, freeze what is left so the exit scan skips it.
_SHORT = frozenset({"run", "report", "fix", "checks", "token", "binary", "net"})


@contextlib.contextmanager
def _cycle_collector_off(exiting: bool) -> Iterator[None]:
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if exiting:
            gc.freeze()
        if was_enabled:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    """The program (``argv`` None: sys.argv, and this process exits after it) or an in-process call."""
    exiting = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["run", *argv]
    short = argv[0] in _SHORT
    with _cycle_collector_off(exiting) if short else contextlib.nullcontext():
        return _main(argv)


def _main(argv: list[str]) -> int:
    try:
        args = build_parser(only=argv[0] if argv else None).parse_args(argv)
        command = args.command or "run"
        module = importlib.import_module(f"ccwb_doctor.commands.{command}")
        return int(module.run(args))
    except UsageError as exc:
        print(f"ccwb-doctor: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("ccwb_doctor.commands."):
            print(
                f"ccwb-doctor: the '{exc.name.rsplit('.', 1)[1]}' command is not available in this build",
                file=sys.stderr,
            )
            return 2
        raise
    except KeyboardInterrupt:
        print("ccwb-doctor: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from ccwb_doctor.app import OutputError

        if isinstance(exc, OutputError):  # --output or stdout cannot be written: one line, exit 2
            print(f"ccwb-doctor: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
