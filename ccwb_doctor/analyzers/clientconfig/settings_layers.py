"""Claude Code's settings stack (pure): which files, in which order, and which layer set each env value.

Precedence, lowest to highest: user (``$CLAUDE_CONFIG_DIR`` or ``~/.claude``) < shared project
(``<project>/.claude/settings.json``) < local project (``<project>/.claude/settings.local.json``) < managed.
Inside ``env`` the layers merge key by key, so each value has exactly one layer that set it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from ccwb_doctor.analyzers.clientconfig.claude_settings import SettingsFile

ORDER = ("user", "project", "local", "managed")


def layer_files(user_dir: Path, project: Path | None) -> list[tuple[str, Path]]:
    """(scope, path) of the non-managed layers, lowest precedence first; the project's layers are left
    out when they are the user file itself (the project is the home directory)."""
    out = [("user", user_dir / "settings.json")]
    if project is not None:
        for scope, name in (("project", "settings.json"), ("local", "settings.local.json")):
            p = project / ".claude" / name
            if p.absolute() != out[0][1].absolute():
                out.append((scope, p))
    return out


def env_origins(files: Sequence[SettingsFile]) -> dict[str, str]:
    """For every env key a settings file sets: '<scope>: <path>' of the layer whose value wins."""
    origins: dict[str, str] = {}
    for f in sorted(files, key=lambda f: ORDER.index(f.scope) if f.scope in ORDER else len(ORDER)):
        env = f.data.get("env")
        if isinstance(env, dict):
            for k in env:
                origins[str(k)] = f"{f.scope}: {f.path}"
    return origins


def env_layers(files: Sequence[SettingsFile], key: str) -> list[tuple[str, str]]:
    """('<scope>: <path>', value) of every layer whose env sets ``key``, lowest precedence first (the last
    one is the value Claude Code uses)."""
    out: list[tuple[str, str]] = []
    for f in sorted(files, key=lambda f: ORDER.index(f.scope) if f.scope in ORDER else len(ORDER)):
        env = f.data.get("env")
        if isinstance(env, dict) and key in env:
            out.append((f"{f.scope}: {f.path}", str(env[key])))
    return out


_ENV_NAME = re.compile(r"\b(?:OTEL_[A-Z0-9_]+|CLAUDE_CODE_[A-Z0-9_]+|ANTHROPIC_[A-Z0-9_]+|AWS_[A-Z0-9_]+)\b")


def named_variables(text: str) -> list[str]:
    """The Claude Code / AWS / OTel environment variables ``text`` names, in order, each once."""
    return list(dict.fromkeys(_ENV_NAME.findall(text)))


def origins_note(text: str, origins: Mapping[str, str]) -> str:
    """' (VAR set by <origin>; ...)' for each environment variable ``text`` names that has an origin, in the
    order they appear; "" when it names none."""
    seen = [n for n in named_variables(text) if n in origins]
    return " (" + "; ".join(f"{n} set by {origins[n]}" for n in seen) + ")" if seen else ""


def where_to_change(origin: str, what: str, home: str | None = None) -> str:
    """``what`` (a lower-case instruction: "set X to ...") prefixed with where to do it: the settings file of
    ``origin`` ('<scope>: <path>'; for managed settings, whoever manages that file), or the environment that
    starts Claude Code ('process environment'); ``what`` alone when the origin is unknown. A user file under
    ``home`` is written ``~/...``: the same fix for every developer (a fleet groups them), and the one the
    developer types."""
    scope, _, path = origin.partition(": ")
    if scope == "managed":
        return f"ask whoever manages {path} (managed settings override every user and project file) to {what}"
    if path:
        return f"in {_tilde(path, home) if scope == 'user' else path}, {what}"
    if origin == "process environment":
        return f"in the environment that starts Claude Code, {what}"
    return what


def _tilde(path: str, home: str | None) -> str:
    if not home:
        return path
    root = home.rstrip("/\\")
    if path.startswith(root) and path[len(root) : len(root) + 1] in ("/", "\\"):
        return "~" + path[len(root) :].replace("\\", "/")
    return path


# ------------------------------------------------------------------------------------------ managed sources
# Claude Code's managed tier takes ONE source, the highest present (code.claude.com/docs/en/managed-settings,
# "How Claude Code combines managed sources"; server-managed settings are not on the machine and not read):
# MDM policy (macOS configuration profile in /Library/Managed Preferences, per-user before device; Windows
# HKLM\SOFTWARE\Policies\ClaudeCode value "Settings") > the managed-settings.json file > HKCU (Windows, used
# only when no admin source exists).
PLIST_DOMAIN = "com.anthropic.claudecode"
MANAGED_PREFS = "/Library/Managed Preferences"
REG_KEYS = {
    "HKLM": "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode",
    "HKCU": "HKEY_CURRENT_USER\\SOFTWARE\\Policies\\ClaudeCode",
}
MANAGED_ORDER = ("mdm-plist-user", "mdm-plist", "mdm-hklm", "file", "hkcu")  # highest first


def plist_paths(user: str | None) -> list[tuple[str, str]]:
    """(kind, path) of the macOS managed-preferences plists, highest precedence first."""
    out = [("mdm-plist-user", f"{MANAGED_PREFS}/{user}/{PLIST_DOMAIN}.plist")] if user else []
    return out + [("mdm-plist", f"{MANAGED_PREFS}/{PLIST_DOMAIN}.plist")]


def parse_plist(data: bytes) -> dict[str, object]:
    """A managed-preferences plist (XML or binary): its top-level dictionary is the settings document."""
    import plistlib

    from ccwb_doctor.analyzers.clientconfig.claude_settings import SettingsError

    try:
        doc = plistlib.loads(data)
    except Exception as exc:  # noqa: BLE001 - plistlib raises several types for a bad file
        raise SettingsError(f"not a property list: {exc}") from None
    if not isinstance(doc, dict):
        raise SettingsError(f"top level must be a dictionary, found {type(doc).__name__}")
    return doc


def parse_reg(data: bytes) -> dict[str, str]:
    """The ``Settings`` values of an exported ``.reg`` file (regedit: UTF-16 with a BOM, or ANSI), by hive
    ("HKLM"/"HKCU") for the ClaudeCode policy keys; the value is the settings JSON text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        text = data.decode("utf-8-sig", "replace")
    out: dict[str, str] = {}
    hive: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            key = line[1:-1].strip().lower()
            hive = next((h for h, k in REG_KEYS.items() if k.lower() == key), None)
            continue
        if hive and line.lower().startswith('"settings"="') and line.endswith('"'):
            value = line[len('"settings"="') : -1]
            out[hive] = re.sub(r"\\(.)", r"\1", value)  # regedit escapes \ and " with a backslash
    return out


def pick_managed(present: Sequence[tuple[str, SettingsFile]]) -> tuple[SettingsFile | None, list[str]]:
    """The one managed source Claude Code uses (highest in MANAGED_ORDER) and the ignored ones, named."""
    ranked = sorted(present, key=lambda kf: MANAGED_ORDER.index(kf[0]))
    if not ranked:
        return None, []
    return ranked[0][1], [f"{k}: {f.path} (ignored: {ranked[0][0]} takes precedence)" for k, f in ranked[1:]]
