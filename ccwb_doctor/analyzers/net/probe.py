"""Staged network probes (proxy → DNS → TCP → TLS → HTTP) of many endpoints in parallel under ONE deadline.

Each endpoint runs in its own daemon thread; :func:`probe_all` returns when every probe is done or the
deadline passes, whichever comes first, then cuts the sockets of unfinished probes and reports the stage
they were in as timed out. Nothing waits past the deadline.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

from ccwb_doctor.analyzers.net.endpoint import IDP, Endpoint
from ccwb_doctor.analyzers.net.endpoints import discovered_endpoints
from ccwb_doctor.analyzers.net.model import (
    FAIL,
    OK,
    SKIP,
    WARN,
    Deadline,
    ProbeSettings,
    SocketTracker,
    Stage,
    ms_since,
)
from ccwb_doctor.analyzers.net.proxy import proxy_for
from ccwb_doctor.records import record

Listener = Callable[["ProbeResult", Stage | None], None]


@record
class ProbeResult:
    endpoint: Endpoint
    stages: list[Stage] = field(default_factory=list)
    proxy: dict[str, Any] = field(default_factory=dict)
    current: str = "proxy"
    current_t0: float = field(default_factory=time.monotonic)
    done: bool = False
    frozen: bool = False
    ms: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def begin(self, stage: str) -> None:
        with self._lock:
            self.current, self.current_t0 = stage, time.monotonic()

    def add(self, stage: Stage) -> bool:
        with self._lock:
            if self.frozen:
                return False
            self.stages.append(stage)
            return True

    @property
    def status(self) -> str:
        words = {s.status for s in self.stages}
        return FAIL if FAIL in words else WARN if WARN in words else OK

    @property
    def failed_stage(self) -> str | None:
        return next((s.stage for s in self.stages if s.status == FAIL), None)

    @property
    def message(self) -> str:
        bad = next((s for s in self.stages if s.status == FAIL), None) or next(
            (s for s in self.stages if s.status == WARN), None
        )
        if bad is not None:
            # Name the stage first, unless the detail already starts with it ("DNS for x returns NXDOMAIN ...").
            if bad.detail.lower().startswith(bad.stage):
                return bad.detail
            return f"{bad.stage.upper()}: {bad.detail}"
        timing = ", ".join(f"{s.stage} {s.ms:.0f} ms" for s in self.stages if s.status != SKIP)
        return f"reachable ({timing})"

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.endpoint.to_dict(),
            "status": self.status,
            "failed_stage": self.failed_stage,
            "ms": round(self.ms, 1),
            "proxy": self.proxy,
            "stages": [s.to_dict() for s in self.stages],
        }


STALL_WORDS = {
    "proxy": "the proxy did not answer",
    "dns": "no DNS reply (resolver silent: VPN/firewall blocking DNS?)",
    "tcp": "TCP connect got no answer (a firewall dropping packets?)",
    "tls": "the peer accepted TCP but never completed the TLS handshake (a middlebox holding the connection?)",
    "http": "the server never completed its HTTP answer (stalled or slow-drip server)",
}


def warm_imports() -> None:
    """Import the heavy libraries before the deadline starts, so it measures the network, not imports."""
    import certifi  # noqa: F401
    import dns.nameserver  # noqa: F401
    import dns.resolver  # noqa: F401
    import httpcore  # noqa: F401
    import httpx  # noqa: F401
    from cryptography import x509  # noqa: F401

    from ccwb_doctor.analyzers.net import conn, dns, http, tls  # noqa: F401


def probe_endpoint(
    ep: Endpoint,
    settings: ProbeSettings,
    ctxs: Any,
    deadline: Deadline,
    tracker: SocketTracker,
    result: ProbeResult,
    emit: Callable[[Stage], None],
    spawn: Callable[[Endpoint], None] | None = None,
) -> None:
    """Run every stage for one endpoint, appending to ``result`` as they complete."""
    from ccwb_doctor.analyzers.net.conn import connect, proxy_parts, proxy_stage, tcp_stage
    from ccwb_doctor.analyzers.net.dns import dns_stage
    from ccwb_doctor.analyzers.net.http import http_stage
    from ccwb_doctor.analyzers.net.tls import skip_tls, tls_stage

    parts = urlsplit(ep.url)
    host, port, https = ep.host, ep.port, parts.scheme == "https"
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        host = ""
    if parts.scheme not in ("http", "https") or not host:
        emit(
            Stage(
                "http",
                FAIL,
                0.0,
                "bad-url",
                f"{ep.display!r} is not an http(s) URL — fix the configured value",
            )
        )
        return
    choice = proxy_for(ep.url, settings.env)
    result.proxy = choice.to_dict()
    pins: dict[str, str] = {}
    opener: Callable[[], socket.socket] | None = None
    if choice.proxy and choice.proxy_raw:
        result.begin("proxy")
        pst, opener, pip = proxy_stage(choice.proxy_raw, host, port, https, settings, deadline, tracker)
        emit(pst)
        if pst.status == FAIL or opener is None or pip is None:
            return
        pins[proxy_parts(choice.proxy_raw)[0]] = pip
        result.begin("dns")
        dst, _ = dns_stage(host, settings, deadline)
        if dst.status == FAIL:  # normal in locked-down networks: only the proxy resolves outside names
            dst.status, dst.code = SKIP, f"local-{dst.code}"
            dst.detail += " (informational: through the proxy, the proxy resolves the name)"
        emit(dst)
        emit(Stage("tcp", SKIP, 0.0, "via-proxy", f"connections go through the proxy {choice.proxy}"))
    else:
        result.begin("dns")
        dst, addrs = dns_stage(host, settings, deadline)
        emit(dst)
        if not addrs:
            return
        result.begin("tcp")
        tst, sock, ip = tcp_stage(addrs, port, settings, deadline, tracker)
        emit(tst)
        if sock is None or ip is None:
            return
        pins[host] = ip
        first: socket.socket | None = sock
        chosen: str = ip

        def direct_opener() -> socket.socket:
            nonlocal first
            if first is not None:
                s, first = first, None
                return s
            return connect(chosen, port, deadline, tracker)

        opener = direct_opener
    if https:
        from ccwb_doctor.analyzers.net.dns import classify_ip

        result.begin("tls")
        private_peer = not choice.proxy and classify_ip(pins[host]) in ("loopback", "private", "link-local")
        tls, _ = tls_stage(opener, host, ctxs, deadline, tracker, private_peer)
        emit(tls)
        if tls.status == FAIL:
            return
    else:
        emit(skip_tls("plain http: no TLS"))
    result.begin("http")
    hst = http_stage(ep, pins, ctxs.system, choice.proxy_raw, deadline, tracker)
    emit(hst)
    if spawn and ep.kind == IDP and hst.status == OK and settings.follow_discovery:
        for extra in discovered_endpoints(hst.data.get("discovery") or {}, set()):
            if (extra.host, extra.port) != (host, port):
                spawn(extra)


def probe_all(
    endpoints: Iterable[Endpoint], settings: ProbeSettings, listener: Listener | None = None
) -> list[ProbeResult]:
    """Probe every endpoint in parallel; return within ``settings.timeout`` seconds (plus bookkeeping)."""
    from ccwb_doctor.analyzers.net.tls import TLSContexts

    warm_imports()
    contexts: dict[str, TLSContexts] = {}
    ctx_lock = threading.Lock()

    def ctxs_for(kind: str) -> TLSContexts:
        """The trust each endpoint's real client has: system store plus that client's CA variables."""
        extra = list(settings.client_cas.get(kind, ()))
        key = "|".join(p for _, p in extra)
        with ctx_lock:
            if key not in contexts:
                contexts[key] = TLSContexts.build(settings, extra)
            return contexts[key]

    deadline = Deadline(settings.timeout)
    results: list[ProbeResult] = []
    trackers: list[SocketTracker] = []
    seen: set[tuple[str, int]] = set()
    cond = threading.Condition()

    def spawn(ep: Endpoint) -> None:
        with cond:
            if ep.name.startswith("idp:") and ((ep.host, ep.port) in seen or deadline.expired):
                return
            seen.add((ep.host, ep.port))
            r = ProbeResult(ep)
            tracker = SocketTracker()
            results.append(r)
            trackers.append(tracker)
        threading.Thread(target=run, args=(ep, r, tracker), daemon=True, name=f"probe-{ep.name}").start()

    def run(ep: Endpoint, r: ProbeResult, tracker: SocketTracker) -> None:
        t0 = time.monotonic()

        def emit(stage: Stage) -> None:
            if r.add(stage) and listener:
                listener(r, stage)

        try:
            probe_endpoint(ep, settings, ctxs_for(ep.kind), deadline, tracker, r, emit, spawn)
        except Exception as exc:  # noqa: BLE001 - a probe bug is a verdict, never a crash
            emit(
                Stage(
                    r.current,
                    FAIL,
                    ms_since(r.current_t0),
                    "internal-error",
                    f"{type(exc).__name__}: {exc}"[:300],
                )
            )
        finally:
            r.ms = ms_since(t0)
            with cond:
                r.done = True
                cond.notify_all()
            tracker.cut_all()

    for ep in endpoints:
        spawn(ep)
    with cond:
        while not all(r.done for r in results) and not deadline.expired:
            cond.wait(timeout=max(0.001, deadline.remaining()))
        snapshot = list(zip(results, trackers, strict=True))
    for r, tracker in snapshot:
        with r._lock:
            r.frozen = True
            if not r.done:
                elapsed = ms_since(r.current_t0)
                why = STALL_WORDS.get(r.current, "no answer")
                detail = f"{r.current.upper()} to {r.endpoint.host}: {why} within the {settings.timeout:g} s deadline"
                r.stages.append(Stage(r.current, FAIL, elapsed, "deadline", detail))
                r.ms = ms_since(deadline.start)
        if not r.done:
            tracker.cut_all()
            if listener:
                listener(r, None)
    return [r for r, _ in snapshot]
