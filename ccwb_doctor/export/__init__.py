"""``--export otlp[=URL]``: send a finished run to the OpenTelemetry collector Claude Code already uses.

One log record per result and the ``ccwb.doctor.checks`` counter, with resource attributes that say who
ran it pseudonymously (``analyzers.telemetry``), as OTLP/HTTP protobuf through the OpenTelemetry SDK
(``sdk``, imported only here, only when exporting; the ``otlp`` extra). Where to send, with which headers
and which CA trust, is Claude Code's own configuration (``target``); who ran it is ``resource``.

Asked for with ``--export otlp[=URL]`` on ``run``/``report``, or opted in by ``CCWB_DOCTOR_EXPORT`` in
Claude Code's settings env (a managed-settings ``env`` wins) or ``doctor_export`` in the helper's
config.json profile; ``--export off`` overrides both. An export never blocks or fails the run: the whole
of it (headers helper, SDK import, both requests) is bounded by ``--timeout``, and a failure is one
warning line, never a change of exit code.

Layer: app (beside ``app``/``repair``): may import facts, analyzers, model, options and report; nothing
imports it but the commands.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ccwb_doctor.records import record

ENV_SETTING = "CCWB_DOCTOR_EXPORT"
CONFIG_SETTING = "doctor_export"
EXTRA_HINT = "pip install 'ccwb-doctor[otlp]'"


@record(frozen=True)
class Request:
    """An export asked for: ``url`` is the collector's base URL (None: Claude Code's own endpoint)."""

    url: str | None
    source: str  # --export | the setting that opted in


def parse_value(value: str, source: str) -> Request | None:
    """``otlp`` | ``otlp=URL`` | ``off`` (also ``none``, ``false``, ``0``) → a Request or None; ValueError."""
    text = value.strip()
    kind, sep, url = text.partition("=")
    if kind.strip().lower() in ("off", "none", "false", "0", "no") and not sep:
        return None
    if kind.strip().lower() in ("otlp", "true", "1", "yes") and not sep:
        return Request(None, source)
    if kind.strip().lower() == "otlp" and sep and url.strip():
        return Request(url.strip(), source)
    raise ValueError(f"{source}: expected otlp, otlp=URL or off, got {value[:80]!r}")


def requested(cli_value: str | None, facts: Any) -> tuple[Request | None, str | None]:
    """(what to export, a warning) from ``--export`` (wins) or the opt-in settings. A bad setting is a
    warning (the run goes on); a bad ``--export`` was refused on the command line already."""
    if cli_value is not None:
        return parse_value(cli_value, "--export"), None
    env = facts.peek("claude_env") or {}
    value = env.get(ENV_SETTING)
    source = f"{ENV_SETTING} (Claude Code settings env)"
    if not isinstance(value, str) or not value.strip():
        prof = facts.peek("helper_profile") or {}
        raw = prof.get(CONFIG_SETTING)
        if raw is None:
            return None, None
        value = (
            raw if isinstance(raw, str) else "otlp" if raw is True else "off" if raw is False else str(raw)
        )
        source = f"{CONFIG_SETTING} (helper config.json)"
    try:
        return parse_value(value, source), None
    except ValueError as exc:
        return None, f"ignoring {exc}"


@record
class ExportResult:
    ok: bool
    line: str  # one line for stderr


def export_report(report: Any, doc: dict[str, Any], request: Request, budget: float) -> ExportResult:
    """Send ``doc`` (the report's redacted document) as asked; never raises, never runs past ``budget``
    seconds. The work happens on a daemon thread: a collector that never answers is left behind."""
    out: list[ExportResult] = []
    deadline = time.monotonic() + budget

    def work() -> None:
        try:
            out.append(_export(report, doc, request, deadline))
        except Exception as exc:  # noqa: BLE001 - an export never fails the run
            out.append(ExportResult(False, f"failed ({type(exc).__name__}: {str(exc)[:160]})"))

    worker = threading.Thread(target=work, name="ccwb-doctor-export", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()) + 0.05)
    if not out:
        return ExportResult(
            False,
            f"gave up after {budget:g} s (--timeout): the headers helper or the collector did not finish in time",
        )
    return out[0]


def _export(report: Any, doc: dict[str, Any], request: Request, deadline: float) -> ExportResult:
    from ccwb_doctor.analyzers.telemetry.records import Pseudonyms, check_counts, result_records
    from ccwb_doctor.export.resource import pseudonym_key, resource_attributes
    from ccwb_doctor.export.target import TargetError, resolve

    facts = report.facts
    left: Callable[[], float] = lambda: deadline - time.monotonic()  # noqa: E731
    try:
        target = resolve(facts, request, left)
    except TargetError as exc:
        return ExportResult(False, str(exc))
    try:
        from ccwb_doctor.export import sdk
    except ModuleNotFoundError as exc:
        return ExportResult(False, f"the OpenTelemetry SDK is not installed ({exc.name}): {EXTRA_HINT}")
    home = str(facts.options.home or facts.peek("home") or "")
    names = Pseudonyms(pseudonym_key(facts), home)
    records = result_records(doc, names)
    problems = sdk.send(target, resource_attributes(report, names), records, check_counts(doc), left)
    if problems:
        return ExportResult(False, "; ".join([*problems, *target.notes]))
    return ExportResult(
        True,
        f"sent {len(records)} results to {target.logs_url} (and the {len(records)} counts to /v1/metrics)",
    )
