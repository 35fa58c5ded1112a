"""What ``/bin/sh -c LINE`` makes of a credential_process line (pure): the argv the program receives.

Claude Code's AWS SDK for JavaScript v3 runs credential_process with ``child_process.exec``, i.e.
``/bin/sh -c LINE`` on POSIX. This models the part of the POSIX shell grammar that such lines use:
blanks, single and double quotes, backslash escapes, ``~`` and ``~/`` at the start of a word, ``$NAME`` /
``${NAME}`` (unquoted expansions are field-split), and ``#`` starting a comment at the start of a word.
Anything else (pipes, ``;``, redirections, command substitution, globs, assignments) makes
:func:`sh_words` return ``None`` with the reason: the doctor says it cannot predict, it does not guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ccwb_doctor.records import record

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNSUPPORTED = set("|&;<>()`*?[")
_BLANK = " \t"


@record
class ShWords:
    """The words /bin/sh would make of a command line, or why they cannot be predicted."""

    argv: list[str] | None  # None: not predicted (see reason) or a syntax error
    reason: str | None = None
    syntax_error: bool = False


def sh_words(line: str, env: Mapping[str, str]) -> ShWords:
    """Split and expand ``line`` as ``sh -c`` would; ``env`` is the environment the shell starts with."""
    words: list[str] = []
    cur: list[str] = []
    in_word = False  # the current word has content (possibly quoted empty)
    i, n = 0, len(line)

    def finish() -> None:
        nonlocal cur, in_word
        if in_word:
            words.append("".join(cur))
        cur, in_word = [], False

    def expand(i: int) -> tuple[str | None, int, str | None]:
        """At line[i] == '$': (value, next index, unsupported reason)."""
        if i + 1 < n and line[i + 1] == "{":
            end = line.find("}", i + 2)
            name = line[i + 2 : end] if end != -1 else ""
            if end == -1 or not _NAME.fullmatch(name):
                return None, i, "a ${...} form other than ${NAME}"
            return env.get(name, ""), end + 1, None
        m = _NAME.match(line, i + 1)
        if m:
            return env.get(m.group(0), ""), m.end(), None
        if i + 1 >= n or line[i + 1] in _BLANK or line[i + 1] in "\"'":
            return "$", i + 1, None
        return None, i, f"the special parameter ${line[i + 1]}"

    while i < n:
        c = line[i]
        if c in _BLANK:
            finish()
            i += 1
            continue
        if c == "#" and not in_word and not cur:
            break  # a comment: the rest of the line is ignored
        if c in "\n":
            return ShWords(None, "a newline inside the command")
        if c in _UNSUPPORTED:
            return ShWords(None, f"the shell metacharacter {c!r}")
        if c == "~" and not in_word and not cur:
            j = i + 1
            while j < n and line[j] not in _BLANK and line[j] != "/":
                j += 1
            if j == i + 1:
                cur.append(env.get("HOME", "~"))
                in_word = True
                i = j
                continue
            if re.fullmatch(r"[A-Za-z0-9._-]+", line[i + 1 : j]):
                return ShWords(None, "~user (another user's home)")
            # not a possible login name: getpwnam fails and the word stays literal
            cur.append(line[i:j])
            in_word = True
            i = j
            continue
        if c == "'":
            end = line.find("'", i + 1)
            if end == -1:
                return ShWords(None, "an unterminated single quote", syntax_error=True)
            cur.append(line[i + 1 : end])
            in_word = True
            i = end + 1
            continue
        if c == '"':
            i += 1
            in_word = True
            while True:
                if i >= n:
                    return ShWords(None, "an unterminated double quote", syntax_error=True)
                d = line[i]
                if d == '"':
                    i += 1
                    break
                if d == "\\" and i + 1 < n and line[i + 1] in '$`"\\':
                    cur.append(line[i + 1])
                    i += 2
                    continue
                if d == "`":
                    return ShWords(None, "command substitution")
                if d == "$":
                    if line.startswith("$(", i):
                        return ShWords(None, "command substitution")
                    val, j, why = expand(i)
                    if why:
                        return ShWords(None, why)
                    cur.append(val or "")
                    i = j
                    continue
                cur.append(d)
                i += 1
            continue
        if c == "\\":
            if i + 1 >= n:
                cur.append("\\")  # a trailing backslash stays literal in sh -c
                in_word = True
                i += 1
                continue
            cur.append(line[i + 1])
            in_word = True
            i += 2
            continue
        if c == "$":
            if line.startswith("$(", i):
                return ShWords(None, "command substitution")
            val, j, why = expand(i)
            if why:
                return ShWords(None, why)
            i = j
            if val == "$":
                cur.append("$")
                in_word = True
                continue
            # unquoted: field splitting on IFS blanks
            parts = re.split(r"[ \t\n]+", val or "")
            if len(parts) == 1:
                if parts[0]:
                    cur.append(parts[0])
                    in_word = True
                continue
            if parts[0]:
                cur.append(parts[0])
                in_word = True
            finish()
            for p in parts[1:-1]:
                if p:
                    words.append(p)
            if parts[-1]:
                cur.append(parts[-1])
                in_word = True
            continue
        cur.append(c)
        in_word = True
        i += 1
    finish()
    if words and "=" in words[0] and _NAME.fullmatch(words[0].split("=", 1)[0]):
        return ShWords(None, "a variable assignment before the command")
    return ShWords(words)


def cmd_program(line: str) -> str:
    """The program ``cmd.exe /d /s /c "LINE"`` starts: a leading quoted string, else up to the first blank."""
    s = line.lstrip(" \t")
    if s.startswith('"'):
        end = s.find('"', 1)
        return s[1:end] if end != -1 else s[1:]
    return re.split(r"[ \t]", s, maxsplit=1)[0]
