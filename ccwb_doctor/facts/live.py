"""Live facts (only with ``--live``): the credential_process run, GetCallerIdentity, the OTLP delivery.

- ``live_credentials``: HelperRun — the configured credential_process run once, exactly as botocore
  runs it (the argv botocore's compat_shell_split makes, no shell, the Claude Code environment,
  stdin closed), with a timeout; its stdout checked against the contract (analyzers.clientconfig.credproc).
- ``caller_identity``: Identity — sts:GetCallerIdentity with those credentials (once).
- ``otel_delivery``: Delivery — the otelHeadersHelper run (through a shell, as Claude Code does) and
  one tiny OTLP/HTTP metric POSTed to the configured endpoint with the resulting headers.
Each is None when the run is not ``--live``. Secrets they see are registered with facts.secrets.
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import field
from pathlib import Path
from typing import Any

from ccwb_doctor import subproc
from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.records import record

STDERR_MAX = 200


_ERRORISH = re.compile(
    r"error|fail|denied|invalid|expired|exception|cannot|could not|unable|refused|timed? ?out", re.IGNORECASE
)


def error_line(text: str) -> str:
    """The line of a helper's stderr that says what went wrong: the last error-looking line (progress
    and recovered problems such as "Opened your browser..." or "refresh token refused; signing in
    again" come before the fatal one), else the last line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return next((ln for ln in reversed(lines) if _ERRORISH.search(ln)), lines[-1] if lines else "")


def _scrub_line(text: str, facts: Facts) -> str:
    from ccwb_doctor.analyzers.redact.secrets import scrub_text

    return scrub_text(error_line(text)[:STDERR_MAX], list(facts.secrets))


def run_timeout(facts: Facts) -> float:
    """A subprocess budget that ends before the check's own timeout."""
    return max(1.0, min(float(facts.options.timeout) - 1.0, 120.0))


@record
class HelperRun:
    argv: list[str]  # shown as program name + arguments
    returncode: int | None = None
    duration_ms: float = 0.0
    stderr_first_line: str = ""
    error: str | None = None  # could not run / timed out
    os_errno: int | None = None  # why it could not be started (errno.ENOEXEC: a foreign binary)
    contract: Any = None  # analyzers.clientconfig.credproc.Contract when it exited 0
    sts_error: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.error is None and self.returncode == 0 and self.contract is not None and self.contract.usable
        )

    def credentials(self) -> dict[str, str]:
        v = self.contract.values if self.contract is not None else {}
        return {
            "aws_access_key_id": str(v.get("AccessKeyId", "")),
            "aws_secret_access_key": str(v.get("SecretAccessKey", "")),
            "aws_session_token": str(v.get("SessionToken", "")),
        }

    def evidence(self) -> dict[str, Any]:
        ev: dict[str, Any] = {
            "argv": self.argv,
            "exit_code": self.returncode,
            "duration_ms": round(self.duration_ms, 1),
        }
        if self.stderr_first_line:
            ev["stderr"] = self.stderr_first_line
        if self.sts_error:
            ev["sts_error"] = self.sts_error
        if self.contract is not None:
            ev["output"] = self.contract.to_dict()
        return ev


@fact("live_credentials")
def _live_credentials(facts: Facts) -> HelperRun | None:
    from ccwb_doctor.analyzers.clientconfig.credproc import check_output, sts_error_code

    if not facts.options.live:
        return None
    cp = facts.credential_process
    if not cp.argv or cp.program is None:
        return None
    argv = [str(a) for a in cp.argv]
    run = HelperRun([Path(argv[0]).name, *argv[1:]])
    t0 = time.monotonic()
    timeout = run_timeout(facts)
    try:
        proc = subproc.run(
            argv,
            capture_output=True,
            timeout=timeout,
            env=dict(facts.claude_env),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        run.error = f"did not finish within {timeout:.0f} s (waiting for a browser login?)"
        return run
    except OSError as exc:
        run.error = f"cannot be started: {exc.strerror or exc}"
        run.os_errno = exc.errno
        return run
    finally:
        run.duration_ms = (time.monotonic() - t0) * 1000
    stdout = proc.stdout.decode("utf-8", "replace")
    stderr = proc.stderr.decode("utf-8", "replace")
    run.returncode = proc.returncode
    if proc.returncode == 0:
        run.contract = check_output(stdout, time.time())
        facts.secrets.add(*run.contract.secrets(), stdout.strip())
    else:
        facts.secrets.add(stdout.strip())
    run.stderr_first_line = _scrub_line(stderr, facts)
    run.sts_error = sts_error_code(stderr)
    return run


def helper_client(
    facts: Facts, run: HelperRun, service: str, region: str, endpoint_url: str | None = None
) -> Any:
    """A client signed with the credentials the helper printed, in Claude Code's environment (its
    endpoint variables and AWS_CA_BUNDLE), bounded by the subprocess budget."""
    from ccwb_doctor.facts import aws

    return aws.client(
        facts,
        service,
        region,
        credentials=run.credentials(),
        env=facts.claude_env,
        timeout=run_timeout(facts),
        endpoint_url=endpoint_url,
    )


def sts_region(facts: Facts) -> str:
    hp = facts.peek("helper_profile") or {}
    prof = facts.peek("profile") or {}
    env = facts.claude_env
    for v in (hp.get("aws_region"), prof.get("region"), env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION")):
        if isinstance(v, str) and v:
            return v
    return "us-east-1"


@record
class Identity:
    arn: str | None = None
    account: str | None = None
    user_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    endpoint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@fact("caller_identity")
def _caller_identity(facts: Facts) -> Identity | None:
    run: HelperRun | None = facts.live_credentials
    if run is None or not run.ok:
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    from ccwb_doctor.facts.aws import endpoint_for

    out = Identity(endpoint=endpoint_for("sts", facts.claude_env))
    try:
        sts = helper_client(facts, run, "sts", sts_region(facts))
        got = sts.get_caller_identity()
        out.arn, out.account, out.user_id = got.get("Arn"), got.get("Account"), got.get("UserId")
    except ClientError as exc:
        err = exc.response.get("Error", {})
        out.error_code, out.error = str(err.get("Code")), str(err.get("Message"))[:300]
    except BotoCoreError as exc:
        out.error_code, out.error = type(exc).__name__, str(exc)[:300]
    return out


@record
class Delivery:
    url: str
    protocol: str
    status: int | None = None
    error: str | None = None
    helper_error: str | None = None
    header_names: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [])}


def run_headers_helper(
    facts: Facts, command: str, timeout: float | None = None
) -> tuple[dict[str, str], str | None]:
    """Run otelHeadersHelper through a shell (as Claude Code does); (headers, error). ``timeout``: at most
    this many seconds (default: within the check's own timeout, 30 s at most)."""
    import json

    timeout = min(run_timeout(facts), 30.0) if timeout is None else max(0.1, timeout)
    try:
        proc = subproc.run(
            command,
            shell=True,
            capture_output=True,
            timeout=timeout,  # noqa: S602
            env=dict(facts.claude_env),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {}, f"otelHeadersHelper did not finish within {timeout:.3g} s"
    except OSError as exc:
        return {}, f"otelHeadersHelper cannot be started: {exc.strerror or exc}"
    out = proc.stdout.decode("utf-8", "replace").strip()
    facts.secrets.add(out)
    if proc.returncode != 0:
        return (
            {},
            f"otelHeadersHelper exited {proc.returncode}: {_scrub_line(proc.stderr.decode('utf-8', 'replace'), facts)}",
        )
    try:
        doc = json.loads(out)
    except ValueError:
        return {}, "otelHeadersHelper did not print a JSON object"
    if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
        return {}, "otelHeadersHelper must print a JSON object of string values"
    for k, v in doc.items():
        if k.lower() in ("authorization", "x-api-key", "api-key") or "token" in k.lower():
            facts.secrets.add(v, v.split(" ", 1)[-1])
    return {str(k).lower(): v for k, v in doc.items()}, None


@fact("otel_delivery")
def _otel_delivery(facts: Facts) -> Delivery | None:
    from ccwb_doctor.analyzers.clientconfig.otel_env import read_otel_env

    if not facts.options.live:
        return None
    cfg = read_otel_env(facts.claude_env)
    if not cfg.enabled or not cfg.otlp or not cfg.metrics_url or cfg.protocol == "grpc":
        return None
    out = Delivery(cfg.metrics_url, cfg.protocol or "http/protobuf")
    headers = dict(cfg.headers)
    for v in headers.values():
        facts.secrets.add(v)
    settings = facts.peek("claude_settings")
    command = (getattr(settings, "merged", None) or {}).get("otelHeadersHelper")
    if isinstance(command, str) and command.strip():
        got, out.helper_error = run_headers_helper(facts, command)
        headers.update(got)
    out.header_names = sorted(headers)
    _post_metric(facts, out, headers)
    return out


def _post_metric(facts: Facts, out: Delivery, headers: dict[str, str]) -> None:
    import httpx

    from ccwb_doctor.analyzers.net.otlp import JSON, PROTOBUF, encode_gauge, encode_gauge_json

    as_json = out.protocol == "http/json"
    body = (encode_gauge_json if as_json else encode_gauge)("ccwb_doctor.probe", 1, time.time_ns())
    send = {**headers, "Content-Type": JSON if as_json else PROTOBUF}
    from ccwb_doctor.facts.castore import ssl_context

    verify = ssl_context(facts.claude_env, "collector")  # Claude Code's OTLP exporter (Node)
    try:
        with httpx.Client(timeout=min(run_timeout(facts), 10.0), verify=verify, trust_env=True) as client:
            resp = client.post(out.url, content=body, headers=send)
        out.status = resp.status_code
        if resp.status_code >= 300:
            out.error = _scrub_line(resp.text, facts) or f"HTTP {resp.status_code}"
    except httpx.HTTPError as exc:
        out.error = _scrub_line(str(exc) or type(exc).__name__, facts)
