"""CONFIG-*: the AWS profile, its credential_process line, credential-chain shadowing, Claude Code settings."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from ccwb_doctor.model import Outcome, error, fail, ok, skip, warn
from ccwb_doctor.registry import check

DOCS_CP = "https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html"
DOCS_CHAIN = "https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html"
DOCS_SETTINGS = "https://code.claude.com/docs/en/amazon-bedrock"


def _config_where(facts: Any) -> str:
    return str(facts.paths.aws_config)


def _consumers(facts: Any) -> tuple[Any, Any, dict[str, Any]]:
    """(Claude Code, AWS CLI/boto3, evidence listing each consumer's outcome)."""
    cc, cli = facts.consumers
    return cc, cli, {c.client: c.to_dict() for c in (cc, cli)}


def _cli_shows(cli: Any) -> str:
    """What `aws sts get-caller-identity` prints for this consumer outcome."""
    if cli.source == "parse-error":
        return f"an error: {cli.error}"
    if cli.source == "credential_process" and not cli.ok:
        return f"'Error when retrieving credentials from custom-process: {cli.error}'"
    if cli.source in ("env", "static"):
        where = "the environment" if cli.source == "env" else "the credentials files"
        return f"the identity of the static keys {cli.access_key_id} from {where}, not the helper's role"
    if cli.helper:
        return f"the helper's role (profile {cli.profile})"
    return f"an error: {cli.error}"


def _suggest(argv: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in argv)


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
    where = _config_where(facts)
    section = "default" if name == "default" else f"profile {name}"
    ev: dict[str, Any] = {"profile": name, "config_file": where, "profiles": sorted(cfg["profiles"])}
    if not cfg["exists"]:
        return fail(f"{where} does not exist, so profile '{name}' is not defined", evidence=ev)
    prof = facts.profile
    cc, cli, ev["consumers"] = _consumers(facts)
    ignored = _js_ignored(facts)
    if ignored:
        ev["ignored_lines"] = [f"{where}:{no}: {line}" for no, line in ignored]
    quoted = f"; the SDKs skip line {ignored[0][0]}: {ignored[0][1]!r}" if ignored else ""
    if prof is None:
        others = ", ".join(sorted(cfg["profiles"])) or "none"
        return fail(
            f"profile '{name}' is not defined in {where} (profiles there: {others}){quoted}",
            f"Add [{section}] to {where}, or point AWS_PROFILE (settings env or shell) at an existing "
            "profile.",
            evidence=ev,
        )
    ev["keys"] = sorted(prof)
    if "sso_session" in prof or "sso_start_url" in prof:
        return warn(
            f"profile '{name}' uses IAM Identity Center (SSO), not a credential_process helper; "
            "the OIDC federation checks do not apply to it",
            None,
            ev,
        )
    problems = []
    nested = [k for k in ("credential_process", "region") if isinstance(prof.get(k), dict)]
    if nested:
        return fail(
            f"profile '{name}' in {where}: {' and '.join(nested)} "
            f"{'is' if len(nested) == 1 else 'are'} written as a nested sub-section (indented lines after "
            "`key =`), so the SDK reads a group of settings instead of a value",
            f"In [{section}] put each value on the same line as its key, e.g. "
            "credential_process = <absolute path to the helper> --profile <name>, and do not indent the "
            "lines that follow.",
            {**ev, "nested": nested},
        )
    if not prof.get("credential_process"):
        problems.append("has no credential_process")
    if not prof.get("region"):
        problems.append("has no region")
    if problems:
        return fail(
            f"profile '{name}' in {where} " + " and ".join(problems),
            f"In [{section}] set credential_process = <absolute path to the helper> --profile <name> "
            "and region = <the helper's AWS region>.",
            ev,
        )
    ev["region"] = prof["region"]
    if cc.source == "none" and not cc.ok:
        return fail(
            f"Claude Code (JS SDK v3) finds no credentials in profile '{name}': {cc.error}{quoted}",
            f"In [{section}] write each setting as key = value on its own line (the JS SDK accepts only "
            "'=').",
            evidence=ev,
        )
    if cfg.get("botocore_error"):
        reason = cli.error if cli.source == "parse-error" else cfg["botocore_error"]
        ev["botocore_error"] = reason
        return warn(
            f"Claude Code reads profile '{name}', but the AWS CLI and boto3 reject the file ({reason}): "
            "`aws sts get-caller-identity` will show that error",
            f"Save {where} as UTF-8 without a BOM and with each section and key once.",
            evidence=ev,
        )
    return ok(f"profile '{name}' has a credential_process and region {prof['region']}", ev)


def _js_ignored(facts: Any) -> list[tuple[int, str]]:
    from ccwb_doctor.analyzers.consumers import js_ignored_lines
    from ccwb_doctor.facts.config import read_file

    try:
        data = read_file(facts.paths.aws_config)
    except Exception:  # noqa: BLE001 - unreadable: CONFIG-PROFILE's own error path names it
        return []
    return js_ignored_lines(data.decode("utf-8", "replace")) if data else []


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
    from ccwb_doctor.analyzers.cmdline import expand_like_shell

    cp = facts.credential_process
    cc, cli, consumers = _consumers(facts)
    if cp.raw is None and cc.line is None:
        return skip(f"profile '{facts.profile_name}' has no credential_process (see CONFIG-PROFILE)")
    ev: dict[str, Any] = {
        "line": cp.raw if cp.raw is not None else cc.line,
        "argv": cp.argv,
        "platform": cp.line.platform if cp.line else None,
        "consumers": consumers,
    }
    verdict = _process_verdict(facts, cc, cli, ev)
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
            "Write the whole command on one line: credential_process = <absolute path to the helper> "
            "--profile <name>.",
            ev,
        )
    if cp.error:
        return fail(
            f"credential_process cannot be split as the SDK splits it: {cp.error}",
            "Balance the double quotes; quote only the path or the arguments that contain spaces.",
            ev,
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
        return fail(msg, f"Write the absolute path instead: credential_process = {suggestion}", ev)
    if cp.program is None:
        if os.sep in prog or "/" in prog:
            return fail(
                f"the credential_process program {prog} does not exist",
                "Install the helper there or fix the path in ~/.aws/config.",
                ev,
            )
        return fail(
            f"the credential_process program '{prog}' is not on PATH",
            "Use the helper's absolute path in credential_process.",
            ev,
        )
    ev["program"] = str(cp.program)
    if cp.program.is_dir():
        return fail(f"the credential_process program {cp.program} is a directory", None, ev)
    if not os.access(cp.program, os.X_OK):
        return fail(
            f"the credential_process program {cp.program} is not executable", f"chmod +x {cp.program}", ev
        )
    if not os.path.isabs(prog):
        return warn(
            f"credential_process names '{prog}' relative to PATH/cwd ({cp.program}); "
            "Claude Code may run with another PATH or working directory",
            f"Use the absolute path {cp.program}.",
            ev,
        )
    return ok(f"credential_process runs {cp.program} with {len(cp.argv) - 1} argument(s)", ev)


def _process_verdict(facts: Any, cc: Any, cli: Any, ev: dict[str, Any]) -> Outcome | None:
    """FAIL when Claude Code cannot run the helper, WARN when only the CLI/boto3 cannot (or runs it
    differently); None when the consumers agree and the detailed checks below decide."""
    shadowed = ""
    raw = facts.credential_process.raw
    if cc.source != "credential_process" and isinstance(raw, str) and facts.credential_process.line:
        # Claude Code does not reach credential_process now (CONFIG-SHADOWED-CREDS says why): judge the
        # line as each client would run it once it does.
        from ccwb_doctor.analyzers.consumers import AWS_CLI, CLAUDE_CODE, process_only
        from ccwb_doctor.facts.config import platform_of

        env = {**facts.claude_env, "HOME": str(facts.home)}
        plat = platform_of(facts)

        def is_exec(p: str) -> bool:
            return os.path.isfile(p) and os.access(p, os.X_OK)

        cc = process_only(CLAUDE_CODE, raw, env, plat, is_exec)
        cli = process_only(AWS_CLI, raw, env, plat, is_exec)
        shadowed = " (once nothing shadows it; see CONFIG-SHADOWED-CREDS)"
    if cc.source != "credential_process" or cc.ok is None:
        return None
    where = _config_where(facts)
    runner = " ".join(cc.run[:2]) if cc.run else "a shell"
    if not cc.ok:
        fix = (
            "Use the helper's absolute path, in double quotes if it contains spaces: credential_process = "
            f'"{facts.paths.ccwb_dir}/credential-process" --profile <name>'
        )
        prog = cc.argv[0] if cc.argv else None
        for k in range(2, len(cc.argv or []) + 1):  # an unquoted path with spaces: which prefix exists?
            joined = " ".join(cc.argv[:k])
            if os.path.isfile(joined) and os.access(joined, os.X_OK):
                rest = _suggest(cc.argv[k:])
                fix = f'Quote the path: credential_process = "{joined}"{" " + rest if rest else ""}'
                break
        if prog is None:
            detail = cc.error
        elif os.path.isdir(prog):
            detail = f"the program {prog} is a directory"
        elif os.path.exists(prog):
            detail, fix = f"the program {prog} is not executable", f"chmod +x {prog}"
        else:
            detail = f"the program {prog} does not exist"
            if " " in cc.line and not os.path.exists(prog):
                detail += " (the shell splits an unquoted path at its spaces)"
        return fail(
            f"Claude Code cannot run credential_process{shadowed}: {detail} (it runs {runner} {cc.line!r}); "
            f"the AWS CLI/boto3: {cli.summary()}",
            fix=fix,
            evidence=ev,
        )
    cli_ok = cli.source == "credential_process" and cli.ok
    if not cli_ok:
        absolute = _suggest(cc.argv or [])
        if cli.source == "credential_process":
            why = f"runs it without a shell and fails: {cli.error}"
            shows = "'Error when retrieving credentials from custom-process'"
        else:
            why, shows = cli.summary(), _cli_shows(cli)
        return warn(
            f"credential_process works in Claude Code{shadowed} ({runner} runs "
            f"{cc.argv[0] if cc.argv else cc.line}), but the AWS CLI/boto3 {why}; "
            f"`aws sts get-caller-identity` will show {shows}",
            fix=f"Write the expanded command so every client runs it: credential_process = {absolute} "
            f"(in {where}).",
            evidence=ev,
        )
    if cli.argv != cc.argv:
        return warn(
            f"Claude Code and the AWS CLI/boto3 start the helper with different arguments: Claude Code "
            f"{cc.argv} (through {runner}), the CLI {cli.argv} (shlex, no shell)",
            fix=f"Write the line so both agree, e.g. credential_process = {_suggest(cc.argv or [])} "
            "(no inline comments, no ~ or $VARIABLES).",
            evidence=ev,
        )
    return None


def _expired(value: object) -> bool | None:
    if not value or not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts <= datetime.now(UTC)


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
        expired = _expired(exp_value)
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
            if storage == "session":
                warns.append(msg + " — with session storage Claude Code's awsAuthRefresh must refresh them")
                fixes.append(
                    "make sure settings.json has awsAuthRefresh running the helper, or run the helper "
                    f"once: {facts.credential_process.raw or 'credential-process --profile ' + name}"
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
    cc, cli, ev["consumers"] = _consumers(facts)
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
            f"`aws sts get-caller-identity` will show {_cli_shows(cli)}"
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
        return fail("; ".join(fails), fix, ev)
    if warns:
        return warn("; ".join(warns), fix, ev)
    return ok(f"nothing before credential_process in the SDK chain provides credentials for '{name}'", ev)


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
    from ccwb_doctor.analyzers.claude_settings import placeholders

    st = facts.claude_settings
    ev: dict[str, Any] = {"files": [f"{f.scope}: {f.path}" for f in st.files]}
    if st.errors:
        first = st.errors[0]
        ev["errors"] = [str(e) for e in st.errors]
        return error(f"settings file unusable: {first}", ev)
    from ccwb_doctor.analyzers.settings_layers import env_origins

    env: dict[str, str] = st.env
    origins = env_origins(st.files)
    keys = ("CLAUDE_CODE_USE_BEDROCK", "AWS_PROFILE", "AWS_REGION")
    ev["set_by"] = {k: origins.get(k, "process environment" if env.get(k) else None) for k in keys}

    def by(key: str) -> str:
        return f" (set by {origins[key]})" if key in origins else ""

    fails: list[str] = []
    warns: list[str] = []
    use = env.get("CLAUDE_CODE_USE_BEDROCK", "")
    ev["CLAUDE_CODE_USE_BEDROCK"] = use or None
    if use.strip().lower() not in ("1", "true", "yes", "on"):
        where = "any settings file or the environment" if not st.files else "the settings env"
        fails.append(
            f"CLAUDE_CODE_USE_BEDROCK is {'unset' if not use else repr(use)} in {where}"
            f"{by('CLAUDE_CODE_USE_BEDROCK')}: Claude Code will not use Bedrock"
        )
    left = placeholders(st.files)
    if left:
        ev["placeholders"] = [f"{p}: {k} = {m}" for p, k, m in left]
        fails.append(f"installer placeholder {left[0][2]} left in {left[0][0]} ({left[0][1]})")
    prof_name = env.get("AWS_PROFILE")
    ev["AWS_PROFILE"] = prof_name
    cfg = facts.peek("aws_config")
    if prof_name and cfg is not None and prof_name not in cfg["profiles"]:
        fails.append(
            f"AWS_PROFILE={prof_name}{by('AWS_PROFILE')} names a profile that is not in {cfg['path']}"
        )
    elif not prof_name:
        warns.append("AWS_PROFILE is not set for Claude Code: the SDK uses the 'default' profile")
    region = env.get("AWS_REGION")
    ev["AWS_REGION"] = region
    if not region:
        warns.append("AWS_REGION is not set: Claude Code may not read the region from ~/.aws/config; set it")
    elif not _looks_like_region(region):
        fails.append(f"AWS_REGION={region!r}{by('AWS_REGION')} is not an AWS region name")
    if fails:
        return fail("; ".join(fails), None, ev)
    if warns:
        return warn("; ".join(warns), None, ev)
    return ok(
        f"Bedrock enabled with AWS_PROFILE={prof_name}{by('AWS_PROFILE')} and AWS_REGION={region}{by('AWS_REGION')}",
        ev,
    )


def _looks_like_region(value: str) -> bool:
    import re

    return re.fullmatch(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d", value) is not None
