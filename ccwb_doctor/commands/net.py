"""`ccwb-doctor net [--endpoint NAME=URL]...`: staged probes only, one result per endpoint.

NAME idp/sts/bedrock/collector picks that endpoint's expectations, any other name generic ones. Without
--endpoint the endpoints come from the configuration (--home/--profile). Text mode on a terminal shows a
live progress table on stderr while the probes run.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from ccwb_doctor.model import CheckMeta, Result, Severity

KIND_CHECK = {"idp": "NET-IDP", "sts": "NET-STS", "bedrock": "NET-BEDROCK", "collector": "NET-COLLECTOR"}
GENERIC_META = CheckMeta(
    "NET-ENDPOINT",
    "Ad-hoc endpoint is reachable",
    "network",
    Severity.MEDIUM,
    "Check the URL and the network path (DNS, firewall, proxy, certificate).",
    "",
    (),
)


def parse_endpoints(values: list[str] | None) -> dict[str, str]:
    from ccwb_doctor.cli import UsageError

    out: dict[str, str] = {}
    for raw in values or []:
        name, sep, url = raw.partition("=")
        name, url = name.strip(), url.strip()
        if not sep or not name or not url:
            raise UsageError(f"--endpoint expects NAME=URL, got {raw!r}")
        if name in out:
            raise UsageError(f"--endpoint {name} given twice")
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:
            raise UsageError(f"--endpoint {name}: not a valid URL ({exc}): {url!r}") from None
        if not parts.hostname and "://" in url:
            raise UsageError(f"--endpoint {name}: the URL has no host: {url!r}")
        out[name] = url
    return out


def meta_for(result: Any) -> CheckMeta:
    from ccwb_doctor.registry import REGISTRY

    name = result.endpoint.name
    kind = result.endpoint.kind if result.endpoint.kind in KIND_CHECK else name.split(":", 1)[0]
    check_id = KIND_CHECK.get(kind)
    if check_id is None:
        return GENERIC_META
    try:
        return REGISTRY.discover().get(check_id).meta
    except KeyError:
        return GENERIC_META


class Progress:
    """A rich live table of endpoint × stage, refreshed as stages complete (stderr, terminals only).

    ``lazy=True`` starts the display on the first probe event, so a run that probes nothing shows nothing.
    The display is transient: :meth:`stop` removes it before the report is printed.
    """

    def __init__(self, title: str = "ccwb-doctor net", lazy: bool = False) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.title, self.lazy = title, lazy
        self.rows: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()
        self.live_lock = threading.Lock()
        self.live: Any = None
        self.stopped = False

    def table(self) -> Any:
        from rich.table import Table

        t = Table(title=self.title, expand=False)
        for col in ("endpoint", "proxy", "dns", "tcp", "tls", "http"):
            t.add_column(col)
        with self.lock:
            for name, row in self.rows.items():
                t.add_row(name, *(row.get(c, "…") for c in ("proxy", "dns", "tcp", "tls", "http")))
        return t

    def start(self) -> None:
        from rich.live import Live

        with self.live_lock:
            if self.live is None and not self.stopped:
                self.live = Live(self.table(), console=self.console, refresh_per_second=8, transient=True)
                self.live.start()

    def stop(self) -> None:
        with self.live_lock:
            self.stopped = True
            live, self.live = self.live, None
        if live is not None:
            live.stop()

    def __call__(self, result: Any, stage: Any) -> None:
        colour = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
        with self.lock:
            row = self.rows.setdefault(result.endpoint.name, {})
            if stage is None:
                row[result.current] = "[red]deadline[/]"
            else:
                row[stage.stage] = f"[{colour.get(stage.status, 'white')}]{stage.status} {stage.ms:.0f}ms[/]"
        if self.lazy:
            self.start()
        live = self.live
        if live is not None:
            live.update(self.table())


def run(args: argparse.Namespace) -> int:
    import time

    from ccwb_doctor.app import emit, options_from_args
    from ccwb_doctor.cli import UsageError
    from ccwb_doctor.facts import Facts
    from ccwb_doctor.report import Report

    options = options_from_args(args)
    options.endpoints = parse_endpoints(getattr(args, "endpoint", None))
    if options.offline:
        raise UsageError("net probes the network: it cannot run with --offline")
    # No runner timeout applies here: the probes get the whole --timeout (capped at 10 s).
    options.extra["net_timeout"] = max(0.1, min(float(options.timeout), 10.0))
    fmt = getattr(args, "format", "text") or "text"
    progress: Progress | None = None
    if fmt == "text" and sys.stderr.isatty():
        progress = Progress()
        options.extra["net_listener"] = progress
    facts = Facts(options)
    try:
        eps = facts.endpoints
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"cannot derive endpoints: {exc}") from None
    if not eps.items:
        reasons = "; ".join(f"{k}: {v}" for k, v in eps.errors.items())
        raise UsageError(
            "no endpoints to probe: give --endpoint NAME=URL or a configuration"
            + (f" ({reasons})" if reasons else "")
        )
    t0 = time.monotonic()
    if progress is not None:
        progress.start()
        try:
            net = facts.net_results
        finally:
            progress.stop()
    else:
        net = facts.net_results
    from ccwb_doctor.analyzers.net.verdicts import outcome_for

    results = []
    for r in net.results:
        results.append(Result.from_outcome(meta_for(r), outcome_for(r), r.ms))
    metas = list({id(m): m for m in (meta_for(r) for r in net.results)}.values())
    report = Report(results, catalog=metas, facts=facts)
    output = getattr(args, "output", None)
    emit(report, fmt, output, verbose=getattr(args, "verbose", False))
    if progress is not None:
        progress.console.print(f"[dim]{len(results)} endpoint(s) probed in {time.monotonic() - t0:.2f} s[/]")
    return report.exit_code
