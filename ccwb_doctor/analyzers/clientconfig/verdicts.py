"""The Claude Code settings verdict CONFIG-SETTINGS (the doctor) and CONFORM-SETTINGS (CI) share: Bedrock is
selected, with a coherent AWS_PROFILE and AWS_REGION, and no installer placeholder left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ccwb_doctor.model import Outcome, error, fail, ok, warn


def settings_verdict(st: Any, aws_config: Callable[[], Any]) -> Outcome | list[Outcome]:
    """CONFIG-SETTINGS: the merged Claude Code settings (``st``) select Bedrock with a coherent profile and
    region; ``aws_config()`` is the parsed AWS config file (or None), asked for only when a profile is named."""
    from ccwb_doctor.analyzers.clientconfig.claude_settings import placeholders

    ev: dict[str, Any] = {"files": [f"{f.scope}: {f.path}" for f in st.files]}
    if getattr(st, "ignored", None):
        ev["managed_ignored"] = list(st.ignored)
    if st.errors:
        first = st.errors[0]
        ev["errors"] = [str(e) for e in st.errors]
        return error(f"settings file unusable: {first}", evidence=ev)
    from ccwb_doctor.analyzers.clientconfig.settings_layers import env_origins

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
    cfg = aws_config() if prof_name else None
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
        return fail("; ".join(fails), fix=None, evidence=ev)
    if warns:
        return warn("; ".join(warns), fix=None, evidence=ev)
    return ok(
        f"Bedrock enabled with AWS_PROFILE={prof_name}{by('AWS_PROFILE')} and AWS_REGION={region}{by('AWS_REGION')}",
        evidence=ev,
    )


def _looks_like_region(value: str) -> bool:
    import re

    return re.fullmatch(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d", value) is not None
