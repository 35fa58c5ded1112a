"""Name the cause when botocore rejects ~/.aws/config, and when a credential_process path has an unquoted space.

Both are documented install breaks of the AWS guidance: its install.sh appends ``[profile NAME]`` with
``cat >>`` to a file that may lack a final newline (the header lands glued onto the last line, and the new
keys then repeat the previous section's keys), and it writes ``$HOME/claude-code-with-bedrock/...``
unquoted, so a HOME with a space splits into two words.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_GLUED = re.compile(r"^(?P<before>[^\[#;].*?\S)\s*(?P<header>\[(?:profile\s+)?[^\]\s][^\]]*\])\s*$")
_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*$")
_KEY = re.compile(r"^(?P<key>[^=:\s][^=:]*?)\s*[=:]")


def diagnose_ini(text: str) -> str | None:
    """One line naming why the SDK's INI parser rejects ``text`` (quoting the line), or None if not known."""
    text = text.lstrip("\ufeff")
    section: str | None = None
    seen: dict[str, int] = {}
    lines = text.splitlines()
    for no, raw in enumerate(lines, 1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        glued = _GLUED.match(stripped)
        if glued and not _SECTION.match(stripped):
            header = glued.group("header")
            return (
                f"line {no} `{stripped}`: the section header {header} is glued to the end of the previous "
                "line (the file had no final newline when an installer appended to it), so the keys after it "
                f"land in [{section or '?'}]; put {header} on a line of its own"
            )
        m = _SECTION.match(stripped)
        if m:
            if line != stripped:
                return f"line {no} `{line}`: the section header is indented; remove the leading spaces"
            section, seen = m.group("name").strip(), {}
            continue
        k = _KEY.match(stripped)
        if k and line == stripped:
            key = k.group("key").strip().lower()
            if section is None:
                return f"line {no} `{stripped}`: a key before any [section] header"
            if key in seen:
                return (
                    f"line {no} `{stripped}`: duplicate key {key} in [{section}] (first on line {seen[key]}); "
                    "the SDK rejects the whole file; keep one"
                )
            seen[key] = no
        elif line != stripped and section is not None and no > 1:
            prev = lines[no - 2].strip()
            if not prev or prev.startswith(("#", ";")) or _SECTION.match(prev):
                return (
                    f"line {no} `{line}`: stray indentation (an indented line continues the value above it, "
                    "and here there is none); remove the leading spaces"
                )
        elif not k:
            return f"line {no} `{stripped}`: neither a [section] header nor a key = value line"
    return None


def unquoted_space(argv: list[str], exists: Callable[[str], bool]) -> str | None:
    """When the first words of a split command line, joined by spaces, name an existing file: an unquoted
    path with a space. Returns the message with the quoted line, else None."""
    for k in range(2, min(len(argv), 6) + 1):
        joined = " ".join(argv[:k])
        if exists(joined):
            rest = " ".join(argv[k:])
            quoted = f'"{joined}"' + (f" {rest}" if rest else "")
            return (
                f"unquoted space: the path {joined} contains a space and is not quoted, so the SDK runs "
                f"{argv[0]} with the argument(s) {argv[1:k]}; write credential_process = {quoted}"
            )
    return None
