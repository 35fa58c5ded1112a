"""The send, through the OpenTelemetry Python SDK and its OTLP/HTTP protobuf exporters (the ``otlp`` extra).

Imported only when exporting. Providers are private to the call (never the global ones, no exit hook),
the resource is exactly ours (``Resource(...)``, so the doctor's own ``OTEL_RESOURCE_ATTRIBUTES`` adds
nothing), and everything the exporters would otherwise read from this process's ``OTEL_*`` variables is
given explicitly. The requests go through one ``requests`` session per signal whose adapter carries
Claude Code's CA trust and records each answer, so a failure is named by what the collector said, and
the SDK's own log lines stay off the terminal.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import Counter as CounterInstrument
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from requests.adapters import HTTPAdapter

from ccwb_doctor import __version__
from ccwb_doctor.analyzers.telemetry import records as T

NEVER_MS = 24 * 3600 * 1000  # the periodic reader's interval: it exports only when flushed


class _Adapter(HTTPAdapter):
    """Claude Code's CA trust for every connection (direct or through the proxy), no retries of its
    own (the exporter has its own), and a record of each answer or error."""

    def __init__(self, context: Any, answers: list[tuple[str, int | None, str]]) -> None:
        self._context = context
        self.answers = answers
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kw: Any) -> None:
        if self._context is not None:
            kw["ssl_context"] = self._context
        super().init_poolmanager(*args, **kw)

    def proxy_manager_for(self, proxy: str, **kw: Any) -> Any:
        if self._context is not None:
            kw["ssl_context"] = self._context
        return super().proxy_manager_for(proxy, **kw)

    def send(self, request: Any, *args: Any, **kw: Any) -> Any:
        try:
            resp = super().send(request, *args, **kw)
        except Exception as exc:
            self.answers.append((str(request.url), None, _error_text(exc)))
            raise
        self.answers.append((str(request.url), resp.status_code, (resp.text or "")[:200]))
        return resp


REASONS = (  # what a requests error's text names, as one short reason
    (
        "CERTIFICATE_VERIFY_FAILED",
        "TLS: CERTIFICATE_VERIFY_FAILED (the collector's certificate is not trusted)",
    ),
    ("Connection refused", "Connection refused"),
    ("timed out", "timed out"),
    ("Name or service not known", "the host name does not resolve"),
    ("No address associated", "the host name does not resolve"),
)


def _error_text(exc: BaseException) -> str:
    """One short reason for a requests/urllib3 error (its text names the innermost cause)."""
    text = str(exc)
    return next((why for marker, why in REASONS if marker in text), f"{type(exc).__name__}: {text[:160]}")


def _session(target: Any, url: str, answers: list[tuple[str, int | None, str]]) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # the proxy is the one Claude Code picks, from its environment, not this process's
    proxy = target.proxies.get(url)
    s.proxies = {"http": proxy, "https": proxy} if proxy else {}
    adapter = _Adapter(target.ssl_context, answers)
    s.mount("https://", adapter)
    s.mount("http://", adapter)
    return s


def _headers(given: dict[str, str]) -> dict[str, str]:
    # never empty: an empty mapping makes the exporter fall back to this process's OTEL_EXPORTER_OTLP_HEADERS
    return {"user-agent": f"ccwb-doctor/{__version__}", **given}


class _Quiet:
    """Keep the SDK's log lines (retries, failures) off stderr for the duration; the caller says one line."""

    def __enter__(self) -> _Quiet:
        self.logger = logging.getLogger("opentelemetry")
        self.saved = (self.logger.propagate, list(self.logger.handlers))
        self.logger.propagate = False
        self.logger.handlers = [logging.NullHandler()]
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.propagate, self.logger.handlers = self.saved


def send(
    target: Any,
    resource: dict[str, str],
    records: list[T.ResultRecord],
    counts: Counter[tuple[str, str]],
    left: Callable[[], float],
) -> list[str]:
    """Send the log records, then the counter; the problems (empty when both were accepted)."""
    res = Resource(resource)
    answers: list[tuple[str, int | None, str]] = []
    with _Quiet():
        _send_logs(target, res, records, left, answers)
        if left() > 0.05:
            _send_metrics(target, res, counts, left, answers)
    return _problems(target, answers, left)


def _send_logs(
    target: Any, res: Any, records: list[T.ResultRecord], left: Callable[[], float], answers: list[Any]
) -> None:
    exporter = OTLPLogExporter(
        endpoint=target.logs_url,
        headers=_headers(target.logs_headers),
        timeout=max(0.05, left()),
        compression=Compression.NoCompression,
        session=_session(target, target.logs_url, answers),
    )
    provider = LoggerProvider(resource=res, shutdown_on_exit=False)
    provider.add_log_record_processor(
        BatchLogRecordProcessor(exporter, schedule_delay_millis=NEVER_MS, max_export_batch_size=512)
    )
    logger = provider.get_logger(T.SCOPE, __version__)
    for r in records:
        logger.emit(
            timestamp=r.time_ns,
            observed_timestamp=r.time_ns,
            severity_number=SeverityNumber(r.severity_number),
            severity_text=r.severity_text,
            body=r.body,
            attributes=r.attributes,
            event_name=T.EVENT,
        )
    provider.force_flush(int(max(0.05, left()) * 1000))
    provider.shutdown()


def _send_metrics(
    target: Any, res: Any, counts: Counter[tuple[str, str]], left: Callable[[], float], answers: list[Any]
) -> None:
    exporter = OTLPMetricExporter(
        endpoint=target.metrics_url,
        headers=_headers(target.metrics_headers),
        timeout=max(0.05, left()),
        compression=Compression.NoCompression,
        session=_session(target, target.metrics_url, answers),
        preferred_temporality={CounterInstrument: AggregationTemporality.DELTA},
    )
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=NEVER_MS)
    provider = MeterProvider(resource=res, metric_readers=[reader], shutdown_on_exit=False)
    counter = provider.get_meter(T.SCOPE, __version__).create_counter(
        T.METRIC, unit=T.METRIC_UNIT, description="ccwb-doctor results by check id and status"
    )
    for (cid, status), n in sorted(counts.items()):
        counter.add(n, {T.L_ID: cid, T.L_STATUS: status})
    provider.shutdown(timeout_millis=int(max(0.05, left()) * 1000))  # the reader's last collection sends them


def _problems(
    target: Any, answers: list[tuple[str, int | None, str]], left: Callable[[], float]
) -> list[str]:
    """What went wrong, per signal that got no 2xx; a collector that fails both signals the same way is
    named once, by its base URL."""
    failed: list[tuple[str, str]] = []  # (signal URL, what happened)
    for url in (target.logs_url, target.metrics_url):
        mine = [a for a in answers if a[0] == url]
        if not mine:
            failed.append((url, "not sent (no time left within --timeout)"))
            continue
        _, status, detail = mine[-1]
        if status is not None and 200 <= status < 300:
            continue
        retried = f" (retried {len(mine) - 1}x)" if len(mine) > 1 and status is not None else ""
        if status is None:
            failed.append((url, f"could not be reached: {detail}"))
        else:
            body = " ".join(detail.split())[:120]
            failed.append((url, f"answered HTTP {status}{retried}" + (f": {body}" if body else "")))
    if len(failed) == 2 and failed[0][1] == failed[1][1]:
        base = failed[0][0].rsplit("/v1/", 1)[0]
        return [f"the collector at {base} {failed[0][1]} (/v1/logs and /v1/metrics)"]
    return [f"{url} {what}" for url, what in failed]
