"""How Claude Code runs the command lines in its settings (pure): ``awsAuthRefresh``, ``awsCredentialExport``,
``otelHeadersHelper``.

Measured with the real Claude Code 2.1.332 (``claude -p`` under ``env -i``, each setting pointing at a probe
script that logs its parent's command line and environment) and read in its bundled source:

* all three start in the project directory with the process environment **plus the merged settings
  ``env``** (a value set only in settings reaches them), each line through ``/bin/sh -c LINE`` on POSIX
  (``cmd.exe`` on Windows): ``~`` and ``$VAR`` are expanded by the shell;
* ``awsAuthRefresh``: ``child_process.exec``; run only when an STS GetCallerIdentity with the default chain
  fails, before ``awsCredentialExport``; 3 minutes; its stdout is shown to the user, exit 0 = refreshed;
* ``awsCredentialExport``: execa with ``shell: true``; 10 minutes; exit 0 and stdout JSON, either the
  ``aws sts`` shape ``{"Credentials": {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"?}}``
  or those keys at the top level; all three strings non-empty (``SessionToken`` is required);
* ``otelHeadersHelper``: when the whole trimmed line names an existing file it is executed directly with
  no arguments and no shell, else through the shell; 30 seconds; stdout a JSON object of string values;
  the result is cached for 29 minutes (``CLAUDE_CODE_OTEL_HEADERS_HELPER_DEBOUNCE_MS``).

A line :func:`sh_words` cannot predict (pipes, ``;``, globs) is left undecided, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, field
from typing import Any

from ccwb_doctor.analyzers.clientconfig.consumers_sh import cmd_program, sh_words
from ccwb_doctor.records import record

HOW: dict[str, dict[str, str]] = {
    "awsAuthRefresh": {
        "started_by": "child_process.exec (a shell)",
        "timeout": "3 minutes",
        "when": "when an STS GetCallerIdentity with the default credential chain fails, before awsCredentialExport",
        "stdout": "shown to the user; exit status 0 means refreshed",
    },
    "awsCredentialExport": {
        "started_by": "execa with shell: true",
        "timeout": "10 minutes",
        "when": "on each credential resolve (after awsAuthRefresh); its keys replace the SDK chain",
        "stdout": 'JSON {"Credentials": {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}} '
        "(the `aws sts` shape) or those keys at the top level; exit 0",
    },
    "otelHeadersHelper": {
        "started_by": "execa: the file itself when the whole line is an existing file, else with shell: true",
        "timeout": "30 seconds",
        "when": "before telemetry export; cached for 29 minutes",
        "stdout": "a JSON object of string values (the export headers)",
    },
}
KEYS = tuple(HOW)


@record
class SettingsCommand:
    """How Claude Code starts one settings command line."""

    key: str
    line: str
    ok: bool | None  # None: the line uses shell features the model does not predict, or a PATH lookup
    run: list[str] = field(default_factory=list)
    argv: list[str] | None = None
    error: str | None = None

    def how(self) -> str:
        h = HOW[self.key]
        if self.run == [self.line.strip()]:
            runs = "the file directly (no shell, no arguments)"
        else:
            runs = "through " + (" ".join(self.run[:-1]) if self.run else h["started_by"])
        return (
            f"Claude Code runs {self.key} {runs} in the project directory with the settings env merged, "
            f"{h['when']}, timeout {h['timeout']}; stdout: {h['stdout']}"
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["how"] = self.how()
        return {k: v for k, v in d.items() if v not in (None, [], "")}


def settings_command(
    key: str,
    line: str,
    env: Mapping[str, str],
    platform: str,
    is_executable: Callable[[str], bool],
    is_file: Callable[[str], bool] | None = None,
) -> SettingsCommand:
    """What Claude Code starts for settings ``key`` = ``line`` (``env``: the merged environment it runs with)."""
    out = SettingsCommand(key, line, None)
    stripped = line.strip()
    if not stripped:
        out.ok, out.error = False, "the command is empty"
        return out
    if key == "otelHeadersHelper" and is_file is not None and is_file(stripped):
        out.run = out.argv = [stripped]  # execa(file, []): no shell
        out.ok = is_executable(stripped)
        if not out.ok:
            out.error = f"{stripped} is a file but not executable (EACCES)"
        return out
    if platform == "win32":
        out.run = ["cmd.exe", "/d", "/s", "/c", f'"{line}"']
        prog = cmd_program(line)
        out.argv = [prog]
        if prog.startswith("~") or "$" in prog:
            out.ok, out.error = (
                False,
                f"cmd.exe expands neither ~ nor $VARIABLES: it looks for {prog!r} literally",
            )
        elif "\\" in prog or "/" in prog:
            out.ok = is_executable(prog)
            out.error = None if out.ok else f"{prog} is not an executable file"
        else:
            out.error = f"{prog} is looked up on the PATH Claude Code runs with"
        return out
    out.run = ["/bin/sh", "-c", line]
    words = sh_words(line, env)
    if words.argv is None:
        out.ok = False if words.syntax_error else None
        out.error = f"/bin/sh {'rejects' if words.syntax_error else 'interprets'} {words.reason}"
        return out
    if not words.argv:
        out.ok, out.error = False, "the shell finds no command in the line"
        return out
    out.argv = words.argv
    prog = words.argv[0]
    if "/" not in prog:
        out.error = f"{prog} is looked up on the PATH Claude Code runs with"
        return out
    out.ok = is_executable(prog)
    if not out.ok:
        if is_file is not None and is_file(prog):
            out.error = f"{prog} is not executable (sh: {prog}: Permission denied)"
        else:
            out.error = f"{prog} does not exist (sh: {prog}: not found)"
    return out
