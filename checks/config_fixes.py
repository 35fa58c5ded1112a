"""Fixes for the CONFIG-* and REGION-ALIGNMENT findings whose repair is local and certain (``ccwb-doctor fix``).

Each ``@fixer`` reads the same facts as its check and returns the ``FileEdit``s that repair it, or an
``Advice`` when the repair is not certain. Nothing here writes: the fix engine shows, applies, backs up
and undoes. INI files are edited line by line and JSON by splicing (``analyzers.clientconfig.edits``).
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from pathlib import Path
from typing import Any

from ccwb_doctor.analyzers.clientconfig.edits import (
    ini_remove_section,
    ini_set_value,
    json_set_env,
    split_bom,
)
from ccwb_doctor.checks._config_verdicts import stamp_expired
from ccwb_doctor.checks._placeholders import fill_json, fill_word
from ccwb_doctor.model import Advice, FileEdit
from ccwb_doctor.registry import fixer

_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")
_UNSAFE_IN_QUOTES = re.compile(r'["$`\\!]')


def _read(path: Path) -> bytes | None:
    from ccwb_doctor.facts.config import read_file

    try:
        return read_file(path)
    except Exception:  # noqa: BLE001 - an unreadable file gets no edit; its check names the error
        return None


def _text(path: Path) -> tuple[bytes, str] | None:
    data = _read(path)
    if data is None:
        return None
    try:
        return split_bom(data)
    except UnicodeDecodeError:
        return None


@fixer("CONFIG-SHADOWED-CREDS")
def drop_stale_stanza(facts: Any) -> list[Any]:
    """Delete the ``[profile]`` stanza of ~/.aws/credentials that shadows the helper when it is certainly
    dead: the guidance's EXPIRED placeholder, keys past their expiry (not the helper's own session-storage
    stanza, which awsAuthRefresh renews), or keys written as nested sub-sections."""
    name: str = facts.profile_name
    section = (facts.aws_credentials or {}).get(name)
    if not isinstance(section, dict) or not section.get("aws_access_key_id"):
        return []
    akid, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key", "")
    nested = not isinstance(akid, str) or not isinstance(secret, str)
    placeholder = not nested and (akid.upper() == "EXPIRED" or str(secret).upper() == "EXPIRED")
    stamp = section.get("x-expiration") or section.get("expiration") or section.get("aws_expiration")
    storage = (facts.peek("helper_profile") or {}).get("credential_storage")
    expired = not nested and stamp_expired(stamp) and storage != "session"
    path = facts.paths.aws_credentials
    if not (nested or placeholder or expired):
        from ccwb_doctor.checks.config_keys_fixes import static_stanza

        if static_stanza(section):
            return []  # live static keys: drop_static_keys removes just those lines
        return [Advice(f"[{name}] in {path} holds keys that are not expired; remove them yourself if stale")]
    got = _text(path)
    if got is None:
        return []
    bom, text = got
    new = ini_remove_section(text, name)
    if new is None:
        return []
    why = "EXPIRED placeholder" if placeholder else "expired keys" if expired else "nested keys"
    return [
        FileEdit(
            str(path),
            f"delete the [{name}] stanza ({why}) that the SDK reads before credential_process",
            content=bom + new.encode("utf-8"),
        )
    ]


def _quote(arg: str) -> str | None:
    """The argument as both /bin/sh and shlex read it back unchanged, or None when that is not certain."""
    if _PLAIN.match(arg):
        return arg
    if _UNSAFE_IN_QUOTES.search(arg) or "\n" in arg:
        return None
    return f'"{arg}"'


def _exec_mode(mode: int) -> int:
    """chmod +x as a user means it: execute wherever read is allowed."""
    return mode | ((mode & 0o444) >> 2)


@fixer("CONFIG-CREDENTIAL-PROCESS")
def fix_credential_process(facts: Any) -> list[Any]:
    """Rewrite a credential_process line a consumer cannot run when the right line is certain: a path with
    a space that was not quoted (quote it), ``~``/``$HOME``/``$VAR`` (expand to the absolute path, which
    every client runs); and set the exec bit of a helper that is not executable."""
    from ccwb_doctor.analyzers.clientconfig.cmdline import expand_like_shell
    from ccwb_doctor.facts.config import platform_of
    from ccwb_doctor.facts.consumers import judged_home, local

    if platform_of(facts) == "win32":
        return [Advice("credential_process lines for cmd.exe are not rewritten automatically")]
    cp = facts.credential_process
    raw = cp.raw
    if not isinstance(raw, str) or cp.line is None or cp.line.nested or not cp.argv:
        return []
    if cp.error and not str(cp.error).startswith("unquoted space"):
        return []  # shlex could not split it (unbalanced quotes): no certain reading of the line
    home = judged_home(facts)
    env = {**facts.claude_env, "HOME": home}
    argv = [expand_like_shell(a, env, home) for a in cp.argv]
    placeholders = ""
    for i, word in enumerate(argv):  # an installer placeholder left in the line: the installed binary
        filled, why = fill_word(facts, word)
        if filled is None:
            return [Advice(why)]
        if filled != word:
            placeholders = f"; fills in the installer placeholder in {word}"
        argv[i] = filled
    if not os.path.isfile(local(facts, argv[0])):
        for k in range(2, len(argv) + 1):  # an unquoted path with spaces: which prefix is the program?
            joined = " ".join(argv[:k])
            if os.path.isfile(local(facts, joined)):
                argv = [joined, *argv[k:]]
                break
    prog = argv[0]
    here = local(facts, prog)
    if not posixpath.isabs(prog) or not os.path.isfile(here):
        return [Advice(f"the credential_process program {prog} was not found; point the line at the helper")]
    edits: list[Any] = []
    quoted = [_quote(a) for a in argv]
    if any(q is None for q in quoted):
        return [Advice("the credential_process arguments hold quotes or $: rewrite the line by hand")]
    line = " ".join(q for q in quoted if q is not None)
    if line != raw:
        name: str = facts.profile_name
        section = "default" if name == "default" else f"profile {name}"
        path = facts.paths.aws_config
        got = _text(path)
        new = ini_set_value(got[1], section, "credential_process", line, expect=raw) if got else None
        if got is not None and new is not None:
            edits.append(
                FileEdit(
                    str(path),
                    f"credential_process = {line} (absolute, quoted: /bin/sh and shlex both run it"
                    f"{placeholders})",
                    content=got[0] + new.encode("utf-8"),
                )
            )
    mode = stat.S_IMODE(os.stat(here).st_mode)
    if not os.access(here, os.X_OK) and _exec_mode(mode) != mode:
        edits.append(FileEdit(here, f"chmod +x {prog}", mode=_exec_mode(mode)))
    return edits


def _settings_layers(facts: Any) -> tuple[Path, list[Any]]:
    settings = facts.claude_settings
    user = facts.paths.claude_user_settings
    later = [f for f in settings.files if Path(f.path) != user]
    return user, later


def _wanted_env(facts: Any) -> dict[str, str]:
    """The settings env keys whose right value is certain: Bedrock on, the profile that exists (when the
    named one does not and exactly one profile runs a credential_process), the helper's region."""
    env: dict[str, str] = facts.claude_env
    want: dict[str, str] = {}
    if env.get("CLAUDE_CODE_USE_BEDROCK", "").strip().lower() not in ("1", "true"):
        want["CLAUDE_CODE_USE_BEDROCK"] = "1"
    cfg = facts.peek("aws_config") or {}
    profiles: dict[str, Any] = cfg.get("profiles") or {}
    current = env.get("AWS_PROFILE")
    helpers = [n for n, p in profiles.items() if isinstance(p, dict) and p.get("credential_process")]
    if (not current or current not in profiles) and len(helpers) == 1:
        want["AWS_PROFILE"] = helpers[0]
    helper = facts.peek("helper_profile") or {}
    region = helper.get("aws_region")
    if isinstance(region, str) and region and env.get("AWS_REGION") != region:
        want["AWS_REGION"] = region
    return want


@fixer("CONFIG-SETTINGS", "REGION-ALIGNMENT")
def fix_user_settings(facts: Any) -> list[Any]:
    """Set CLAUDE_CODE_USE_BEDROCK, AWS_PROFILE and AWS_REGION in the user's ~/.claude/settings.json env
    (never in managed settings; advice when a later layer sets the key, since it would win), and fill in
    installer placeholders left in any settings file (``_placeholders``; the engine never writes managed
    settings or a file outside the HOME)."""
    want = _wanted_env(facts)
    user, later = _settings_layers(facts)
    out: list[Any] = []
    for f in later:
        for key in [k for k in want if k in (f.data.get("env") or {})]:
            out.append(
                Advice(
                    f'{f.path} ({f.scope}) sets "{key}", which wins over the user settings: set it '
                    f'to "{want.pop(key)}" there (or ask whoever manages that file)'
                )
            )
        out += _filled(facts, Path(f.path))
    got = _text(user) if user.exists() else (b"", "")
    if got is None:
        return out
    bom, text = got
    text, filled, advice = fill_json(facts, text) if text.strip() else (text, [], [])
    out += [Advice(a) for a in advice]
    if not want and not filled:
        return out
    if not text.strip():
        new: str | None = (
            '{\n  "env": {\n' + ",\n".join(f'    "{k}": "{v}"' for k, v in want.items()) + "\n  }\n}\n"
        )
    else:
        new = json_set_env(text, want) if want else text
    if new is None:
        return [*out, Advice(f"{user} is not a JSON object: set env {want} by hand")]
    what = ", ".join(f"{k}={v}" for k, v in want.items())
    summary = "; ".join(
        [*([f"set {what} in the user settings env"] if want else []), *(f"fill in {d}" for d in filled)]
    )
    out.append(FileEdit(str(user), summary, content=bom + new.encode("utf-8")))
    return out


def _filled(facts: Any, path: Path) -> list[Any]:
    """The placeholder fill-in for one settings file other than the user's."""
    got = _text(path)
    if got is None:
        return []
    text, filled, advice = fill_json(facts, got[1])
    out: list[Any] = [Advice(a) for a in advice]
    if filled:
        summary = "; ".join(f"fill in {d}" for d in filled)
        out.append(FileEdit(str(path), summary, content=got[0] + text.encode("utf-8")))
    return out
