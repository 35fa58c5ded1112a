"""Who ran the doctor, as the export's resource attributes, and the key its pseudonyms are made with.

The key: ``CCWB_DOCTOR_PSEUDONYM_SECRET`` from Claude Code's settings env (one organisation-wide value in
the managed settings: the same user gets the same id on every machine), else a random key kept in the
doctor's cache (``$XDG_CACHE_HOME/ccwb-doctor/export-key``, or ``<home>/.cache/...``; created 0600 on first
use: a host keeps its ids from run to run, and they cannot be linked to another machine's). Everything
here reads facts that the checks have usually gathered already; only what they have not is gathered now.
"""

from __future__ import annotations

import os
import secrets
import socket
import stat
import uuid
from pathlib import Path
from typing import Any

from ccwb_doctor.analyzers.telemetry import records as T

KEY_ENV = "CCWB_DOCTOR_PSEUDONYM_SECRET"
KEY_FILE = "export-key"
GUIDANCE_HELPERS = ("credential-process", "credential-process.exe")
REFERENCE_HELPERS = ("ccwb-credential-process",)


def _cache_dir(facts: Any) -> Path:
    xdg = facts.env.get("XDG_CACHE_HOME") if not facts.options.home else None
    return (Path(xdg) if xdg else Path(facts.home) / ".cache") / "ccwb-doctor"


def pseudonym_key(facts: Any) -> bytes:
    env = facts.peek("claude_env") or {}
    given = env.get(KEY_ENV)
    if isinstance(given, str) and given.strip():
        facts.secrets.add(given.strip())
        return given.strip().encode()
    path = _cache_dir(facts) / KEY_FILE
    try:
        return _read_key(path)
    except (OSError, ValueError):
        pass
    key = secrets.token_hex(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
    except FileExistsError:  # another run made it first (or it is not a file we can use)
        try:
            return _read_key(path)
        except (OSError, ValueError):
            pass
    except OSError:
        pass  # an unwritable cache: ids of this run only
    return key.encode()


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        text = fh.read(200).decode("ascii", "replace").strip()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError("not a key")
    return text.encode()


def claude_install(source: str) -> str:
    """How Claude Code was installed, from where its version was found."""
    s = source.replace("\\", "/")
    if not s:
        return "unknown"
    if "/.claude/local/" in s:
        return "local"
    if "node_modules" in s or "npm" in s:
        return "npm"
    if ".local/bin/claude" in s or ".local/share/claude" in s:
        return "native"
    return "other"


def helper_kind(facts: Any) -> str:
    cp = facts.peek("credential_process")
    if cp is None or not getattr(cp, "argv", None):
        return "none"
    name = Path(str(cp.argv[0]).replace("\\", "/")).name.lower()
    if name in GUIDANCE_HELPERS:
        return "guidance"
    if name in REFERENCE_HELPERS:
        return "reference"
    return "custom"


def _user(facts: Any) -> str:
    """Who: the ID token's e-mail (else its subject), else the captured home's user, else this account."""
    tok = facts.peek("token")
    claims = getattr(getattr(tok, "decoded", None), "claims", None) or {}
    for claim in ("email", "upn", "preferred_username", "sub"):
        if isinstance(claims.get(claim), str) and claims[claim]:
            return f"{claims.get('iss', '')}|{claims[claim]}" if claim == "sub" else claims[claim]
    cap = facts.peek("capture")
    if cap is not None:
        return "home:" + str(cap.original).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    if facts.options.home:
        return "home:" + Path(facts.options.home).name
    import getpass

    try:
        return "account:" + getpass.getuser()
    except (OSError, KeyError):
        return "account:" + str(os.getuid()) if hasattr(os, "getuid") else "account:?"


def resource_attributes(report: Any, names: T.Pseudonyms) -> dict[str, str]:
    from ccwb_doctor import __version__

    facts = report.facts
    jp = facts.peek("judged_platform")
    cv = facts.peek("claude_version")
    hp = facts.peek("helper_profile") or {}
    regions = facts.peek("regions")
    host = socket.gethostname() or "?"
    if facts.options.home:  # a captured HOME (or each simulated developer) is its own machine
        host += "|" + str(Path(facts.options.home).resolve())
    attrs = {
        T.R_SERVICE: "ccwb-doctor",
        T.R_VERSION: __version__,
        T.R_RUN: uuid.uuid4().hex,
        T.R_OS: T.os_type(report.host.get("os", "")),
        T.R_ARCH: T.host_arch(report.host.get("arch", "")),
        T.R_PLATFORM: getattr(jp, "label", "") or "unknown",
        T.R_PLATFORM_SOURCE: getattr(jp, "source", "") or "unknown",
        T.R_MODE: str(facts.options.mode),
        T.R_HOST_ID: names.id("host", host),
        T.R_USER_ID: names.id("user", _user(facts)),
        T.R_CLAUDE_INSTALL: claude_install(getattr(cv, "source", "") or ""),
        T.R_CLAUDE_VERSION: getattr(cv, "version", None) or "unknown",
        T.R_HELPER_KIND: helper_kind(facts),
        T.R_HELPER_VERSION: names.text(str(facts.peek("helper_version", "n/a"))),
        T.R_IDP: str(hp.get("provider_type") or "unknown"),
        T.R_FEDERATION: str(hp.get("federation_type") or "unknown"),
        T.R_REGION: str(getattr(regions, "claude", None) or "unknown"),
    }
    from ccwb_doctor.analyzers.redact.secrets import scrub_text

    known = list(facts.secrets)
    return {k: scrub_text(attrs[k], known) for k in T.RESOURCE_KEYS}
