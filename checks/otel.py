"""OTEL-CONFIG: Claude Code's telemetry environment is coherent (and, with --live, a metric gets through)."""

from __future__ import annotations

from typing import Any

from ccwb_doctor.model import Outcome, fail, ok, skip, warn
from ccwb_doctor.registry import check

DOCS = "https://docs.anthropic.com/en/docs/claude-code/monitoring-usage"


def _headers_helper(facts: Any) -> tuple[str | None, str | None]:
    """(command, problem) for settings' otelHeadersHelper."""
    from ccwb_doctor.facts.binary import settings_program

    settings = facts.peek("claude_settings")
    cmd = (getattr(settings, "merged", None) or {}).get("otelHeadersHelper")
    if cmd is None:
        return None, None
    if not isinstance(cmd, str) or not cmd.strip():
        return None, "otelHeadersHelper is empty or not a string"
    model = (facts.peek("settings_commands") or {}).get("otelHeadersHelper")
    if model is not None and model.ok is False:  # how Claude Code really starts it (shell or the file)
        return cmd, f"otelHeadersHelper cannot be run: {model.error} ({model.how()})"
    if model is not None:
        return cmd, None
    program, why = settings_program(facts, cmd)
    if program is None:
        return cmd, f"otelHeadersHelper cannot be run: {why}"
    return cmd, None


@check(
    "OTEL-CONFIG",
    title="Telemetry settings are coherent (exporter, protocol, https endpoint, headers helper)",
    area="otel",
    severity="medium",
    remediation="In settings env set CLAUDE_CODE_ENABLE_TELEMETRY=1, OTEL_METRICS_EXPORTER=otlp, "
    "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf and OTEL_EXPORTER_OTLP_ENDPOINT=https://<collector>; "
    "point otelHeadersHelper at an existing executable.",
    docs=DOCS,
    needs=("claude_env", "claude_settings", "settings_commands", "otel_delivery"),
)
def otel_config(facts: Any) -> list[Outcome]:
    from ccwb_doctor.checks._origins import name_origins

    return name_origins(_otel_config(facts), facts)


def _otel_config(facts: Any) -> Outcome:
    from ccwb_doctor.analyzers.clientconfig.otel_env import Problem, read_otel_env

    cfg = read_otel_env(facts.claude_env)
    ev: dict[str, Any] = cfg.to_dict()
    if not cfg.enabled and not cfg.problems:
        return skip("telemetry is off (CLAUDE_CODE_ENABLE_TELEMETRY is not 1): nothing to check", evidence=ev)
    problems = list(cfg.problems)
    command, helper_problem = _headers_helper(facts)
    if helper_problem:
        problems.append(
            Problem(
                "fail",
                helper_problem,
                "Install the headers helper or fix the otelHeadersHelper "
                "path in settings.json (absolute path, no unreplaced placeholder).",
            )
        )
    if command:
        ev["headers_helper"] = command
        for i, p in enumerate(problems):
            if p.severity == "fail" and "is plain http to a remote host" in p.message:
                # the guidance's otel-helper (and ours) put the user's ID token in Authorization: Bearer
                problems[i] = Problem(
                    p.severity,
                    p.message + "; and otelHeadersHelper's headers go with every export — the guidance's "
                    "otel-helper sends the ID token as a Bearer token in the Authorization header, so a token anyone on the path "
                    "can replay to sts:AssumeRoleWithWebIdentity crosses the network in clear",
                    p.fix,
                )
    fails = [p for p in problems if p.severity == "fail"]
    if fails:
        return fail("; ".join(p.message for p in fails), fix=fails[0].fix, evidence=ev)
    delivery = facts.otel_delivery if facts.options.live else None
    if delivery is not None:
        ev["delivery"] = delivery.to_dict()
        if delivery.helper_error:
            return fail(
                delivery.helper_error,
                fix="Run the otelHeadersHelper command by hand and fix it (log in with "
                "the credential helper first so it has a cached token).",
                evidence=ev,
            )
        if delivery.error or not (delivery.status and 200 <= delivery.status < 300):
            what = f"HTTP {delivery.status}" if delivery.status else "no answer"
            return fail(
                f"the test metric to {delivery.url} failed ({what}): {delivery.error or ''}".rstrip(": "),
                fix=_delivery_fix(delivery.status, "authorization" in delivery.header_names),
                evidence=ev,
            )
    warns = [p for p in problems if p.severity == "warn"]
    if warns:
        return warn("; ".join(p.message for p in warns), fix=warns[0].fix, evidence=ev)
    if not cfg.enabled:
        return skip("telemetry is off", evidence=ev)
    sent = f"; a test metric reached {delivery.url} (HTTP {delivery.status})" if delivery else ""
    live_note = "" if facts.options.live else " (run with --live to send a test metric)"
    return ok(
        f"telemetry is on: {cfg.protocol or 'default protocol'} to {cfg.metrics_url}{sent}{live_note}",
        evidence=ev,
    )


def _delivery_fix(status: int | None, sent_bearer: bool = False) -> str:
    if status == 401 and sent_bearer:
        return (
            "The collector refused the Authorization token: an expired ID token (see TOKEN-EXPIRY) or one "
            "from another issuer (see TOKEN-SIGNATURE); sign in again with the credential helper."
        )
    if status == 401:
        return (
            "The collector wants authentication and none was sent: the headers helper prints an "
            "Authorization header only while it has a valid cached ID token (see TOKEN-PRESENT and "
            "TOKEN-EXPIRY, and NET-IDP when the IdP cannot be reached to renew it); otherwise set "
            "OTEL_EXPORTER_OTLP_HEADERS."
        )
    return {
        401: "The collector wants authentication: check the headers helper output and OTEL_EXPORTER_OTLP_HEADERS.",
        403: "The collector refused the headers: check the headers helper output and OTEL_EXPORTER_OTLP_HEADERS.",
        404: "No OTLP receiver at that URL: OTEL_EXPORTER_OTLP_ENDPOINT must be the base URL (the exporter adds "
        "/v1/metrics).",
        415: "The collector does not accept this encoding: match OTEL_EXPORTER_OTLP_PROTOCOL to the collector.",
    }.get(status or 0, "Check that the collector is up and reachable (see NET-COLLECTOR).")
