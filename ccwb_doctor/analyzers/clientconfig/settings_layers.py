"""Claude Code's settings stack (pure): which files, in which order, and which layer set each env value.

Precedence, lowest to highest: user (``$CLAUDE_CONFIG_DIR`` or ``~/.claude``) < shared project
(``<project>/.claude/settings.json``) < local project (``<project>/.claude/settings.local.json``) < managed.
Inside ``env`` the layers merge key by key, so each value has exactly one layer that set it.
"""

from __future__ import annotations

from collections.abc import Sequence
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
