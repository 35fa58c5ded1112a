"""Verdict helpers CONFIG-PROFILE, CONFIG-CREDENTIAL-PROCESS and CONFIG-SHADOWED-CREDS share: where the
config lives, what each consumer (Claude Code's JS SDK v3, the AWS CLI/boto3) does with it, the SSO profile
rules, and the per-consumer credential_process verdict. Not a check module (the registry skips ``_`` names).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from ccwb_doctor.model import Outcome, fail, ok, warn


def config_where(facts: Any) -> str:
    return str(facts.paths.aws_config)


def consumers_of(facts: Any) -> tuple[Any, Any, dict[str, Any]]:
    """(Claude Code, AWS CLI/boto3, evidence listing each consumer's outcome)."""
    cc, cli = facts.consumers
    return cc, cli, {c.client: c.to_dict() for c in (cc, cli)}


def cli_shows(cli: Any) -> str:
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


def suggest(argv: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in argv)


SSO_KEYS = ("sso_account_id", "sso_role_name", "region")


def sso_profile(
    name: str, section: str, where: str, prof: dict[str, Any], cfg: dict[str, Any], ev: dict[str, Any]
) -> Outcome:
    """An IAM Identity Center profile (the guidance's zero-binary IDC install writes one): complete as an
    SSO profile, with no credential_process (adding one would make it a different profile)."""
    nested = [
        k for k in (*SSO_KEYS, "sso_session", "sso_start_url", "sso_region") if isinstance(prof.get(k), dict)
    ]
    if nested:
        return fail(
            f"profile '{name}' in {where}: {', '.join(nested)} has indented lines under it, which the SDK "
            "reads as a nested sub-section instead of a value",
            fix=f"In [{section}] write each key on one unindented line: key = value.",
            evidence={**ev, "nested": nested},
        )
    missing = [k for k in SSO_KEYS if not prof.get(k)]
    session = prof.get("sso_session")
    if session:
        sessions = cfg.get("sso_sessions") or {}
        block = sessions.get(session)
        ev["sso_session"] = session
        if not isinstance(block, dict):
            return fail(
                f"profile '{name}' in {where} names sso_session = {session}, but there is no "
                f"[sso-session {session}] section",
                fix=f"Add [sso-session {session}] with sso_start_url = <your AWS access portal URL> and "
                f"sso_region = <its region> to {where} (or re-run the installer).",
                evidence=ev,
            )
        missing += [
            f"sso-session {session}: {k}" for k in ("sso_start_url", "sso_region") if not block.get(k)
        ]
    else:  # legacy (non-refreshable) SSO profile: everything in the profile itself
        missing += [k for k in ("sso_start_url", "sso_region") if not prof.get(k)]
    if missing:
        return fail(
            f"IAM Identity Center profile '{name}' in {where} is missing {', '.join(missing)}",
            fix=f"In [{section}] (and its [sso-session] section) set the missing keys, or re-run the "
            f"installer; then run `aws sso login --profile {name}`.",
            evidence={**ev, "missing": missing},
        )
    ev["region"] = prof["region"]
    return ok(
        f"profile '{name}' uses IAM Identity Center (sso_session {session or 'legacy sso_start_url'}, role "
        f"{prof['sso_role_name']}, region {prof['region']}): a complete SSO profile; the OIDC federation "
        "checks do not apply to it",
        evidence=ev,
    )


def js_ignored(facts: Any) -> list[tuple[int, str]]:
    from ccwb_doctor.analyzers.clientconfig.consumers_ini import js_ignored_lines
    from ccwb_doctor.facts.config import read_file

    try:
        data = read_file(facts.paths.aws_config)
    except Exception:  # noqa: BLE001 - unreadable: CONFIG-PROFILE's own error path names it
        return []
    return js_ignored_lines(data.decode("utf-8", "replace")) if data else []


def process_verdict(facts: Any, cc: Any, cli: Any, ev: dict[str, Any]) -> Outcome | None:
    """FAIL when Claude Code cannot run the helper, WARN when only the CLI/boto3 cannot (or runs it
    differently); None when the consumers agree and the detailed checks below decide."""
    from ccwb_doctor.facts.consumers import is_executable, judged_home, local

    shadowed = ""
    raw = facts.credential_process.raw
    if cc.source != "credential_process" and isinstance(raw, str) and facts.credential_process.line:
        # Claude Code does not reach credential_process now (CONFIG-SHADOWED-CREDS says why): judge the
        # line as each client would run it once it does.
        from ccwb_doctor.analyzers.clientconfig.consumers import AWS_CLI, CLAUDE_CODE, process_only
        from ccwb_doctor.facts.config import platform_of

        env = {**facts.claude_env, "HOME": judged_home(facts)}
        plat = platform_of(facts)

        def is_exec(p: str) -> bool:
            return is_executable(facts, p)

        cc = process_only(CLAUDE_CODE, raw, env, plat, is_exec)
        cli = process_only(AWS_CLI, raw, env, plat, is_exec)
        shadowed = " (once nothing shadows it; see CONFIG-SHADOWED-CREDS)"
    if cc.source != "credential_process" or cc.ok is None:
        return None
    where = config_where(facts)
    runner = " ".join(cc.run[:2]) if cc.run else "a shell"
    if not cc.ok:
        fix = (
            "Use the helper's absolute path, in double quotes if it contains spaces: credential_process = "
            f'"{facts.paths.ccwb_dir}/credential-process" --profile <name>'
        )
        prog = cc.argv[0] if cc.argv else None
        for k in range(2, len(cc.argv or []) + 1):  # an unquoted path with spaces: which prefix exists?
            joined = " ".join(cc.argv[:k])
            if is_executable(facts, joined):
                rest = suggest(cc.argv[k:])
                fix = f'Quote the path: credential_process = "{joined}"{" " + rest if rest else ""}'
                break
        if prog is None:
            detail = cc.error
        elif os.path.isdir(local(facts, prog)):
            detail = f"the program {prog} is a directory"
        elif os.path.exists(local(facts, prog)):
            detail, fix = f"the program {prog} is not executable", f"chmod +x {prog}"
        else:
            detail = f"the program {prog} does not exist"
            if " " in cc.line and not os.path.exists(local(facts, prog)):
                detail += " (an unquoted space: the shell splits the path there)"
        return fail(
            f"Claude Code cannot run credential_process{shadowed}: {detail} (it runs {runner} {cc.line!r}); "
            f"the AWS CLI/boto3: {cli.summary()}",
            fix=fix,
            evidence=ev,
        )
    cli_ok = cli.source == "credential_process" and cli.ok
    if not cli_ok:
        absolute = suggest(cc.argv or [])
        if cli.source == "credential_process":
            why = f"runs it without a shell and fails: {cli.error}"
            shows = "'Error when retrieving credentials from custom-process'"
        else:
            why, shows = cli.summary(), cli_shows(cli)
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
            fix=f"Write the line so both agree, e.g. credential_process = {suggest(cc.argv or [])} "
            "(no inline comments, no ~ or $VARIABLES).",
            evidence=ev,
        )
    return None


def stamp_expired(value: object) -> bool | None:
    if not value or not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts <= datetime.now(UTC)


def aws_auth_refresh(facts: Any) -> str | None:
    """The awsAuthRefresh command Claude Code runs (merged settings), when one is usable."""
    try:
        merged = facts.claude_settings.merged
    except Exception:  # noqa: BLE001 - unreadable settings are CONFIG-SETTINGS' verdict
        return None
    from ccwb_doctor.analyzers.clientconfig.claude_settings import PLACEHOLDER

    cmd = merged.get("awsAuthRefresh") if isinstance(merged, dict) else None
    if not isinstance(cmd, str) or not cmd.strip() or PLACEHOLDER.search(cmd):  # unset, or left a placeholder
        return None
    return cmd.strip()


def settings_commands_verdict(facts: Any, base: Outcome) -> Outcome:
    """CONFIG-SETTINGS, second half: awsAuthRefresh / awsCredentialExport lines Claude Code cannot start
    are a FAIL; the evidence says how Claude Code runs each command (otelHeadersHelper: OTEL-CONFIG)."""
    try:
        cmds = facts.settings_commands
    except Exception:  # noqa: BLE001 - unreadable settings are the first half's verdict
        return base
    ev = dict(base.evidence)
    if cmds:
        ev["settings_commands"] = {k: c.to_dict() for k, c in cmds.items()}
    bad = [c for k, c in cmds.items() if k != "otelHeadersHelper" and c.ok is False]
    if not bad:
        return type(base)(base.status, base.message, base.remediation, ev)
    msgs = [f"Claude Code cannot run {c.key} {c.line!r}: {c.error} ({c.how()})" for c in bad]
    if str(base.status) == "fail":
        msgs.insert(0, base.message)
    first = bad[0]
    return fail(
        "; ".join(msgs),
        fix=f'Point "{first.key}" at the helper\'s absolute path (quoted if it contains spaces), e.g. '
        f'"{facts.paths.ccwb_dir}/credential-process --profile <name>".',
        evidence=ev,
    )
