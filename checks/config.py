"""CONFIG-*: the AWS profile, its credential_process line, credential-chain shadowing, Claude Code settings."""

from __future__ import annotations

import ntpath
import os
import posixpath
from typing import Any

from ccwb_doctor.checks._config_verdicts import (
    aws_auth_refresh,
    cli_shows,
    config_where,
    consumers_of,
    js_ignored,
    process_verdict,
    sso_profile,
    stamp_expired,
)
from ccwb_doctor.model import Outcome, fail, ok, skip, warn
from ccwb_doctor.registry import check

DOCS_CP = "https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html"
DOCS_CHAIN = "https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html"
DOCS_SETTINGS = "https://code.claude.com/docs/en/amazon-bedrock"


@check(
    "CONFIG-PROFILE",
    title="The active AWS profile exists, has a credential_process and a region",
    area="config",
    severity="high",
    remediation="Add a [profile NAME] section with credential_process and region to ~/.aws/config "
    "(re-run the installer, or copy the lines from your platform team's instructions).",
    docs=DOCS_CP,
    needs=("aws-config",),
)
def config_profile(facts: Any) -> Outcome:
    cfg = facts.aws_config
    name: str = facts.profile_name
    where = config_where(facts)
    section = "default" if name == "default" else f"profile {name}"
    ev: dict[str, Any] = {"profile": name, "config_file": where, "profiles": sorted(cfg["profiles"])}
    if not cfg["exists"]:
        return fail(f"{where} does not exist, so profile '{name}' is not defined", evidence=ev)
    prof = facts.profile
    cc, cli, ev["consumers"] = consumers_of(facts)
    ignored = js_ignored(facts)
    if ignored:
        ev["ignored_lines"] = [f"{where}:{no}: {line}" for no, line in ignored]
    quoted = f"; the SDKs skip line {ignored[0][0]}: {ignored[0][1]!r}" if ignored else ""
    if prof is None:
        others = ", ".join(sorted(cfg["profiles"])) or "none"
        broken = cfg.get("botocore_error")
        if broken:  # the file is malformed: that, not a missing section, is what to repair
            ev["botocore_error"] = broken
            return fail(
                f"profile '{name}' is not readable in {where} (profiles there: {others}): the file is "
                f"malformed: {broken}",
                fix=f"Repair that line of {where} so that every [section] header and key = value stands on a "
                f"line of its own (then [{section}] is found).",
                evidence=ev,
            )
        return fail(
            f"profile '{name}' is not defined in {where} (profiles there: {others}){quoted}",
            fix=f"Add [{section}] to {where}, or point AWS_PROFILE (settings env or shell) at an existing "
            "profile.",
            evidence=ev,
        )
    ev["keys"] = sorted(prof)
    if ("sso_session" in prof or "sso_start_url" in prof) and not prof.get("credential_process"):
        return sso_profile(name, section, where, prof, cfg, ev)
    problems = []
    nested = [k for k in ("credential_process", "region") if isinstance(prof.get(k), dict)]
    if nested:
        return fail(
            f"profile '{name}' in {where}: {' and '.join(nested)} "
            f"{'is' if len(nested) == 1 else 'are'} written as a nested sub-section (indented lines after "
            "`key =`), so the SDK reads a group of settings instead of a value",
            fix=f"In [{section}] put each value on the same line as its key, e.g. "
            "credential_process = <absolute path to the helper> --profile <name>, and do not indent the "
            "lines that follow.",
            evidence={**ev, "nested": nested},
        )
    if not prof.get("credential_process"):
        problems.append("has no credential_process")
    if not prof.get("region"):
        problems.append("has no region")
    if problems:
        return fail(
            f"profile '{name}' in {where} " + " and ".join(problems),
            fix=f"In [{section}] set credential_process = <absolute path to the helper> --profile <name> "
            "and region = <the helper's AWS region>.",
            evidence=ev,
        )
    ev["region"] = prof["region"]
    if cc.source == "none" and not cc.ok:
        return fail(
            f"Claude Code (JS SDK v3) finds no credentials in profile '{name}': {cc.error}{quoted}",
            fix=f"In [{section}] write each setting as key = value on its own line (the JS SDK accepts only "
            "'=').",
            evidence=ev,
        )
    if cfg.get("botocore_error"):
        reason = cli.error if cli.source == "parse-error" else cfg["botocore_error"]
        ev["botocore_error"] = reason
        return warn(
            f"Claude Code reads profile '{name}', but the AWS CLI and boto3 reject the file ({reason}): "
            "`aws sts get-caller-identity` will show that error",
            fix=f"Save {where} as UTF-8 without a BOM and with each section and key once.",
            evidence=ev,
        )
    return ok(f"profile '{name}' has a credential_process and region {prof['region']}", evidence=ev)


@check(
    "CONFIG-CREDENTIAL-PROCESS",
    title="credential_process parses as the SDK parses it and names an existing executable",
    area="config",
    severity="high",
    remediation="Use an absolute path in credential_process, in double quotes if it contains spaces; "
    "the SDK expands neither ~ nor $VARIABLES.",
    docs=DOCS_CP,
    needs=("aws-config",),
)
def config_credential_process(facts: Any) -> Outcome:
    from ccwb_doctor.analyzers.clientconfig.cmdline import expand_like_shell
    from ccwb_doctor.facts.config import platform_of

    cp = facts.credential_process
    cc, cli, consumers = consumers_of(facts)
    if cp.raw is None and cc.line is None:
        return skip(f"profile '{facts.profile_name}' has no credential_process (see CONFIG-PROFILE)")
    ev: dict[str, Any] = {
        "line": cp.raw if cp.raw is not None else cc.line,
        "argv": cp.argv,
        "platform": cp.line.platform if cp.line else None,
        "consumers": consumers,
    }
    verdict = process_verdict(facts, cc, cli, ev)
    if verdict is not None:
        return verdict
    if cp.line is None:  # only the JS SDK's reading of the files has a credential_process here
        return warn(
            f"Claude Code reads credential_process {cc.line!r} ({cc.error or 'it runs'}), but the AWS "
            f"CLI/boto3 reads the profile differently: {cli.summary()}",
            evidence=ev,
        )
    if cp.line.nested:
        return fail(
            f"credential_process cannot be run: {cp.error}; botocore fails before starting anything",
            fix="Write the whole command on one line: credential_process = <absolute path to the helper> "
            "--profile <name>.",
            evidence=ev,
        )
    if cp.error:
        return fail(
            f"credential_process cannot be split as the SDK splits it: {cp.error}",
            fix="Balance the double quotes; quote only the path or the arguments that contain spaces.",
            evidence=ev,
        )
    prog = cp.argv[0]
    if cp.line.unexpanded:
        home = str(facts.home)
        fixed = [expand_like_shell(a, facts.claude_env, home) for a in cp.argv]
        ev["unexpanded"] = cp.line.unexpanded
        ev["suggested_argv"] = fixed
        program_bad = prog in cp.line.unexpanded
        suggestion = " ".join(f'"{a}"' if " " in a else a for a in fixed)
        msg = (
            f"credential_process uses {', '.join(cp.line.unexpanded)}, which the AWS SDK does not expand "
            f"(no shell runs it){': the program will not be found' if program_bad else ''}"
        )
        return fail(
            msg, fix=f"Write the absolute path instead: credential_process = {suggestion}", evidence=ev
        )
    if cp.program is None:
        if os.sep in prog or "/" in prog:
            return fail(
                f"the credential_process program {prog} does not exist",
                fix="Install the helper there or fix the path in ~/.aws/config.",
                evidence=ev,
            )
        return fail(
            f"the credential_process program '{prog}' is not on PATH",
            fix="Use the helper's absolute path in credential_process.",
            evidence=ev,
        )
    ev["program"] = str(cp.program)
    if cp.program.is_dir():
        return fail(f"the credential_process program {cp.program} is a directory", evidence=ev)
    windows = platform_of(facts) == "win32"  # no exec bit there; drive-letter paths are absolute
    if not windows and not os.access(cp.program, os.X_OK):
        return fail(
            f"the credential_process program {cp.program} is not executable",
            fix=f"chmod +x {cp.program}",
            evidence=ev,
        )
    if not (ntpath.isabs(prog) if windows else posixpath.isabs(prog)):
        return warn(
            f"credential_process names '{prog}' relative to PATH/cwd ({cp.program}); "
            "Claude Code may run with another PATH or working directory",
            fix=f"Use the absolute path {cp.program}.",
            evidence=ev,
        )
    return ok(f"credential_process runs {cp.program} with {len(cp.argv) - 1} argument(s)", evidence=ev)


@check(
    "CONFIG-SHADOWED-CREDS",
    title="Nothing earlier in the SDK credential chain shadows the helper",
    area="config",
    severity="high",
    remediation="Remove the credentials that come before credential_process in the SDK chain "
    "(unset AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN; delete the stale section in "
    "~/.aws/credentials).",
    docs=DOCS_CHAIN,
    needs=("aws-config", "environment"),
)
def config_shadowed_creds(facts: Any) -> Outcome:
    env: dict[str, str] = facts.claude_env
    name: str = facts.profile_name
    prof = facts.profile or {}
    creds: dict[str, Any] = facts.aws_credentials
    fails: list[str] = []
    warns: list[str] = []
    fixes: list[str] = []
    idle: str | None = None
    cred_file = facts.paths.aws_credentials
    ev: dict[str, Any] = {"profile": name, "credentials_file": str(cred_file)}
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        ev["env_keys"] = [
            k for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if env.get(k)
        ]
        fixes.append(
            "unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (shell profile and the "
            "settings env)"
        )
        if env.get("AWS_PROFILE"):
            warns.append(
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set beside AWS_PROFILE: the AWS CLI and "
                "Python tools use the keys (botocore's environment provider comes first) while the "
                "JavaScript SDK skips them when AWS_PROFILE is set"
            )
        else:
            fails.append(
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment come first in the SDK "
                "chain and shadow credential_process"
            )
    elif env.get("AWS_ACCESS_KEY_ID"):
        ev["env_keys"] = ["AWS_ACCESS_KEY_ID"]
        warns.append(
            "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY: botocore (AWS CLI, Python tools) stops "
            "with PartialCredentialsError before it reaches credential_process; the JavaScript SDK moves on"
        )
        fixes.append("unset AWS_ACCESS_KEY_ID (shell profile and the settings env)")
    if env.get("AWS_WEB_IDENTITY_TOKEN_FILE") and env.get("AWS_ROLE_ARN"):
        ev["web_identity_env"] = env.get("AWS_ROLE_ARN")
        fails.append(
            "AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN are set: the web-identity provider comes before "
            "credential_process"
        )
        fixes.append("unset AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN for Claude Code")
    for key, what in (
        ("role_arn", "an assume-role"),
        ("web_identity_token_file", "a web-identity"),
        ("sso_session", "an SSO"),
        ("sso_start_url", "an SSO"),
    ):
        if prof.get(key) and prof.get("credential_process"):
            fails.append(
                f"profile '{name}' also sets {key}, making it {what} profile that wins over "
                "credential_process"
            )
            fixes.append(f"remove {key} from the profile '{name}' in {facts.paths.aws_config}")
            break
    section = creds.get(name)
    if isinstance(section, dict) and section.get("aws_access_key_id"):
        akid = section.get("aws_access_key_id", "")
        secret = section.get("aws_secret_access_key", "")
        exp_value = section.get("x-expiration") or section.get("expiration") or section.get("aws_expiration")
        expired = stamp_expired(exp_value)
        storage = (facts.peek("helper_profile") or {}).get("credential_storage")
        delete = f"delete the [{name}] section from {cred_file}"
        nested = not isinstance(akid, str) or not isinstance(secret, str)
        ev["credentials_section"] = (
            {"keys": sorted(section)}
            if nested
            else {"aws_access_key_id": akid, "expiration": exp_value if isinstance(exp_value, str) else None}
        )
        if nested:
            fails.append(
                f"{cred_file} [{name}] writes its keys as nested sub-sections (indented lines): the SDK "
                "reads this section before credential_process and cannot use it"
            )
            fixes.append(delete)
        elif akid.upper() == "EXPIRED" or secret.upper() == "EXPIRED":
            fails.append(
                f"{cred_file} has an EXPIRED placeholder stanza [{name}] (left by the guidance "
                "helper's --clear-cache): the SDK reads it before credential_process and every call "
                "fails with 403"
            )
            fixes.append(delete)
        elif expired:
            msg = (
                f"{cred_file} holds expired keys for [{name}] (expired {exp_value}); the SDK uses "
                "them before credential_process"
            )
            refresh = aws_auth_refresh(facts) if storage == "session" else None
            if refresh:
                # the guidance's session-storage idle state: the helper wrote this stanza itself and
                # Claude Code runs awsAuthRefresh to renew it when the SDK reports the keys expired
                ev["awsAuthRefresh"] = refresh
                idle = (
                    f"[{name}] in {cred_file} holds the helper's session-storage credentials, expired "
                    f"{exp_value} (idle between sessions): Claude Code runs awsAuthRefresh ({refresh}) to "
                    "renew them; until it does, the AWS CLI with this profile gets ExpiredToken"
                )
            elif storage == "session":
                warns.append(
                    msg + " — with session storage Claude Code needs awsAuthRefresh to renew them, and no "
                    "settings file sets it"
                )
                helper = facts.credential_process.raw or f"credential-process --profile {name}"
                fixes.append(
                    f'add "awsAuthRefresh": "{helper}" to ~/.claude/settings.json (or run the helper once: '
                    f"{helper})"
                )
            else:
                fails.append(msg)
                fixes.append(delete)
        elif expired is None:
            fails.append(
                f"{cred_file} has static keys with no expiry for [{name}]: the shared-credentials "
                "provider comes before credential_process, so the helper never runs"
            )
            fixes.append(delete + " (or move those keys to another profile name)")
        else:
            ev["session_cache"] = storage == "session"
    cc, cli, ev["consumers"] = consumers_of(facts)
    from_config = cc.source == "static" and not (
        isinstance(section, dict) and section.get("aws_access_key_id")
    )
    if not fails and from_config and prof.get("credential_process"):
        fails.append(
            f"Claude Code uses the static keys {cc.access_key_id} from profile '{name}' (the JS SDK prefers "
            "aws_access_key_id/aws_secret_access_key in the profile over credential_process), never the helper"
        )
        fixes.append(f"remove aws_access_key_id/aws_secret_access_key from profile '{name}'")
    if not fails and not warns and cc.helper and not cli.helper and cli.source in ("env", "static"):
        warns.append(
            f"Claude Code runs the helper, but the AWS CLI/boto3 uses other credentials: "
            f"`aws sts get-caller-identity` will show {cli_shows(cli)}"
        )
    if cc.helper and cli.helper and cli.profile != cc.profile:
        warns.append(
            f"AWS_DEFAULT_PROFILE={cli.profile} makes the AWS CLI/boto3 use profile '{cli.profile}' while "
            f"Claude Code (which reads only AWS_PROFILE) uses '{cc.profile}': `aws sts get-caller-identity` "
            "shows the other profile's identity"
        )
        fixes.append("unset AWS_DEFAULT_PROFILE (or set it to the same profile)")
    fix = ("; ".join(fixes)[:1].upper() + "; ".join(fixes)[1:] + ".") if fixes else None
    if fails:
        return fail("; ".join(fails), fix=fix, evidence=ev)
    if warns:
        return warn("; ".join(warns), fix=fix, evidence=ev)
    if idle:
        return ok(idle, evidence=ev)
    return ok(
        f"nothing before credential_process in the SDK chain provides credentials for '{name}'", evidence=ev
    )


@check(
    "CONFIG-SETTINGS",
    title="Claude Code settings select Bedrock with a coherent profile and region",
    area="config",
    severity="high",
    remediation='In ~/.claude/settings.json (or managed-settings.json) set "env": {"CLAUDE_CODE_USE_BEDROCK": '
    '"1", "AWS_PROFILE": "<profile>", "AWS_REGION": "<bedrock region>"}.',
    docs=DOCS_SETTINGS,
    needs=("claude-settings",),
)
def config_settings(facts: Any) -> Outcome | list[Outcome]:
    from ccwb_doctor.analyzers.clientconfig.verdicts import settings_verdict

    out = settings_verdict(facts.claude_settings, lambda: facts.peek("aws_config"))
    if isinstance(out, list) or str(out.status) == "error":
        return out
    from ccwb_doctor.checks._config_verdicts import settings_commands_verdict

    return settings_commands_verdict(facts, out)
