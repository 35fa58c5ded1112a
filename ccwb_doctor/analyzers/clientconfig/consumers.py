"""The consumers of a developer's AWS files: what each real client does with them (pure).

Two clients read the same ``~/.aws/config``, credentials file and environment and disagree:

* **Claude Code** — the AWS SDK for JavaScript v3 default chain (``@aws-sdk/credential-provider-node``,
  INI parsing from ``@smithy/core/config``), ``credential_process`` run by ``child_process.exec``: ``/bin/sh -c``
  on POSIX, ``cmd.exe /d /s /c`` on Windows.
* **The AWS CLI / boto3** — botocore: ``configparser`` INI, env keys first, ``credential_process`` split with
  ``shlex`` and started without a shell.

Every rule below was measured against the real packages (see ``docs/clients.md`` and
``tests/clients/test_differential.py``, which compares this model with the clients on generated cases).
The model takes a ``read`` callable (path → bytes or None) and an ``is_executable`` callable so that it
stays free of I/O itself.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import asdict, field
from typing import Any

from ccwb_doctor.analyzers.clientconfig.consumers_ini import (
    boto_load,
    js_load,
    js_profiles,
)
from ccwb_doctor.analyzers.clientconfig.consumers_sh import cmd_program, sh_words
from ccwb_doctor.records import record

CLAUDE_CODE = "claude-code"
AWS_CLI = "aws-cli"
LABELS = {CLAUDE_CODE: "Claude Code (AWS SDK for JavaScript v3)", AWS_CLI: "AWS CLI / boto3 (botocore)"}

# JavaScript's WhiteSpace + LineTerminator set: what String.prototype.trim() and the regex \s remove.
# ---------------------------------------------------------------------------------------------- model


@record
class Consumer:
    """What one client does with the files and environment."""

    client: str
    profile: str
    config_file: str
    credentials_file: str
    source: str  # env | static | credential_process | sso | none | parse-error
    ok: bool | None  # gets credentials; None = cannot predict (shell features)
    access_key_id: str | None = None  # for env/static: which keys it uses
    line: str | None = None  # the credential_process value as this client reads it
    run: list[str] | None = None  # what is started: ["/bin/sh", "-c", line] or the shlex argv
    argv: list[str] | None = None  # the argv the helper receives (after the shell, if any)
    region: str | None = None
    region_from: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return LABELS[self.client]

    @property
    def helper(self) -> bool:
        return self.source == "credential_process" and bool(self.ok)

    def summary(self) -> str:
        if self.source == "parse-error":
            return f"fails: {self.error}"
        if self.source == "credential_process":
            if self.ok:
                return f"runs the helper {self.argv[0] if self.argv else ''} (profile {self.profile})"
            return f"credential_process fails: {self.error}"
        if self.source in ("env", "static"):
            where = "the environment" if self.source == "env" else f"the [{self.profile}] keys in the files"
            return f"uses static keys {self.access_key_id} from {where}, not the helper"
        return f"no credentials: {self.error}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["summary"] = self.summary()
        return {k: v for k, v in d.items() if v not in (None, [], "")}


Read = Callable[[str], bytes | None]
IsExec = Callable[[str], bool]


def _js_home(env: Mapping[str, str]) -> str:
    return (
        env.get("HOME")
        or env.get("USERPROFILE")
        or (env.get("HOMEDRIVE", "C:\\") + env.get("HOMEPATH", ""))
        or ""
    )


def js_paths(env: Mapping[str, str], home: str) -> tuple[str, str]:
    """@smithy getConfigFilepath/getCredentialsFilepath: env value, only a leading ``~/`` is expanded."""

    def res(value: str | None, default: str) -> str:
        if not value:
            return posixpath.join(home, ".aws", default)
        return posixpath.join(home, value[2:]) if value.startswith("~/") else value

    return res(env.get("AWS_CONFIG_FILE"), "config"), res(
        env.get("AWS_SHARED_CREDENTIALS_FILE"), "credentials"
    )


def boto_paths(env: Mapping[str, str], home: str) -> tuple[str, str]:
    """botocore: ``os.path.expandvars`` then ``expanduser`` on the env value (or the ~/.aws default)."""

    def res(value: str | None, default: str) -> str:
        value = value if value is not None else default
        value = re.sub(
            r"\$(\w+|\{[^}]*\})",
            lambda m: env.get(m.group(1).strip("{}"), m.group(0)),
            value,
        )
        if value == "~" or value.startswith("~/"):
            value = home + value[1:]
        return value

    return res(env.get("AWS_CONFIG_FILE"), "~/.aws/config"), res(
        env.get("AWS_SHARED_CREDENTIALS_FILE"), "~/.aws/credentials"
    )


def _static(section: Mapping[str, Any] | None) -> str | None:
    if not section:
        return None
    akid, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key")
    if isinstance(akid, str) and isinstance(secret, str):
        return akid
    return None


_SSO_KEYS = ("sso_start_url", "sso_account_id", "sso_session", "sso_region", "sso_role_name")


def claude_code(env: Mapping[str, str], platform: str, read: Read, is_executable: IsExec) -> Consumer:
    """The JS SDK v3 default chain (fromEnv, fromSSO, fromIni, fromProcess, fromTokenFile, remote)."""
    home = _js_home(env)
    cfg_path, cred_path = js_paths(env, home)
    profile = env.get("AWS_PROFILE") or "default"
    out = Consumer(CLAUDE_CODE, profile, cfg_path, cred_path, "none", False)
    cfg_bytes, cred_bytes = read(cfg_path), read(cred_path)
    for data, path, is_cfg in ((cfg_bytes, cfg_path, True), (cred_bytes, cred_path, False)):
        _, why = js_load(data, is_cfg)
        if why:
            out.notes.append(f"{path} is ignored as a whole: {why}")
    profiles = js_profiles(cfg_bytes, cred_bytes)
    data = profiles.get(profile)
    cfg_only, _ = js_load(cfg_bytes, True)
    creds_only, _ = js_load(cred_bytes, False)
    region_profile = {**creds_only.get(profile, {}), **cfg_only.get(profile, {})}
    if env.get("AWS_REGION"):
        out.region, out.region_from = env["AWS_REGION"], "AWS_REGION"
    elif region_profile.get("region"):
        out.region, out.region_from = region_profile["region"], f"[{profile}] region"
    if env.get("AWS_PROFILE"):
        if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
            out.notes.append(
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set but skipped because AWS_PROFILE is set "
                "(the SDK warns that a future version may prefer them)"
            )
    elif env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        out.source, out.ok, out.access_key_id = "env", True, env["AWS_ACCESS_KEY_ID"]
        return out
    if data is None:
        out.error = f"the JS SDK reads no settings for profile {profile} from {cfg_path} or {cred_path}"
        return out
    # resolveProfileData order (role_arn profiles are assume-role and not modelled here)
    akid = _static(data)
    if akid is not None:
        out.source, out.ok, out.access_key_id = "static", True, akid
        return out
    line = data.get("credential_process")
    if isinstance(line, str):
        out.source, out.line = "credential_process", line
        _run_shell(out, line, env, platform, is_executable)
        return out
    if any(isinstance(data.get(k), str) for k in _SSO_KEYS):
        out.source, out.error = "sso", "an SSO profile (needs a cached IAM Identity Center token)"
        out.ok = False
        return out
    if any(k.startswith("credential_process.") for k in data):
        out.error = "credential_process is a nested sub-section (indented lines after an empty value)"
    else:
        out.error = f"profile {profile} has no credential_process and no keys"
    return out


def _windows_argv(line: str, prog: str) -> list[str]:
    from ccwb_doctor.analyzers.botocore_lite import compat_shell_split

    try:
        argv = compat_shell_split(line, "win32")
    except ValueError:
        return [prog]
    return argv if argv and argv[0] == prog else [prog]


def _run_shell(
    out: Consumer, line: str, env: Mapping[str, str], platform: str, is_executable: IsExec
) -> None:
    if platform == "win32":
        out.run = ["cmd.exe", "/d", "/s", "/c", f'"{line}"']
        prog = cmd_program(line)
        # the program parses its command line with the Microsoft C runtime's rules (what botocore's
        # _windows_shell_split mimics); cmd.exe rewrites %VAR%, ^ and redirections first, so with any of
        # those only the program is certain
        out.argv = [prog] if any(c in line for c in "%^&|<>") else _windows_argv(line, prog)
        out.ok = is_executable(prog)
        if prog.startswith("~") or "$" in prog:
            out.error = f"cmd.exe expands neither ~ nor $VARIABLES: it looks for {prog!r} literally"
            out.ok = False
        elif not out.ok:
            out.error = f"{prog} is not an executable file"
        return
    out.run = ["/bin/sh", "-c", line]
    words = sh_words(line, env)
    if words.argv is None:
        out.ok = False if words.syntax_error else None
        out.error = f"/bin/sh {'rejects' if words.syntax_error else 'interprets'} {words.reason}"
        return
    if not words.argv:
        out.ok, out.error = False, "the shell finds no command in the line"
        return
    out.argv = words.argv
    prog = words.argv[0]
    if "/" not in prog:
        out.ok = None
        out.error = f"{prog} is looked up on the PATH Claude Code runs with"
        return
    out.ok = is_executable(prog)
    if not out.ok:
        out.error = f"{prog} is not an executable file (sh: not found)"


def aws_cli(env: Mapping[str, str], platform: str, read: Read, is_executable: IsExec) -> Consumer:
    """botocore's chain: env, assume-role, web identity, SSO, shared credentials, process, config keys."""
    home = env.get("HOME") or env.get("USERPROFILE") or ""
    cfg_path, cred_path = boto_paths(env, home)
    profile = env.get("AWS_DEFAULT_PROFILE") or env.get("AWS_PROFILE") or "default"
    out = Consumer(AWS_CLI, profile, cfg_path, cred_path, "none", False)
    if env.get("AWS_DEFAULT_REGION"):
        out.region, out.region_from = env["AWS_DEFAULT_REGION"], "AWS_DEFAULT_REGION"
    files = boto_load(read(cfg_path), read(cred_path), cfg_path, cred_path)
    if files.error:
        out.source, out.error = "parse-error", files.error
        return out
    named = env.get("AWS_DEFAULT_PROFILE") or env.get("AWS_PROFILE")
    if named and profile not in files.profiles:  # even "default", when the environment names it
        out.error = f"The config profile ({profile}) could not be found"
        return out
    data = files.profiles.get(profile, {})
    if out.region:
        pass
    elif isinstance(data.get("region"), str):
        out.region, out.region_from = data["region"], f"[{profile}] region"
    if env.get("AWS_ACCESS_KEY_ID"):
        if not env.get("AWS_SECRET_ACCESS_KEY"):
            out.error = "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"
            return out
        out.source, out.ok, out.access_key_id = "env", True, env["AWS_ACCESS_KEY_ID"]
        return out
    if (
        "sso_account_id" in data or "sso_role_name" in data
    ):  # SSOProvider's trigger; sso_session alone is inert
        out.source, out.error = "sso", "an SSO profile (needs complete sso_* settings and a cached token)"
        return out
    shared = files.credentials.get(profile, {})
    if shared.get("aws_access_key_id") is not None:
        akid = _static(shared)
        if akid is None:
            out.error = "Partial credentials found in shared-credentials-file"
            return out
        out.source, out.ok, out.access_key_id = "static", True, akid
        return out
    line = data.get("credential_process")
    if line:
        out.source = "credential_process"
        if not isinstance(line, str):
            out.line = f"(nested) {line!r}"
            out.error = "credential_process is a nested sub-section, not a command line"
            return out
        out.line = line
        _run_shlex(out, line, platform, is_executable)
        return out
    cfg_akid = _static(files.config_profiles.get(profile))
    if cfg_akid is not None:
        out.source, out.ok, out.access_key_id = "static", True, cfg_akid
        return out
    out.error = f"profile {profile} yields no credentials (Unable to locate credentials)"
    return out


def _run_shlex(out: Consumer, line: str, platform: str, is_executable: IsExec) -> None:
    from ccwb_doctor.analyzers.botocore_lite import compat_shell_split  # botocore's own splitter, light

    try:
        argv = list(compat_shell_split(line, platform))
    except ValueError as exc:
        out.error = f"shlex cannot split it: {exc}"
        return
    out.run = out.argv = argv
    if not argv:
        out.error = "the command line is empty"
        return
    out.ok = is_executable(argv[0]) if ("/" in argv[0] or "\\" in argv[0]) else None
    if out.ok is None:
        out.error = f"{argv[0]} is looked up on PATH"
    elif not out.ok:
        out.error = f"[Errno 2] No such file or directory: {argv[0]!r}"
        if argv[0].startswith("~") or "$" in argv[0]:
            out.error += " (no shell runs it: ~ and $VARIABLES stay literal)"


def process_only(
    client: str, line: str, env: Mapping[str, str], platform: str, is_executable: IsExec
) -> Consumer:
    """How ``client`` would run ``line`` once its chain reaches credential_process (nothing shadowing it)."""
    out = Consumer(
        client, env.get("AWS_PROFILE") or "default", "", "", "credential_process", False, line=line
    )
    if client == CLAUDE_CODE:
        env = {**env, "HOME": env.get("HOME") or _js_home(env)}
        _run_shell(out, line, env, platform, is_executable)
    else:
        _run_shlex(out, line, platform, is_executable)
    return out


def consumers(env: Mapping[str, str], platform: str, read: Read, is_executable: IsExec) -> list[Consumer]:
    """Claude Code first, then the AWS CLI / boto3."""
    return [claude_code(env, platform, read, is_executable), aws_cli(env, platform, read, is_executable)]


def shlex_quote_argv(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)
