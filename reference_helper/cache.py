"""Credential / token storage: a 0600 file cache with atomic replace, or the OS keyring.

File layout (the doctor's facts read it): ``$XDG_CACHE_HOME`` or ``~/.cache`` +
``/ccwb-credential-process/<profile>.json`` = {"credentials": {credential_process JSON},
"credentials_exp": int, "id_token": str, "id_token_exp": int, "issuer", "client_id", "profile",
"role_arn", "updated_at"} and ``<profile>.refresh.json`` = {"refresh_token": str, "issuer",
"client_id", "updated_at"}; ``<profile>.lock`` is the inter-process lock. Standard library only (hot path);
``keyring`` is imported only when credential_storage is "keyring".
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from typing import Any

from .errors import HelperError

KEYRING_SERVICE = "ccwb-credential-process"
_UNSAFE = re.compile(r"[^\w.-]")


def cache_dir(env: Any = None) -> str:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ccwb-credential-process")


def paths(profile: str, env: Any = None) -> dict[str, str]:
    root = cache_dir(env)
    safe = _UNSAFE.sub("_", profile) or "default"
    return {
        "dir": root,
        "session": os.path.join(root, f"{safe}.json"),
        "refresh": os.path.join(root, f"{safe}.refresh.json"),
        "lock": os.path.join(root, f"{safe}.lock"),
    }


def ensure_dir(path: str) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)


def read_json(path: str) -> dict[str, Any] | None:
    """The cached object, or None when absent or unreadable (a damaged cache is a cache miss)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: str, obj: dict[str, Any]) -> None:
    """Write to a 0600 temp file in the same directory, fsync, then atomically replace ``path``."""
    directory = os.path.dirname(path)
    ensure_dir(directory)
    data = json.dumps(obj, separators=(",", ":")).encode()
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        half = len(data) // 2
        os.write(fd, data[:half])
        pause = os.environ.get("CCWB_CACHE_WRITE_PAUSE")  # test hook: widen the kill window
        if pause:
            time.sleep(float(pause))
        os.write(fd, data[half:])
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    for attempt in range(5):
        try:
            os.replace(tmp, path)
            return
        except PermissionError:  # Windows: a reader has the target open; bounded retry
            if attempt == 4 or os.name != "nt":
                _unlink(tmp)
                raise
            time.sleep(0.05 * (attempt + 1))


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False


def sweep_temp(directory: str, max_age: float = 60.0) -> None:
    """Remove temp files left by killed writers."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    now = time.time()
    for name in names:
        if name.startswith(".") and name.endswith(".tmp"):
            full = os.path.join(directory, name)
            try:
                if now - os.stat(full).st_mtime > max_age:
                    os.unlink(full)
            except OSError:
                pass


class Store:
    """Session (credentials + ID token) and refresh-token storage for one profile."""

    def __init__(self, profile: str, storage: str = "session", env: Any = None) -> None:
        self.profile, self.storage = profile, storage
        self.paths = paths(profile, env)

    # keyring ----------------------------------------------------------------------------------
    def _keyring(self) -> Any:
        try:
            import keyring  # noqa: PLC0415 - optional backend, imported lazily
        except ImportError:
            raise HelperError(
                'credential_storage is "keyring" but the keyring package is not installed', 2
            ) from None
        return keyring

    def _kr_get(self, user: str) -> dict[str, Any] | None:
        raw = self._keyring().get_password(KEYRING_SERVICE, user)
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _kr_set(self, user: str, obj: dict[str, Any] | None) -> None:
        kr = self._keyring()
        if obj is None:
            with contextlib.suppress(Exception):  # keyring raises PasswordDeleteError for absent entries
                kr.delete_password(KEYRING_SERVICE, user)
        else:
            kr.set_password(KEYRING_SERVICE, user, json.dumps(obj, separators=(",", ":")))

    # public -----------------------------------------------------------------------------------
    def load_session(self) -> dict[str, Any] | None:
        if self.storage == "keyring":
            return self._kr_get(self.profile)
        return read_json(self.paths["session"])

    def save_session(self, obj: dict[str, Any]) -> None:
        if self.storage == "keyring":
            self._kr_set(self.profile, obj)
        else:
            write_json(self.paths["session"], obj)

    def load_refresh(self) -> str | None:
        data = (
            self._kr_get(self.profile + ".refresh")
            if self.storage == "keyring"
            else read_json(self.paths["refresh"])
        )
        token = (data or {}).get("refresh_token")
        return token if isinstance(token, str) and token else None

    def save_refresh(self, token: str | None, meta: dict[str, Any] | None = None) -> None:
        obj = None if not token else {"refresh_token": token, "updated_at": int(time.time()), **(meta or {})}
        if self.storage == "keyring":
            self._kr_set(self.profile + ".refresh", obj)
        elif obj is None:
            _unlink(self.paths["refresh"])
        else:
            write_json(self.paths["refresh"], obj)

    def clear(self) -> list[str]:
        """Remove every entry for the profile (never writes a placeholder). Returns what was removed."""
        removed = []
        if self.storage == "keyring":
            for user in (self.profile, self.profile + ".refresh"):
                if self._kr_get(user) is not None:
                    self._kr_set(user, None)
                    removed.append(f"keyring:{KEYRING_SERVICE}/{user}")
        for key in ("session", "refresh"):
            if _unlink(self.paths[key]):
                removed.append(self.paths[key])
        return removed
