"""Value types shared by the network probe stages: settings, the global deadline, stage outcomes."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from ccwb_doctor.records import record

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
STAGES = ("proxy", "dns", "tcp", "tls", "http")


@record
class ProbeSettings:
    """What the probes may use. Everything is injectable for tests (resolver, CA bundles, hosts file)."""

    timeout: float = 5.0
    nameservers: list[tuple[str, int]] | None = None  # None: the system resolver (resolv.conf)
    cafile: str | None = None  # the "system" trust store; None: OpenSSL's default paths
    public_cafile: str | None = None  # the public CA bundle; None: certifi
    # per endpoint kind, the extra CA bundles its real client honours: [(variable, path)]
    client_cas: Mapping[str, list[tuple[str, str]]] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)  # HTTP(S)_PROXY / NO_PROXY
    hosts_file: str | None = "/etc/hosts"  # consulted before DNS only with the system resolver
    max_addresses: int = 8
    follow_discovery: bool = True  # probe jwks_uri/token/authorization hosts found in IdP discovery


class Deadline:
    """One absolute monotonic deadline shared by every stage of every endpoint."""

    def __init__(self, seconds: float) -> None:
        self.start = time.monotonic()
        self.end = self.start + max(0.0, seconds)

    def remaining(self, floor: float = 0.0) -> float:
        return max(floor, self.end - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.end


@record
class Stage:
    stage: str
    status: str  # ok | warn | fail | skip
    ms: float
    code: str  # machine word: nxdomain, servfail, refused, timeout, expired, interception, http-404 ...
    detail: str  # one human line
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "status": self.status,
            "ms": round(self.ms, 1),
            "code": self.code,
            "detail": self.detail,
            **({"data": self.data} if self.data else {}),
        }


class SocketTracker:
    """Sockets opened for one endpoint, so the orchestrator can cut them when the deadline passes."""

    def __init__(self) -> None:
        self._socks: list[Any] = []
        self._lock = threading.Lock()
        self.closed = False

    def add(self, sock: Any) -> Any:
        with self._lock:
            self._socks.append(sock)
            if self.closed:
                _cut(sock)
        return sock

    def cut_all(self) -> None:
        with self._lock:
            self.closed = True
            socks = list(self._socks)
        for s in socks:
            _cut(s)


def _cut(sock: Any) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError, AttributeError):
        sock.close()


def ms_since(t0: float) -> float:
    return (time.monotonic() - t0) * 1000.0
