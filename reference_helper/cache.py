"""Credential / token storage: a 0600 file cache with atomic replace, or the OS keyring.

File layout (the doctor's facts read it): ``$XDG_CACHE_HOME`` or ``~/.cache`` +
``/ccwb-credential-process/<profile>.json`` = {"credentials": {credential_process JSON},
"credentials_exp": int, "id_token": str, "id_token_exp": int, "issuer", "client_id", "profile",
"role_arn", "updated_at"} and ``<profile>.refresh.json`` = {"refresh_token": str, "issuer",
"client_id", "updated_at"}; ``<profile>.lock`` is the inter-process lock and ``<profile>.failed.json``
= {"reason", "code", "stage", "at", "pid"} the last lock holder's failure (reused by the processes that waited). Standard library only (hot path);
``keyring`` is imported only when credential_storage is "keyring".
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import sys
import time
from typing import Any

from .errors import HelperError

KEYRING_SERVICE = "ccwb-credential-process"
_UNSAFE = re.compile(r"[^\w.-]")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
MAX_SIZE = 1024 * 1024
PROG = "ccwb-credential-process"  # set by ccwb-otel-headers for its own messages


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
        "failed": os.path.join(root, f"{safe}.failed.json"),
    }


def ensure_dir(path: str) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)


def warn(message: str) -> None:
    """One line on stderr, prefixed with the running program's name (stdout is a protocol channel)."""
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


_REFUSED: set[str] = set()


def _refuse(path: str, why: str) -> None:
    if path in _REFUSED:  # once per run, however often the file is consulted
        return
    _REFUSED.add(path)
    warn(
        f"ignoring {path}: {why}; remove it (or run ccwb-credential-process --clear-cache) "
        "and the helper will sign in again and write a private copy"
    )


def open_private(path: str) -> int | None:
    """A read-only fd on ``path`` if it is a regular file of ours with mode 0600 (or stricter).

    Never follows a symlink (O_NOFOLLOW), never blocks on a FIFO or device (lstat first, then
    O_NONBLOCK and a re-check of the opened file). None when absent; None plus one stderr line when
    the file is refused (another owner, group/other permissions, not a regular file).
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        _refuse(path, f"cannot inspect it ({exc.strerror})")
        return None
    if not stat.S_ISREG(st.st_mode):
        _refuse(path, "it is a symlink" if stat.S_ISLNK(st.st_mode) else "it is not a regular file")
        return None
    flags = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        _refuse(path, f"cannot open it safely ({exc.strerror})")
        return None
    st = os.fstat(fd)
    why = _unsafe(st)
    if why:
        os.close(fd)
        _refuse(path, why)
        return None
    return fd


def _unsafe(st: os.stat_result) -> str | None:
    if not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    if os.name == "nt":  # pragma: no cover - ownership and modes are ACLs there
        return None
    if st.st_uid != os.getuid():
        return f"it is owned by uid {st.st_uid}, not by you (uid {os.getuid()})"
    if st.st_mode & 0o077:
        return f"its mode is {stat.S_IMODE(st.st_mode):04o}, looser than 0600"
    return None


def read_json(path: str) -> dict[str, Any] | None:
    """The cached object, or None when absent, refused or unreadable (a damaged cache is a cache miss)."""
    fd = open_private(path)
    if fd is None:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            data = json.loads(fh.read(MAX_SIZE))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: str, obj: dict[str, Any]) -> None:
    """Write a fresh 0600 temp file in the same directory (mkstemp: O_EXCL, O_NOFOLLOW, random name),
    fsync, then atomically replace ``path`` (a symlink or FIFO planted at ``path`` is replaced, never
    followed or opened)."""
    directory = os.path.dirname(path)
    ensure_dir(directory)
    import tempfile  # noqa: PLC0415 - write path only (keeps the cached path's imports small)

    data = json.dumps(obj, separators=(",", ":")).encode()
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        if os.name != "nt":
            os.fchmod(fd, 0o600)
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


def remove(path: str) -> bool:
    """Delete ``path`` if present (a symlink itself, never its target). True when something was removed."""
    return _unlink(path)


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
                if now - os.lstat(full).st_mtime > max_age:
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

    def load_refresh(self, issuer: str | None = None, client_id: Any = None) -> str | None:
        """The stored refresh token; with ``issuer``, only if it was issued by that IdP to ``client_id``.

        A token bound elsewhere (the profile's issuer or client id changed) is deleted, never sent:
        presenting it to another IdP would hand that IdP a credential of the old one.
        """
        data = (
            self._kr_get(self.profile + ".refresh")
            if self.storage == "keyring"
            else read_json(self.paths["refresh"])
        )
        token = (data or {}).get("refresh_token")
        if not (isinstance(token, str) and token):
            return None
        if issuer is not None and (
            (data or {}).get("issuer") != issuer or (data or {}).get("client_id") != client_id
        ):
            self.save_refresh(None)
            warn(
                f"the stored refresh token was issued by {(data or {}).get('issuer')!r} to client "
                f"{(data or {}).get('client_id')!r}, not by {issuer!r} to {client_id!r} (config.json changed): "
                "discarded unused; signing in again"
            )
            return None
        return token

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
        for key in ("session", "refresh", "failed"):
            if _unlink(self.paths[key]):
                removed.append(self.paths[key])
        return removed
