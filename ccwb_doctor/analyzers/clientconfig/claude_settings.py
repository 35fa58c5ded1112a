"""Claude Code settings files: parse one, and merge several the way Claude Code layers them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from ccwb_doctor.records import record

PLACEHOLDER = re.compile(r"__[A-Z][A-Z0-9_]*_PATH__")
COMMAND_KEYS = ("awsAuthRefresh", "awsCredentialExport", "otelHeadersHelper", "apiKeyHelper")


class SettingsError(ValueError):
    """One-line reason why a settings file cannot be used."""


@record
class SettingsFile:
    """One Claude Code settings file as read: its path, scope and JSON data."""

    path: str
    scope: str  # user | managed
    data: dict[str, Any] = field(default_factory=dict)


def parse_settings(data: bytes | str) -> dict[str, Any]:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SettingsError(f"not UTF-8 (byte {exc.start})") from None
    if not data.strip():
        raise SettingsError("the file is empty")
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise SettingsError("not valid JSON: nested too deeply") from None
    if not isinstance(doc, dict):
        raise SettingsError(f"top level must be a JSON object, found {type(doc).__name__}")
    env = doc.get("env", {})
    if env is not None and not isinstance(env, dict):
        raise SettingsError(f'"env" must be an object of NAME -> string, found {type(env).__name__}')
    for k, v in (env or {}).items():
        if not isinstance(v, str | int | float | bool) or v is None:
            raise SettingsError(f'"env"."{k}" must be a string, found {type(v).__name__}')
    for key in COMMAND_KEYS:
        if key in doc and not isinstance(doc[key], str):
            raise SettingsError(f'"{key}" must be a command string, found {type(doc[key]).__name__}')
    return doc


def _env_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def merge(
    files: Sequence[SettingsFile], process_env: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Merged top-level settings and the environment Claude Code runs with.

    Later files win (pass user files first, managed last: managed settings take precedence).
    The settings ``env`` blocks are applied on top of the process environment.
    """
    merged: dict[str, Any] = {}
    env: dict[str, str] = dict(process_env)
    for f in files:
        for k, v in f.data.items():
            if k != "env":
                merged[k] = v
        for k, v in (f.data.get("env") or {}).items():
            env[str(k)] = _env_str(v)
    return merged, env


def placeholders(files: Sequence[SettingsFile]) -> list[tuple[str, str, str]]:
    """(path, key, placeholder) for every leftover installer placeholder such as __CREDENTIAL_PROCESS_PATH__."""
    found: list[tuple[str, str, str]] = []

    def walk(node: Any, key: str, path: str) -> None:
        if isinstance(node, str):
            for m in PLACEHOLDER.findall(node):
                found.append((path, key, m))
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{key}.{k}" if key else str(k), path)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{key}[{i}]", path)

    for f in files:
        walk(f.data, "", f.path)
    return found
