"""Install discovery facts: user paths, ~/.aws files, the helper's config.json, Claude Code settings, caches.

Every user-scoped path resolves under ``--home`` when given; ``AWS_CONFIG_FILE``,
``AWS_SHARED_CREDENTIALS_FILE``, ``AWS_PROFILE``/``AWS_DEFAULT_PROFILE`` are honoured as the AWS CLI does,
read from the environment Claude Code runs with (process env overlaid by the settings ``env`` blocks).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from dataclasses import field
from pathlib import Path, PurePosixPath
from typing import Any

from ccwb_doctor.analyzers.clientconfig.claude_settings import (
    SettingsError,
    SettingsFile,
    merge,
    parse_settings,
)
from ccwb_doctor.analyzers.clientconfig.cmdline import CommandLine, nested_value, option_value, split_command
from ccwb_doctor.analyzers.clientconfig.helper_config import (
    HelperConfig,
    HelperConfigError,
    parse_helper_config,
)
from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.facts.capture import map_path
from ccwb_doctor.facts.ini_diag import diagnose_ini, unquoted_space
from ccwb_doctor.model import InputError
from ccwb_doctor.records import record

MANAGED_SETTINGS = {
    "linux": "/etc/claude-code/managed-settings.json",
    "darwin": "/Library/Application Support/ClaudeCode/managed-settings.json",
    "win32": "C:/Program Files/ClaudeCode/managed-settings.json",
}
MAX_FILE_BYTES = 4 * 1024 * 1024


def platform_of(facts: Facts) -> str:
    """sys.platform-style name of the platform judged (--platform, a captured HOME's, else this host)."""
    given = facts.options.extra.get("platform")
    if given:
        return str(given)
    judged = facts.peek("judged_platform")
    return judged.sys_platform if judged is not None else sys.platform


def read_file(path: Path) -> bytes | None:
    """Bytes of a user file, None when absent; InputError (naming the file) when unusable."""
    try:
        if path.is_dir():
            raise InputError("is a directory, expected a file", str(path))
        if not path.exists():
            return None
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read; a device is not a config file
            raise InputError("is not a regular file", str(path))
        if st.st_size > MAX_FILE_BYTES:
            raise InputError(f"larger than {MAX_FILE_BYTES} bytes", str(path))
        return path.read_bytes()
    except PermissionError:
        raise InputError("cannot be read (permission denied)", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", str(path)) from None


@record
class Paths:
    """Every user file the doctor reads, resolved under the HOME being judged."""

    home: Path
    aws_config: Path
    aws_credentials: Path
    claude_user_settings: Path
    managed_settings: list[tuple[str, Path]]
    ccwb_dir: Path
    session_dir: Path
    helper_cache_dir: Path


def _user_path(value: str, home: Path, env: dict[str, str]) -> Path:
    if value == "~" or value.startswith(("~/", "~\\")):
        value = str(home) + value[1:]
    value = os.path.expandvars(value) if not env else _expandvars(value, env)
    return Path(value)


def _expandvars(value: str, env: dict[str, str]) -> str:
    import re

    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), m.group(0)), value)


@fact("home")
def _home(facts: Facts) -> Path:
    if facts.options.home:
        return Path(facts.options.home).absolute()
    env = facts.env
    return Path(env.get("HOME") or env.get("USERPROFILE") or str(Path.home()))


@fact("paths")
def _paths(facts: Facts) -> Paths:
    home: Path = facts.home
    env: dict[str, str] = facts.get("claude_env")
    cfg = env.get("AWS_CONFIG_FILE")
    creds = env.get("AWS_SHARED_CREDENTIALS_FILE")
    xdg = facts.env.get("XDG_CACHE_HOME") if not facts.options.home else None
    return Paths(
        home=home,
        aws_config=_user_path(cfg, home, env) if cfg else home / ".aws" / "config",
        aws_credentials=_user_path(creds, home, env) if creds else home / ".aws" / "credentials",
        claude_user_settings=home / ".claude" / "settings.json",
        managed_settings=_managed_paths(facts),
        ccwb_dir=home / "claude-code-with-bedrock",
        session_dir=home / ".claude-code-session",
        helper_cache_dir=(Path(xdg) if xdg else home / ".cache") / "ccwb-credential-process",
    )


def _managed_paths(facts: Facts) -> list[tuple[str, Path]]:
    """Managed-settings files: this OS's path, or under --home every OS's path (a captured snapshot)."""
    if facts.options.home:
        root = Path(facts.options.home)
        return [
            (os_, root / PurePosixPath(p.replace("C:/", "C/")).relative_to("/" if p.startswith("/") else ""))
            for os_, p in MANAGED_SETTINGS.items()
        ]
    plat = platform_of(facts)
    p = MANAGED_SETTINGS.get(plat)
    return [(plat, Path(p))] if p else []


@record
class ClaudeSettings:
    """Claude Code's settings stack: the files read, their errors, the merged view and its env."""

    files: list[SettingsFile] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    merged: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # managed sources Claude Code does not use (one wins)


@fact("claude_settings")
def _claude_settings(facts: Facts) -> ClaudeSettings:
    from ccwb_doctor.analyzers.clientconfig.settings_layers import layer_files

    home: Path = facts.home
    out = ClaudeSettings()
    cfg_dir = facts.env.get("CLAUDE_CONFIG_DIR")
    user_dir = _user_path(cfg_dir, home, facts.env) if cfg_dir else home / ".claude"
    candidates = layer_files(user_dir, _project_dir(facts))
    for scope, path in candidates:
        try:
            data = read_file(path)
            if data is None:
                continue
            out.files.append(SettingsFile(str(path), scope, parse_settings(data)))
        except InputError as exc:
            out.errors.append(exc)
        except SettingsError as exc:
            out.errors.append(InputError(str(exc), str(path)))
    chosen, out.ignored = _managed_source(facts, out.errors)
    if chosen is not None:
        out.files.append(chosen)
    out.merged, out.env = merge(out.files, facts.env)
    for key in (
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
        "ANTHROPIC_API_KEY",
    ):
        facts.secrets.add(out.env.get(key))
    return out


def _managed_source(facts: Facts, errors: list[InputError]) -> tuple[SettingsFile | None, list[str]]:
    """The one managed source Claude Code uses: MDM (macOS managed-preferences plist, Windows HKLM policy
    read from an exported .reg file in a captured HOME's root) > managed-settings.json > HKCU."""
    from ccwb_doctor.analyzers.clientconfig.settings_layers import (
        parse_plist,
        parse_reg,
        pick_managed,
        plist_paths,
    )

    present: list[tuple[str, SettingsFile]] = []

    def add(kind: str, path: Path, parse: Any) -> None:
        try:
            data = read_file(path)
            if data is not None:
                present.append((kind, SettingsFile(str(path), "managed", parse(data))))
        except InputError as exc:
            errors.append(exc)
        except SettingsError as exc:
            errors.append(InputError(str(exc), str(path)))

    for _, p in _managed_paths(facts):
        add("file", p, parse_settings)
    root = Path(facts.options.home) if facts.options.home else None
    # not platform_of(): the judged platform of a capture is inferred from these very settings (a cycle)
    plat = str(facts.options.extra.get("platform") or sys.platform)
    if root is not None or plat.startswith("darwin"):
        user = Path(str(facts.home)).name or None
        for kind, p in plist_paths(user):
            add(kind, root / p.lstrip("/") if root is not None else Path(p), parse_plist)
    if root is not None:  # a live registry cannot be captured: regedit exports (*.reg) in the capture's root
        for reg in sorted(root.glob("*.reg")):
            try:
                values = parse_reg(read_file(reg) or b"")
            except InputError as exc:
                errors.append(exc)
                continue
            for hive, text in values.items():
                kind = "mdm-hklm" if hive == "HKLM" else "hkcu"
                label = f"{reg} [{hive}\\SOFTWARE\\Policies\\ClaudeCode] Settings"
                try:
                    present.append((kind, SettingsFile(label, "managed", parse_settings(text))))
                except SettingsError as exc:
                    errors.append(InputError(str(exc), label))
    return pick_managed(present)


def _project_dir(facts: Facts) -> Path | None:
    """The project whose .claude/ settings layers apply: --project, else the working directory (not for a
    captured --home, which has no working directory of its own)."""
    given = facts.options.extra.get("project")
    if given:
        return Path(str(given))
    return None if facts.options.home else Path.cwd()


@fact("claude_env")
def _claude_env(facts: Facts) -> dict[str, str]:
    return facts.claude_settings.env


@fact("env_origins")
def _env_origins(facts: Facts) -> dict[str, str]:
    """For every variable in Claude Code's environment: '<scope>: <path>' of the settings layer whose value
    wins, or 'process environment'."""
    from ccwb_doctor.analyzers.clientconfig.settings_layers import env_origins

    st = facts.claude_settings
    origins = env_origins(st.files)
    return {k: origins.get(k, "process environment") for k in st.env}


def _load_ini(path: Path, kind: str) -> dict[str, Any]:
    from ccwb_doctor.analyzers.botocore_lite import configloader

    botocore_ini = configloader()
    data = read_file(path)
    if data is None:
        return {}
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 (byte {exc.start})", str(path)) from None
    try:
        if kind == "config":
            return botocore_ini.load_config(str(path))
        return botocore_ini.raw_config_parse(str(path))
    except botocore_ini.ConfigParseError as exc:
        # botocore rejects it (BOM, repeated key or section, a glued header, ...); Claude Code's JS SDK may
        # not: judge the file as the JS SDK reads it and let the CONFIG checks say what the CLI/boto3 will do,
        # with the cause named and the line quoted where it can be (ini_diag).
        from ccwb_doctor.analyzers.clientconfig.consumers_ini import js_load

        sections, _ = js_load(data, kind == "config")
        reason = diagnose_ini(data.decode("utf-8", "replace")) or " ".join(str(exc).split())
        if kind == "config":
            return {"profiles": sections, "botocore_error": reason}
        return {**sections, "__botocore_error__": reason}


@fact("aws_config")
def _aws_config(facts: Facts) -> dict[str, Any]:
    path: Path = facts.paths.aws_config
    cfg = dict(_load_ini(path, "config"))
    cfg.setdefault("profiles", {})
    cfg["path"] = str(path)
    cfg["exists"] = path.is_file()
    for prof in cfg["profiles"].values():  # static keys written into a profile are secrets too
        if isinstance(prof, dict):
            facts.secrets.add(prof.get("aws_secret_access_key"), prof.get("aws_session_token"))
    return cfg


@fact("aws_credentials")
def _aws_credentials(facts: Facts) -> dict[str, dict[str, str]]:
    creds = _load_ini(facts.paths.aws_credentials, "credentials")
    creds.pop("__botocore_error__", None)  # the consumers fact reports it
    for section in creds.values():
        if isinstance(section, dict):
            facts.secrets.add(section.get("aws_secret_access_key"), section.get("aws_session_token"))
    return creds


@fact("profile_name")
def _profile_name(facts: Facts) -> str:
    env = facts.claude_env
    return facts.options.profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"


@fact("profile")
def _profile(facts: Facts) -> dict[str, Any] | None:
    prof = facts.aws_config["profiles"].get(facts.profile_name)
    return dict(prof) if isinstance(prof, dict) else None


@record
class CredentialProcess:
    """The profile's credential_process line: as written, as split, and the program it names."""

    raw: str | None
    line: CommandLine | None
    argv: list[str]
    program: Path | None  # resolved and existing, else None
    helper_profile: str | None

    @property
    def error(self) -> str | None:
        return self.line.error if self.line else None


def resolve_program(name: str, env: dict[str, str]) -> Path | None:
    """Where a no-shell exec of ``name`` finds the program (PATH lookup for bare names)."""
    if os.sep in name or (os.altsep and os.altsep in name):
        p = Path(name)
        return p.absolute() if p.exists() else None
    found = shutil.which(name, path=env.get("PATH", os.defpath))
    return Path(found) if found else None


@fact("credential_process")
def _credential_process(facts: Facts) -> CredentialProcess:
    prof = facts.profile or {}
    raw = prof.get("credential_process")
    if not raw:
        return CredentialProcess(None, None, [], None, None)
    if not isinstance(raw, str):  # botocore's nested sub-section syntax: a dict, which the SDK cannot run
        line = nested_value(raw, platform_of(facts))
        return CredentialProcess(line.raw, line, [], None, None)
    line = split_command(raw, platform_of(facts))
    program = None
    if line.argv and line.unexpanded[:1] != [line.argv[0]]:
        program = resolve_program(map_path(facts, line.argv[0]), facts.claude_env)
        if program is None and not line.error:
            line.error = unquoted_space(line.argv, lambda p: Path(map_path(facts, p)).is_file())
    helper_profile = option_value(line.argv, "--profile", "-p") if line.argv else None
    return CredentialProcess(raw, line, line.argv, program, helper_profile)


@record
class HelperConfigFact:
    """The helper's config.json and where it was found."""

    path: Path
    config: HelperConfig

    @property
    def shape(self) -> str:
        return self.config.shape

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        return self.config.profiles


@fact("helper_config")
def _helper_config(facts: Facts) -> HelperConfigFact | None:
    """config.json beside the helper binary, else ~/claude-code-with-bedrock/config.json (guidance order)."""
    candidates: list[Path] = []
    cp: CredentialProcess = facts.peek("credential_process") or CredentialProcess(None, None, [], None, None)
    if cp.program is not None:
        candidates.append(cp.program.resolve().parent / "config.json")
    candidates.append(facts.paths.ccwb_dir / "config.json")
    for path in candidates:
        data = read_file(path)
        if data is None:
            continue
        try:
            cfg = parse_helper_config(data)
        except HelperConfigError as exc:
            raise InputError(str(exc), str(path)) from None
        for prof in cfg.profiles.values():
            facts.secrets.add(prof.get("client_secret"))
        return HelperConfigFact(path, cfg)
    return None


@fact("helper_profile_name")
def _helper_profile_name(facts: Facts) -> str | None:
    cp: CredentialProcess | None = facts.peek("credential_process")
    return (cp.helper_profile if cp else None) or facts.claude_env.get("CCWB_PROFILE") or None


@fact("helper_profile")
def _helper_profile(facts: Facts) -> dict[str, Any] | None:
    hc: HelperConfigFact | None = facts.helper_config
    if hc is None:
        return None
    _, prof = hc.config.select(facts.helper_profile_name)
    return prof


@fact("token_cache_files")
def _token_cache_files(facts: Facts) -> list[tuple[str, Path]]:
    """Caches that may hold an ID token for the active helper profile (existing files only)."""
    prof = facts.peek("helper_profile") or {}
    name = prof.get("profile_name") or facts.peek("helper_profile_name") or "ClaudeCode"
    paths: Paths = facts.paths
    found = [
        ("ccwb-monitoring", paths.session_dir / f"{name}-monitoring.json"),
        ("reference-helper", paths.helper_cache_dir / f"{name}.json"),
    ]
    return [(label, p) for label, p in found if p.is_file()]
