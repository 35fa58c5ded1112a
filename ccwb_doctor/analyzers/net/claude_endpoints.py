"""Which Bedrock endpoints Claude Code calls, as the real client decides (pure).

Found with the binary (Claude Code 2.1.332, docs/claude-code-endpoints.md):

- the runtime (InvokeModel, InvokeModelWithResponseStream) goes to ``ANTHROPIC_BEDROCK_BASE_URL`` when set,
  else to ``bedrock-runtime.<region>.amazonaws.com``: every configured endpoint URL is **ignored** by it
  (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, ``AWS_ENDPOINT_URL``, the profile's ``endpoint_url``, a
  ``services`` section's ``bedrock_runtime`` entry);
- the control plane (ListInferenceProfiles) goes to ``ANTHROPIC_BEDROCK_BASE_URL``, else the SDK's
  configured endpoint for ``bedrock`` (``AWS_ENDPOINT_URL_BEDROCK``, ``AWS_ENDPOINT_URL``, the profile's
  ``endpoint_url`` or ``services`` entry), else ``bedrock.<region>.amazonaws.com``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

BASE_URL_VAR = "ANTHROPIC_BEDROCK_BASE_URL"
RUNTIME_IGNORED = ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL")
CONTROL_VARS = (BASE_URL_VAR, "AWS_ENDPOINT_URL_BEDROCK", "AWS_ENDPOINT_URL")
VERSION_SEEN = "2.1.332"


def _get(env: Mapping[str, str], key: str) -> str:
    v = env.get(key)
    return v.strip() if isinstance(v, str) else ""


def runtime_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` as Claude Code's runtime client sees endpoints: without the endpoint variables, and with
    configured endpoint URLs (profile ``endpoint_url``, ``services`` sections) switched off."""
    out = {k: v for k, v in env.items() if k not in RUNTIME_IGNORED}
    out["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"
    return out


def base_url(env: Mapping[str, str]) -> str | None:
    return _get(env, BASE_URL_VAR) or None


def ignored_runtime_vars(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """Endpoint variables the user set that Claude Code's runtime client does not use (none when
    ANTHROPIC_BEDROCK_BASE_URL is set: that one wins anyway)."""
    if base_url(env):
        return []
    return [(k, _get(env, k)) for k in RUNTIME_IGNORED if _get(env, k)]


def control_endpoint(env: Mapping[str, str]) -> tuple[str, str] | None:
    """(URL, variable) Claude Code sends ListInferenceProfiles to, or None for the regional default."""
    for k in CONTROL_VARS:
        if _get(env, k):
            return _get(env, k), k
    return None


_REGIONAL_HOST = re.compile(
    r"(?:^|\.)bedrock-runtime(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$"
)


def claude_region(env: Mapping[str, str]) -> str:
    """The region Claude Code signs for and builds its regional host from (AWS_REGION, AWS_DEFAULT_REGION,
    else us-east-1)."""
    return _get(env, "AWS_REGION") or _get(env, "AWS_DEFAULT_REGION") or "us-east-1"


def runtime_endpoint(env: Mapping[str, str]) -> tuple[str, str]:
    """(URL, where it comes from) of the runtime Claude Code calls: ``ANTHROPIC_BEDROCK_BASE_URL``, else the
    regional host of its region."""
    url = base_url(env)
    if url:
        return url, BASE_URL_VAR
    return f"https://bedrock-runtime.{claude_region(env)}.amazonaws.com", "the regional host"


def endpoint_region(url: str) -> str | None:
    """The region an AWS Bedrock runtime URL serves (regional, FIPS or VPC endpoint host), else None (a
    gateway, a proxy, a loopback emulator: the URL does not say)."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    m = _REGIONAL_HOST.search(host)
    return m.group("region") if m else None
