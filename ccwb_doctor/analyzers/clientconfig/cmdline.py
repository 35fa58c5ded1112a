"""credential_process command lines, split exactly as botocore splits them (no shell, no expansion)."""

from __future__ import annotations

import re
from dataclasses import field

from ccwb_doctor.records import record

_ENV_POSIX = re.compile(r"\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")
_ENV_WIN = re.compile(r"%([A-Za-z_][A-Za-z0-9_()]*)%")


@record
class CommandLine:
    """A command line as a client splits it on one platform (or the splitter's error)."""

    raw: str
    platform: str
    argv: list[str] = field(default_factory=list)
    error: str | None = None  # the splitter's own error (e.g. unbalanced quotes)
    unexpanded: list[str] = field(default_factory=list)  # ~, $VAR, %VAR% the SDK will pass through literally
    nested: bool = False  # the INI value was a nested sub-section (indented lines), not a command line

    @property
    def program(self) -> str | None:
        return self.argv[0] if self.argv else None


def split_command(raw: str, platform: str) -> CommandLine:
    """Split like botocore.compat.compat_shell_split: shlex on POSIX, botocore's own splitter on win32."""
    from ccwb_doctor.analyzers.botocore_lite import (
        compat_shell_split,
    )  # botocore's code, without botocore.compat's imports

    cl = CommandLine(raw=raw, platform=platform)
    try:
        cl.argv = list(compat_shell_split(raw, platform))
    except ValueError as exc:  # shlex: "No closing quotation", "No escaped character"
        cl.error = str(exc)
        return cl
    if not cl.argv:
        cl.error = "the command line is empty"
        return cl
    cl.unexpanded = unexpanded_parts(cl.argv)
    return cl


def nested_value(value: object, platform: str) -> CommandLine:
    """A credential_process written as an INI sub-section: botocore hands its splitter a dict and fails."""
    items = value.items() if isinstance(value, dict) else []
    shown = "; ".join(f"{k} = {v}" for k, v in items) or repr(value)
    return CommandLine(
        raw=f"(nested) {shown}",
        platform=platform,
        error="the value is a nested sub-section (the lines after `credential_process =` are indented), "
        "not a command line",
        nested=True,
    )


def unexpanded_parts(argv: list[str]) -> list[str]:
    """Arguments that rely on shell expansion the SDK never does."""
    found: list[str] = []
    for arg in argv:
        if arg.startswith("~") or _ENV_POSIX.search(arg) or _ENV_WIN.search(arg):
            found.append(arg)
    return found


def expand_like_shell(arg: str, env: dict[str, str], home: str) -> str:
    """What the user probably meant: ~ and $VAR / %VAR% expanded against the given env and home."""
    if arg == "~" or arg.startswith(("~/", "~\\")):
        arg = home + arg[1:]

    def sub_posix(m: re.Match[str]) -> str:
        name = m.group(1).strip("{}")
        return env.get(name, home if name in ("HOME", "USERPROFILE") else m.group(0))

    def sub_win(m: re.Match[str]) -> str:
        name = m.group(1)
        for k, v in env.items():
            if k.upper() == name.upper():
                return v
        return home if name.upper() in ("USERPROFILE", "HOME") else m.group(0)

    return _ENV_WIN.sub(sub_win, _ENV_POSIX.sub(sub_posix, arg))


def option_value(argv: list[str], *names: str) -> str | None:
    """Value of --opt VALUE or --opt=VALUE (first match)."""
    for i, arg in enumerate(argv[1:], start=1):
        for n in names:
            if arg == n and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(n + "="):
                return arg.split("=", 1)[1]
    return None
