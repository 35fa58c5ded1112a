"""OIDC discovery and JWKS retrieval as STS does it, with a per-run memory cache and a disk cache.

``JwksClient(cache_dir, ttl, timeout, verify)``: ``discover(iss)`` reads ``<iss>/.well-known/openid-configuration``
(its ``issuer`` must equal ``iss`` exactly) and ``jwks(iss)`` returns the key set, fetched at most once
per issuer per client (a run) unless ``key_for`` meets an unknown ``kid``, which triggers exactly one
refetch. Every request is bounded in time and size; redirects are capped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import field
from pathlib import Path
from typing import Any

from ccwb_doctor.records import record

MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
DEFAULT_TTL = 3600.0
WELL_KNOWN = "/.well-known/openid-configuration"


class JwksError(Exception):
    """Discovery or JWKS retrieval failed. ``code`` is stable; ``network`` marks reachability problems."""

    def __init__(self, code: str, message: str, *, network: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.network = network


@record
class Discovery:
    issuer: str
    jwks_uri: str
    document: dict[str, Any] = field(default_factory=dict)


@record
class KeySet:
    issuer: str
    jwks_uri: str
    jwks: dict[str, Any]
    fetched_at: float
    source: str  # network | memory | disk

    @property
    def kids(self) -> list[str]:
        return [str(k.get("kid")) for k in self.jwks.get("keys", []) if isinstance(k, dict)]

    def has_kid(self, kid: str) -> bool:
        return any(isinstance(k, dict) and k.get("kid") == kid for k in self.jwks.get("keys", []))

    def to_dict(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_uri,
            "kids": self.kids,
            "key_count": len(self.kids),
            "source": self.source,
        }


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + WELL_KNOWN


def _validate_jwks(doc: object, uri: str) -> dict[str, Any]:
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise JwksError("jwks-invalid", f"{uri} is not a JWKS (no 'keys' array)")
    if not doc["keys"]:
        raise JwksError("jwks-empty", f"{uri} holds no keys")
    return doc


class JwksClient:
    """Fetches discovery documents and key sets; one instance per run (its memory cache)."""

    def __init__(
        self,
        cache_dir: Path | None = None,
        ttl: float = DEFAULT_TTL,
        timeout: float = 5.0,
        verify: Any = True,
        clock: Callable[[], float] = time.time,
        budget: float | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.ttl = ttl
        self.timeout = max(0.1, min(float(timeout), 30.0))
        # one overall deadline for everything one key lookup fetches (discovery, JWKS, a refetch): a
        # server that drips a byte at a time never trips a per-read timeout, so the clock is the bound
        self.budget = max(0.1, float(budget)) if budget is not None else self.timeout * 4
        self._deadline: float | None = None
        self.verify = verify
        self.clock = clock
        self.requests: list[str] = []  # URLs fetched over the network, in order
        self._mem: dict[str, KeySet] = {}
        self._refetched: set[tuple[str, str]] = set()
        self._lock = threading.RLock()
        self._http: Any = None

    # -- HTTP ---------------------------------------------------------------------------------
    def _client(self) -> Any:
        if self._http is None:
            import httpx

            self._http = httpx.Client(
                timeout=httpx.Timeout(self.timeout),
                verify=self.verify,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                trust_env=True,
                headers={"Accept": "application/json", "User-Agent": "ccwb-doctor"},
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    @contextlib.contextmanager
    def _bounded(self) -> Iterator[None]:
        """Start the overall deadline unless an outer lookup already did."""
        outer = self._deadline is None
        if outer:
            self._deadline = time.monotonic() + self.budget
        try:
            yield
        finally:
            if outer:
                self._deadline = None

    def _get_json(self, url: str, what: str) -> Any:
        """GET ``url`` as JSON, finished before the overall deadline or abandoned (a daemon worker)."""
        if not url.startswith(("https://", "http://")):
            raise JwksError(f"{what}-url", f"{what} URL {url!r} is not http(s)")
        deadline = self._deadline if self._deadline is not None else time.monotonic() + self.budget
        remaining = deadline - time.monotonic()
        over = JwksError(
            f"{what}-timeout",
            f"GET {url}: no complete answer within the {self.budget:.1f} s allowed for fetching the "
            "issuer's keys (bounded by --timeout)",
            network=True,
        )
        if remaining <= 0:
            raise over
        result: list[Any] = []
        client = self._client()

        def work() -> None:
            try:
                result.append((True, self._get_json_now(client, url, what, deadline)))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                result.append((False, exc))

        worker = threading.Thread(target=work, name="jwks-fetch", daemon=True)
        worker.start()
        worker.join(remaining)
        if worker.is_alive():
            self._http = None  # abandon that client: the worker's socket is closed under it
            with contextlib.suppress(Exception):
                client.close()
            raise over
        ok, value = result[0]
        if not ok:
            raise value
        return value

    def _get_json_now(self, client: Any, url: str, what: str, deadline: float) -> Any:
        import httpx

        self.requests.append(url)
        try:
            with client.stream("GET", url) as resp:
                if resp.status_code != 200:
                    raise JwksError(f"{what}-http", f"GET {url} returned HTTP {resp.status_code}")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise JwksError(f"{what}-size", f"{url} is larger than {MAX_BYTES} bytes")
                    if time.monotonic() > deadline:
                        raise JwksError(
                            f"{what}-timeout",
                            f"GET {url} took longer than the {self.budget:.1f} s allowed",
                            network=True,
                        )
        except httpx.TimeoutException:
            raise JwksError(
                f"{what}-timeout", f"GET {url} timed out after {self.timeout:.0f} s", network=True
            ) from None
        except httpx.TooManyRedirects:
            raise JwksError(f"{what}-http", f"GET {url}: more than {MAX_REDIRECTS} redirects") from None
        except httpx.HTTPError as exc:
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise JwksError(f"{what}-unreachable", f"GET {url} failed: {reason}", network=True) from None
        try:
            return json.loads(bytes(body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise JwksError(f"{what}-invalid", f"{url} did not return JSON") from None

    # -- discovery ----------------------------------------------------------------------------
    def discover(self, issuer: str) -> Discovery:
        url = discovery_url(issuer)
        doc = self._get_json(url, "discovery")
        if not isinstance(doc, dict):
            raise JwksError("discovery-invalid", f"{url} is not a JSON object")
        found = doc.get("issuer")
        if found != issuer:
            raise JwksError(
                "discovery-issuer",
                f"the discovery document says issuer {found!r}, the token says {issuer!r}; they must be equal exactly",
            )
        uri = doc.get("jwks_uri")
        if not isinstance(uri, str) or not uri:
            raise JwksError("discovery-invalid", f"{url} has no jwks_uri")
        return Discovery(found, uri, doc)

    # -- disk cache ---------------------------------------------------------------------------
    def _cache_path(self, issuer: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / (hashlib.sha256(issuer.encode("utf-8")).hexdigest()[:32] + ".json")

    def _read_disk(self, issuer: str) -> KeySet | None:
        path = self._cache_path(issuer)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text("utf-8"))
            fetched = float(data["fetched_at"])
            if data.get("issuer") != issuer or not 0 <= self.clock() - fetched < self.ttl:
                return None
            return KeySet(
                issuer, str(data["jwks_uri"]), _validate_jwks(data["jwks"], str(path)), fetched, "disk"
            )
        except (OSError, ValueError, KeyError, TypeError, JwksError):
            return None

    def _write_disk(self, ks: KeySet) -> None:
        path = self._cache_path(ks.issuer)
        if path is None:
            return
        data = {"issuer": ks.issuer, "jwks_uri": ks.jwks_uri, "fetched_at": ks.fetched_at, "jwks": ks.jwks}
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jwks-", suffix=".tmp")
            try:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a cache that cannot be written is not a finding

    # -- key sets -----------------------------------------------------------------------------
    def _fetch(self, issuer: str) -> KeySet:
        try:
            disc = self.discover(issuer)
            doc = _validate_jwks(self._get_json(disc.jwks_uri, "jwks"), disc.jwks_uri)
        finally:
            self.close()  # no idle connections outlive a fetch
        ks = KeySet(issuer, disc.jwks_uri, doc, self.clock(), "network")
        self._write_disk(ks)
        return ks

    def jwks(self, issuer: str, *, refresh: bool = False) -> KeySet:
        """The issuer's key set: memory, else a fresh disk copy, else the network (discovery + JWKS)."""
        with self._lock, self._bounded():
            if not refresh:
                ks = self._mem.get(issuer)
                if ks is not None:
                    return KeySet(ks.issuer, ks.jwks_uri, ks.jwks, ks.fetched_at, "memory")
                ks = self._read_disk(issuer)
                if ks is not None:
                    self._mem[issuer] = ks
                    return ks
            ks = self._fetch(issuer)
            self._mem[issuer] = ks
            return ks

    def key_for(self, issuer: str, kid: str | None) -> tuple[KeySet, bool]:
        """The key set that should hold ``kid``; an unknown kid triggers one refetch. Returns (set, refetched)."""
        with self._lock, self._bounded():
            ks = self.jwks(issuer)
            if kid is None or ks.has_kid(kid) or (issuer, kid) in self._refetched:
                return ks, False
            self._refetched.add((issuer, kid))
            return self.jwks(issuer, refresh=True), True
