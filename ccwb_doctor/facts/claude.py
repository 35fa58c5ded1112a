"""Installed versions: Claude Code's (``claude_version``) and the credential helper's (``helper_version``).

Found as ``claude --version`` of the ``claude`` on the PATH Claude Code runs with, else in the HOME's usual
install places (the native installer's ``~/.local/bin/claude``, the old local install
``~/.claude/local/claude``, an npm prefix in the HOME). For a captured ``--home`` (or a run judged for another
platform) nothing is run: the version is read from what the install left in the HOME (the native
installer's ``~/.local/share/claude/versions/<version>``, an npm ``package.json``), or stays unknown.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.records import record

VERSION_TIMEOUT = 15.0
BINARY_PLACES = (
    ".local/bin/claude",
    ".claude/local/claude",
    ".npm-global/bin/claude",
    ".local/share/npm/bin/claude",
    "node_modules/.bin/claude",
)
_PKG = "node_modules/@anthropic-ai/claude-code/package.json"
PACKAGE_PLACES = (
    f".claude/local/{_PKG}",
    f".npm-global/lib/{_PKG}",
    f".local/share/npm/lib/{_PKG}",
    f".local/lib/{_PKG}",
    _PKG,
)
VERSIONS_DIR = ".local/share/claude/versions"
_VERSION = re.compile(r"^\s*v?(\d+\.\d+\.\d+)\b")


@record(frozen=True)
class ClaudeVersion:
    """The installed Claude Code's version, how it was found, or why it is unknown."""

    version: str | None  # '2.1.332', or None when unknown
    source: str  # how it was found ('claude --version of /usr/local/bin/claude', …)
    reason: str = ""  # why it is unknown

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "source": self.source, "reason": self.reason}


def _from_files(home: Path) -> tuple[str, str] | None:
    """(version, where) from what an install left in ``home``, without running anything."""
    link = home / ".local/bin/claude"
    try:
        target = os.readlink(link)
    except OSError:
        target = ""
    m = _VERSION.match(Path(target.replace("\\", "/")).name) if target else None
    if m:
        return m.group(1), f"{link} -> {target}"
    vdir = home / VERSIONS_DIR
    try:
        found = sorted(
            (tuple(int(x) for x in mm.group(1).split(".")), mm.group(1))
            for p in vdir.iterdir()
            if (mm := _VERSION.match(p.name))
        )
    except OSError:
        found = []
    if found:
        return found[-1][1], f"{vdir}/{found[-1][1]}"
    for rel in PACKAGE_PLACES:
        p = home / rel
        try:
            doc = json.loads(p.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        ver = doc.get("version") if isinstance(doc, dict) else None
        if isinstance(ver, str) and _VERSION.match(ver):
            return _VERSION.match(ver).group(1), str(p)  # type: ignore[union-attr]
    return None


def _find_binary(env: dict[str, str], home: Path) -> Path | None:
    found = shutil.which("claude", path=env.get("PATH", os.defpath))
    if found:
        return Path(found)
    for rel in BINARY_PLACES:
        p = home / rel
        if p.is_file() and os.access(p, os.X_OK):
            return p
    return None


def run_version(path: Path, env: dict[str, str]) -> tuple[str | None, str]:
    """``PATH --version`` -> (version, '') or (None, why); a minimal environment, nothing else passed."""
    from ccwb_doctor import subproc

    clean = {
        "PATH": env.get("PATH", os.defpath),
        "HOME": "/nonexistent",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    try:
        out = subproc.run(
            [str(path), "--version"],
            timeout=VERSION_TIMEOUT,
            capture_output=True,
            text=True,
            env=clean,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return None, f"{path} --version did not answer within {VERSION_TIMEOUT:.0f} s"
    except OSError as exc:
        return None, f"{path} --version could not run ({exc.strerror or type(exc).__name__})"
    m = _VERSION.match(out.stdout or "")
    if out.returncode != 0 or m is None:
        return None, f"{path} --version answered no version (exit {out.returncode})"
    return m.group(1), ""


@fact("claude_version")
def _claude_version(facts: Facts) -> ClaudeVersion:
    env: dict[str, str] = facts.peek("claude_env") or facts.env
    home = Path(facts.home)
    jp = facts.peek("judged_platform")
    foreign = facts.peek("capture") is not None or bool(getattr(jp, "foreign", False))
    if foreign:
        got = _from_files(home)
        if got:
            return ClaudeVersion(got[0], f"read from {got[1]} (nothing is run for a captured HOME)")
        return ClaudeVersion(
            None, "", "a captured HOME: claude --version is not run, and no install in it names its version"
        )
    binary = _find_binary(env, home)
    if binary is None:
        got = _from_files(home)
        if got:
            return ClaudeVersion(got[0], f"read from {got[1]}")
        return ClaudeVersion(
            None, "", "no claude on the PATH Claude Code runs with nor in the HOME's install places"
        )
    ver, why = run_version(binary, env)
    if ver is None:
        return ClaudeVersion(None, "", why)
    return ClaudeVersion(ver, f"claude --version of {binary}")


HELPER_VERSION_TIMEOUT = 3.0


@fact("helper_version")
def _helper_version(facts: Facts) -> str:
    """``<credential_process program> --version`` (3 s budget), or why it is not shown. Nothing from a
    captured HOME (or a run judged for another platform) is run."""
    cp = facts.peek("credential_process")
    program = getattr(cp, "program", None)
    if program is None:
        return "n/a (no runnable credential_process)"
    jp = facts.peek("judged_platform")
    if facts.peek("capture") is not None or bool(getattr(jp, "foreign", False)):
        return "n/a (a captured HOME: nothing in it is run)"
    from ccwb_doctor import subproc

    try:
        proc = subproc.run(
            [str(program), "--version"],
            capture_output=True,
            timeout=HELPER_VERSION_TIMEOUT,
            stdin=subprocess.DEVNULL,
            env=dict(facts.peek("claude_env") or facts.env),
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError, ValueError) as exc:  # ValueError: a NUL in the env
        return f"n/a ({type(exc).__name__})"
    line = (proc.stdout or proc.stderr).decode("utf-8", "replace").strip().splitlines()
    return (line[0][:120] if line else "") + ("" if proc.returncode == 0 else f" (exit {proc.returncode})")
