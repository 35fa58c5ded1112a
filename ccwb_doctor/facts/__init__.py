"""Facts: evidence gathered once, lazily and thread-safely, shared by every check.

Providers live in the modules of this package and register with ``@fact("name")``; a check reads
``facts.name`` (or ``facts.get("name")``). A provider that raises has its exception remembered and
re-raised to every check that needs that fact, so one bad file errors only the checks that use it.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ccwb_doctor.options import RunOptions, env_snapshot

Provider = Callable[["Facts"], Any]
PROVIDERS: dict[str, Provider] = {}
_loaded = False
_load_lock = threading.Lock()


def fact(name: str) -> Callable[[Provider], Provider]:
    def deco(fn: Provider) -> Provider:
        PROVIDERS[name] = fn
        return fn

    return deco


# Which module of this package provides each fact, so a run imports only the providers its checks read
# (importing all of them costs an offline run ~20 ms). tests/facts/test_index.py proves this table equals
# what the @fact decorators register.
INDEX: dict[str, str] = {
    "host": "binary",
    "mounts": "binary",
    "binary_targets": "binary",
    "binary_analyses": "binary",
    "capture": "capture",
    "judged_platform": "capture",
    "claude_version": "claude",
    "helper_version": "claude",
    "home": "config",
    "paths": "config",
    "claude_settings": "config",
    "claude_env": "config",
    "env_origins": "config",
    "aws_config": "config",
    "aws_credentials": "config",
    "profile_name": "config",
    "profile": "config",
    "credential_process": "config",
    "helper_config": "config",
    "helper_profile_name": "config",
    "helper_profile": "config",
    "token_cache_files": "config",
    "conform_inputs": "conform",
    "conform_findings": "conform",
    "consumers": "consumers",
    "settings_commands": "consumers",
    "live_credentials": "live",
    "caller_identity": "live",
    "otel_delivery": "live",
    "model_config": "model",
    "regions": "model",
    "permission_policies": "model",
    "scp_policies": "model",
    "profiles_table": "model",
    "endpoints": "network",
    "net_results": "network",
    "oidc_provider": "provider",
    "token": "token",
    "jwks_client": "token",
    "token_keys": "token",
    "cfn_template": "trust",
    "trust_policy": "trust",
    "role": "trust",
    "trust_eval": "trust",
}


def _load_provider(name: str) -> None:
    """Import the module that provides ``name`` (a name the index does not know has no provider: facts set
    by another provider, such as ``permission_policies_live_error``, are read with ``peek``)."""
    module = INDEX.get(name)
    if module is not None and name not in PROVIDERS:
        importlib.import_module(f"{__name__}.{module}")


def _load_providers() -> None:
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        pkg = importlib.import_module(__name__)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True


class SecretStore:
    """Exact secret strings seen while gathering facts; the renderers mask every occurrence."""

    def __init__(self) -> None:
        self._items: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: object) -> None:
        with self._lock:
            for v in values:
                if isinstance(v, str) and len(v) >= 8:
                    self._items.add(v)

    def __iter__(self):  # type: ignore[no-untyped-def]
        with self._lock:
            return iter(sorted(self._items, key=len, reverse=True))


class _Failed:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Facts:
    def __init__(
        self,
        options: RunOptions | None = None,
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.options = options or RunOptions()
        self.env: dict[str, str] = env_snapshot(env)
        self.secrets = SecretStore()
        self._values: dict[str, Any] = dict(overrides or {})
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()

    def _lock_for(self, name: str) -> threading.RLock:
        with self._guard:
            lk = self._locks.get(name)
            if lk is None:
                lk = self._locks[name] = threading.RLock()
            return lk

    def get(self, name: str) -> Any:
        if name in self._values:
            return self._unwrap(self._values[name])
        _load_provider(name)
        provider = PROVIDERS.get(name)
        if provider is None:
            raise AttributeError(f"no fact named {name!r}")
        with self._lock_for(name):
            if name not in self._values:
                try:
                    self._values[name] = provider(self)
                except Exception as exc:  # noqa: BLE001 - remembered and re-raised to each reader
                    self._values[name] = _Failed(exc)
        return self._unwrap(self._values[name])

    @staticmethod
    def _unwrap(value: Any) -> Any:
        if isinstance(value, _Failed):
            raise value.exc
        return value

    def peek(self, name: str, default: Any = None) -> Any:
        """The fact's value, or ``default`` if gathering it failed."""
        try:
            return self.get(name)
        except Exception:  # noqa: BLE001
            return default

    def set(self, name: str, value: Any) -> None:
        self._values[name] = value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)
