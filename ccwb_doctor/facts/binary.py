"""Binary facts: the host's capabilities, its mounts, and the programs the doctor analyses.

``binary_targets`` are the files to analyse: ``--binary PATH`` (the ``binary`` subcommand) alone when
given, else the credential_process program, the programs of the Claude Code settings commands
(awsAuthRefresh, awsCredentialExport, otelHeadersHelper) and the guidance's installed ``otel-helper``
(in ~/claude-code-with-bedrock or beside the helper), one target per distinct file.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from ccwb_doctor.analyzers.binary.analyze import BinaryInfo, analyze_path
from ccwb_doctor.analyzers.binary.hostcap import HostProfile, Mount, parse_mountinfo
from ccwb_doctor.analyzers.binary.verdict import Verdict, judge, script_interpreter
from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.records import record

SETTINGS_COMMANDS = ("awsAuthRefresh", "awsCredentialExport", "otelHeadersHelper")
MOUNTINFO = Path("/proc/self/mountinfo")
PLACEHOLDER = re.compile(r"__[A-Z][A-Z0-9_]*__")


@record(frozen=True)
class Target:
    """A program the doctor judges and who runs it (credential_process, awsAuthRefresh, ...)."""

    path: Path | None  # resolved, absolute; None when the program could not be located
    used_by: tuple[str, ...]  # 'binary PATH', 'credential_process', 'awsAuthRefresh', ...
    skip_reason: str | None = None

    @property
    def label(self) -> str:
        return ", ".join(self.used_by)


@record(frozen=True)
class Analysis:
    """A target's header analysis and verdict (and its #! interpreter's, for a script)."""

    target: Target
    info: BinaryInfo | None
    verdict: Verdict | None
    interpreter: Analysis | None = None  # for a #! script: the interpreter program, analysed the same way


@fact("host")
def _host(facts: Facts) -> HostProfile:
    """This machine, or the preset of the platform judged (--platform, or a captured HOME's)."""
    from ccwb_doctor.facts.capture import judged_host

    return judged_host(facts)


@fact("mounts")
def _mounts(facts: Facts) -> list[Mount]:
    try:
        return parse_mountinfo(MOUNTINFO.read_text(errors="replace"))
    except OSError:
        return []  # not Linux (or no /proc): noexec is then not checked


def _settings_program(
    command: str, env: dict[str, str], home: Path, plat: str = sys.platform, mapper: Any = None
) -> tuple[Path | None, str | None]:
    """Claude Code runs these through a shell: split like one, expand ~ and $VAR, look up PATH."""
    from ccwb_doctor.analyzers.clientconfig.cmdline import expand_like_shell

    if plat == "win32":
        from ccwb_doctor.analyzers.clientconfig.cmdline import split_command

        line = split_command(command, "win32")
        if line.error:
            return None, f"the command does not parse: {line.error}"
        words = line.argv
    else:
        try:
            words = shlex.split(command)
        except ValueError as exc:
            return None, f"the command does not parse: {exc}"
    if not words:
        return None, "the command is empty"
    word = words[0]
    if PLACEHOLDER.search(word):
        return None, f"unreplaced installer placeholder {word} (see CONFIG-SETTINGS)"
    word = expand_like_shell(word, env, str(home))
    if mapper is not None:
        word = mapper(word)
    if os.sep in word or (os.altsep and os.altsep in word):
        p = Path(word)
        return (p.absolute(), None) if p.exists() else (None, f"program {word} does not exist")
    found = shutil.which(word, path=env.get("PATH", os.defpath))
    return (
        (Path(found), None) if found else (None, f"program {word!r} is not on the PATH Claude Code runs with")
    )


def settings_program(facts: Facts, command: str) -> tuple[Path | None, str | None]:
    """Where the program of a settings command is, judged for the run's platform and captured home."""
    from ccwb_doctor.facts.capture import map_path
    from ccwb_doctor.facts.config import platform_of

    env: dict[str, str] = facts.peek("claude_env") or facts.env
    home = Path(facts.home)
    return _settings_program(command, env, home, platform_of(facts), lambda w: map_path(facts, w))


@fact("binary_targets")
def _binary_targets(facts: Facts) -> list[Target]:
    given = facts.options.binary_path
    if given is not None:
        return [Target(Path(given).absolute(), ("binary PATH",))]
    found: list[tuple[Path | None, str, str | None]] = []
    cp: Any = facts.peek("credential_process")
    if cp is not None and getattr(cp, "raw", None):
        if cp.program is not None:
            found.append((Path(cp.program), "credential_process", None))
        else:
            why = getattr(cp, "error", None) or "its program was not found (see CONFIG-CREDENTIAL-PROCESS)"
            found.append((None, "credential_process", why))
    settings: Any = facts.peek("claude_settings")
    merged = getattr(settings, "merged", None) or {}
    for key in SETTINGS_COMMANDS:
        cmd = merged.get(key)
        if isinstance(cmd, str) and cmd.strip():
            path, why = settings_program(facts, cmd)
            found.append((path, key, why))
    targets: dict[str, Target] = {}
    for path, label, why in found:
        key = os.path.realpath(path) if path is not None else f"?{label}"
        old = targets.get(key)
        targets[key] = Target(path, (*old.used_by, label) if old else (label,), why)
    for path in _installed_otel_helpers(facts, cp):  # installed even when no setting names it (yet)
        targets.setdefault(os.path.realpath(path), Target(path, (INSTALLED_OTEL,)))
    return list(targets.values())


INSTALLED_OTEL = "installed OTel helper"
OTEL_HELPER_NAMES = ("otel-helper", "otel-helper.exe")


def _installed_otel_helpers(facts: Facts, cp: Any) -> list[Path]:
    """The guidance installer's ``otel-helper`` in ~/claude-code-with-bedrock and beside the helper."""
    dirs: list[Path] = []
    paths = facts.peek("paths")
    if paths is not None:
        dirs.append(Path(paths.ccwb_dir))
    if cp is not None and getattr(cp, "program", None) is not None:
        dirs.append(Path(cp.program).parent)
    out: list[Path] = []
    for d in dirs:
        for name in OTEL_HELPER_NAMES:
            p = d / name
            if p.is_file() and p not in out:
                out.append(p.absolute())
    return out


MAX_INTERPRETER_DEPTH = 4  # Linux's binfmt_script nesting limit


@fact("binary_analyses")
def _binary_analyses(facts: Facts) -> list[Analysis]:
    host: HostProfile = facts.host
    env: dict[str, str] = facts.peek("claude_env") or facts.env
    path_var = env.get("PATH", os.defpath)
    out: list[Analysis] = []
    for t in facts.binary_targets:
        if t.path is None:
            out.append(Analysis(t, None, None))
            continue
        out.append(_analyse(t, host, path_var, depth=0))
    return out


def _analyse(t: Target, host: HostProfile, path_var: str, depth: int) -> Analysis:
    def which(prog: str) -> str | None:
        return shutil.which(prog, path=path_var)

    info = analyze_path(t.path) if t.path is not None else None
    if info is None:
        return Analysis(t, None, None)
    verdict = judge(info, host, which=which)
    interp = None
    # follow a #! interpreter that is itself a #! script, as far as Linux does (4 levels)
    if depth < MAX_INTERPRETER_DEPTH and host.os != "windows" and (depth == 0 or info.format == "script"):
        found = script_interpreter(info, which)
        if found:
            interp = _analyse(Target(Path(found), (f"interpreter of {t.path}",)), host, path_var, depth + 1)
    return Analysis(t, info, verdict, interp)
