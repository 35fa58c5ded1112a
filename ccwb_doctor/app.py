"""Library entry points shared by the CLI, subcommands, the sandbox and embedders."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ccwb_doctor.facts import Facts
from ccwb_doctor.options import DEFAULT, LIVE, OFFLINE, RunOptions, parse_params
from ccwb_doctor.registry import REGISTRY, Registry
from ccwb_doctor.report import Report
from ccwb_doctor.runner import MAX_WORKERS, run_checks


def options_from_args(args: argparse.Namespace) -> RunOptions:
    """RunOptions from the global run options (missing attributes take their defaults)."""
    get = lambda name, default=None: getattr(args, name, default)  # noqa: E731
    mode = OFFLINE if get("offline") else LIVE if get("live") else DEFAULT
    token = get("token")
    token_text = None
    if token == "-":
        token_text = sys.stdin.read().strip()
    platform = get("platform")
    if platform:
        from ccwb_doctor.facts.capture import parse_platform

        parse_platform(platform)  # ValueError (exit 2) on a bad OS-ARCH
    return RunOptions(
        platform=platform,
        home=Path(get("home")) if get("home") else None,
        profile=get("profile"),
        mode=mode,
        token=token,
        token_text=token_text,
        trust_policy=Path(get("trust_policy")) if get("trust_policy") else None,
        permissions_policies=[Path(p) for p in get("permissions_policy") or []],
        template=Path(get("template")) if get("template") else None,
        params=parse_params(get("param")),
        provider_url=get("provider_url"),
        client_ids=list(get("client_id") or []),
        scps=[Path(p) for p in get("scp") or []],
        timeout=float(get("timeout") or 30.0),
        extra={"project": get("project")} if get("project") else {},
    )


def split_ids(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return out


def run_report(
    options: RunOptions,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    facts: Facts | None = None,
) -> Report:
    """Discover the catalog, gather facts lazily, run the selected checks; raises ValueError for unknown ids.

    The returned report keeps its Facts (``report.facts``) so renderers can mask the secrets they hold.
    """
    reg = (registry or REGISTRY).discover()
    selected = reg.select(only, skip)
    facts = facts or Facts(options, env=env)
    # Offline, no check waits on the network: one worker runs them all (eight threads contending for the GIL
    # cost an offline run ~15 ms); a hung check still times out and a replacement worker takes the rest.
    workers = 1 if options.mode == OFFLINE else MAX_WORKERS
    results = run_checks(selected, facts, timeout=options.timeout, workers=workers)
    return Report(results, catalog=[c.meta for c in selected], facts=facts)


def _known_secrets(report: Report, secrets: Any = ()) -> list[str]:
    return [*secrets, *(report.facts.secrets if report.facts is not None else ())]


def redacted_document(report: Report, secrets: Any = ()) -> dict[str, Any]:
    """The schema-v1 document with every secret masked: what every renderer (and the export) is given."""
    from ccwb_doctor.analyzers.redact.secrets import scrub

    return scrub(report.to_dict(), _known_secrets(report, secrets))


def render_report(report: Report, fmt: str, secrets: Any = (), **kw: Any) -> str:
    """Redact at the boundary, then render. Every format goes through here."""
    from ccwb_doctor.analyzers.redact.secrets import scrub
    from ccwb_doctor.render import renderer

    known = _known_secrets(report, secrets)
    catalog = scrub([m.to_dict() for m in report.catalog], known)
    return renderer(fmt)(redacted_document(report, secrets), catalog=catalog, **kw)


def export_if_asked(report: Report, cli_value: str | None) -> bool | None:
    """``--export`` / the opt-in settings: send the finished run and say how it went in one stderr line.
    None when no export was asked for, else whether it was accepted. Never raises, never changes the
    run's exit code, bounded by the run's ``--timeout``."""
    from ccwb_doctor.analyzers.redact.secrets import scrub_text
    from ccwb_doctor.export import export_report, requested

    facts = report.facts
    request, warning = requested(cli_value, facts)
    if warning:
        print(f"ccwb-doctor: warning: {scrub_text(warning, _known_secrets(report))}", file=sys.stderr)
    if request is None:
        return None
    out = export_report(report, redacted_document(report), request, float(facts.options.timeout))
    line = scrub_text(out.line, _known_secrets(report))
    print(
        f"ccwb-doctor: {'export' if out.ok else 'warning: the OTLP export failed'}: {line}", file=sys.stderr
    )
    return out.ok


class OutputError(Exception):
    """The report could not be written (``--output`` path, stdout): the CLI exits 2 with this one line."""


def emit(report: Report, fmt: str = "text", output: str | None = None, secrets: Any = (), **kw: Any) -> str:
    """Render (redacted) and write to ``output`` or stdout; returns the text."""
    text = render_report(report, fmt, secrets, **kw)
    if output and output != "-":
        write_output(Path(output), text)
    else:
        write_stdout(text)
    return text


def write_stdout(text: str) -> None:
    """Write to stdout; a closed stdout or a broken pipe is an :class:`OutputError`, not a traceback."""
    out = sys.stdout
    if out is None:
        raise OutputError("stdout is closed: give --output FILE")
    try:
        out.write(text)
        out.flush()
    except (OSError, ValueError) as exc:
        # the interpreter's own flush at exit would fail again: point stdout at /dev/null
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())
            os.close(devnull)
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OutputError(f"cannot write to stdout ({reason})") from None


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path``; every failure is an :class:`OutputError` with a one-line reason.

    A regular file (or a new one) is replaced atomically, so a failure never leaves a half-written or
    clobbered file. An existing FIFO or device is written into as it is (never replaced by a regular
    file). A symlink is followed only to a regular file (which is then replaced atomically); a symlink to
    anything else, a dangling one or a loop is refused.
    """
    import stat

    path = path.absolute()
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    if st is not None and stat.S_ISLNK(st.st_mode):
        try:
            target_st = os.stat(path)
        except OSError as exc:
            import errno

            why = "a symlink loop" if exc.errno == errno.ELOOP else "a symlink to a missing file"
            raise OutputError(f"{path}: is {why}; refusing to write through it") from None
        if not stat.S_ISREG(target_st.st_mode):
            raise OutputError(
                f"{path}: is a symlink to something that is not a regular file; refusing to write through it"
            )
        path = Path(os.path.realpath(path))
    elif st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{path}: is a directory")
    elif st is not None and not stat.S_ISREG(st.st_mode):
        try:  # a FIFO, a device, a socket path: write into it as it is
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
        return
    try:
        _atomic_write(path, text)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from None


def _atomic_write(path: Path, text: str) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
