"""Installer placeholders left behind (``__CREDENTIAL_PROCESS_PATH__``, ``__OTEL_HELPER_PATH__``): the guidance's
packager writes them into settings.json and its installer replaces them with the installed binary's path
(``$HOME/claude-code-with-bedrock/credential-process``). The fixes fill in that path when it is certain:
exactly one candidate binary for the placeholder in the install dir, on a POSIX machine, and a path that
needs no quoting in a command line. Otherwise the answer is the reason (advice).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

SAFE_PATH = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def stem(placeholder: str) -> str:
    """``__CREDENTIAL_PROCESS_PATH__`` -> ``credential-process`` (the binary's name in the install dir)."""
    core = placeholder.strip("_")
    core = core[: -len("_PATH")] if core.endswith("_PATH") else core
    return core.lower().replace("_", "-")


def candidates(install_dir: Path, name: str) -> list[Path]:
    """Regular files that could be the binary ``name``: ``name``, ``name.exe`` or a build ``name-<suffix>``."""
    try:
        entries = sorted(install_dir.iterdir())
    except OSError:
        return []
    out: list[Path] = []
    for p in entries:
        n = p.name
        if n.endswith(".bak") or not (n in (name, f"{name}.exe") or n.startswith(f"{name}-")):
            continue
        if p.is_file():
            out.append(p)
    return out


def resolve(facts: Any, placeholder: str) -> tuple[str | None, str]:
    """(the path to write, as the judged machine spells it, or None, and why not)."""
    from ccwb_doctor.facts.config import platform_of
    from ccwb_doctor.facts.consumers import judged_home

    install_dir = Path(facts.paths.ccwb_dir)
    if platform_of(facts) == "win32":
        return None, f"replace {placeholder} by hand (Windows paths are not filled in automatically)"
    found = candidates(install_dir, stem(placeholder))
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        return None, (
            f"replace {placeholder} with the path of the {stem(placeholder)} binary by hand: {len(found)} "
            f"candidates in {install_dir} ({names}), so which one is meant is not certain"
        )
    try:
        rel = found[0].relative_to(Path(facts.home))
    except ValueError:
        return None, f"replace {placeholder} with {found[0]} by hand (it is outside the HOME)"
    spelled = posixpath.join(judged_home(facts), *rel.parts)
    if not SAFE_PATH.match(spelled):
        return None, f"replace {placeholder} with {spelled} by hand, quoted (the path needs quoting)"
    return spelled, ""


def fill_json(facts: Any, text: str) -> tuple[str, list[str], list[str]]:
    """(text with every certain placeholder filled in, what was filled as "PH -> path", advice)."""
    from ccwb_doctor.analyzers.clientconfig.claude_settings import PLACEHOLDER
    from ccwb_doctor.analyzers.clientconfig.edits import json_replace_in_values

    done: list[str] = []
    advice: list[str] = []
    for ph in dict.fromkeys(PLACEHOLDER.findall(text)):
        path, why = resolve(facts, ph)
        if path is None:
            advice.append(why)
            continue
        new = json_replace_in_values(text, ph, path)
        if new is None:
            advice.append(f"replace {ph} with {path} by hand (it is not a plain JSON string value here)")
            continue
        text = new
        done.append(f"{ph} -> {path}")
    return text, done, advice


def fill_word(facts: Any, word: str) -> tuple[str | None, str]:
    """A command-line word with its placeholders filled in (None and why when one is not certain)."""
    from ccwb_doctor.analyzers.clientconfig.claude_settings import PLACEHOLDER

    for ph in dict.fromkeys(PLACEHOLDER.findall(word)):
        path, why = resolve(facts, ph)
        if path is None:
            return None, why
        word = word.replace(ph, path)
    return word, ""
