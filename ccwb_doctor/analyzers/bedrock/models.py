"""Claude Code's model configuration on Bedrock, read from the environment it runs with (pure).

``read_model_config(env) -> ModelConfig`` looks at:

- ``ANTHROPIC_MODEL`` (an id, an ARN, or an alias ``sonnet``/``opus``/``haiku``/``opusplan``, optionally
  with a ``[1m]`` suffix), ``ANTHROPIC_DEFAULT_{OPUS,SONNET,HAIKU}_MODEL``, the deprecated
  ``ANTHROPIC_SMALL_FAST_MODEL`` and its region ``ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION``;
- the Bedrock switches ``CLAUDE_CODE_USE_BEDROCK``, gateway mode (``CLAUDE_CODE_SKIP_BEDROCK_AUTH``, or
  ``ANTHROPIC_BEDROCK_BASE_URL`` naming a non-AWS host; a base URL on an AWS endpoint such as a VPC
  endpoint still carries the role's SigV4 signature, so it is not a gateway) and the region
  (``AWS_REGION`` → ``AWS_DEFAULT_REGION``).

Each configured value becomes a ``ConfiguredModel`` (kind, parsed id or ARN, the region its requests
go to, a one-line ``problem`` when it cannot be used). Aliases are resolved through the tier pins
when they are set; otherwise they stay unresolved and a note says so (Claude Code's built-in
default depends on its release, which the doctor cannot know).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from ccwb_doctor.analyzers.bedrock.catalog import (
    ArnError,
    BedrockArn,
    ModelId,
    ModelIdError,
    parse_arn,
    parse_model_id,
)
from ccwb_doctor.records import record

MODEL_VARS: tuple[str, ...] = (
    "ANTHROPIC_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "ANTHROPIC_SMALL_FAST_MODEL",
)
DEPRECATED_VARS = {"ANTHROPIC_SMALL_FAST_MODEL": "ANTHROPIC_DEFAULT_HAIKU_MODEL"}
SMALL_FAST_REGION_VAR = "ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION"
ALIASES: dict[str, tuple[str, ...]] = {
    "sonnet": ("sonnet",),
    "opus": ("opus",),
    "haiku": ("haiku",),
    "opusplan": ("opus", "sonnet"),
}
TIER_VARS = {
    "opus": ("ANTHROPIC_DEFAULT_OPUS_MODEL",),
    "sonnet": ("ANTHROPIC_DEFAULT_SONNET_MODEL",),
    "haiku": ("ANTHROPIC_DEFAULT_HAIKU_MODEL", "ANTHROPIC_SMALL_FAST_MODEL"),
}
_TRUE = {"1", "true", "yes", "on"}


def truthy(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in _TRUE


@record
class ConfiguredModel:
    """One model setting Claude Code reads: the variable, its value and what it names."""

    var: str  # the env var that set it (for aliases: "ANTHROPIC_MODEL=sonnet -> ANTHROPIC_DEFAULT_SONNET_MODEL")
    value: str  # the raw value with any [1m] suffix removed
    kind: str  # profile-id | model-id | foundation-arn | profile-arn | app-profile-arn | alias | invalid
    region: str | None  # where Claude Code sends it (AWS_REGION, or the small-fast region for Haiku)
    model_id: ModelId | None = None
    arn: BedrockArn | None = None
    alias: str | None = None
    problem: str | None = None
    deprecated: bool = False

    @property
    def label(self) -> str:
        return f"{self.var}={self.value}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "var": self.var,
            "value": self.value,
            "kind": self.kind,
            "region": self.region,
            "alias": self.alias,
            "problem": self.problem,
            "deprecated": self.deprecated,
        }


@record
class ModelConfig:
    """Claude Code's Bedrock model configuration as a whole: mode, region and each model."""

    use_bedrock: bool
    gateway: bool
    gateway_reason: str | None
    region: str | None
    region_source: str | None  # AWS_REGION | AWS_DEFAULT_REGION | None
    small_fast_region: str | None
    models: list[ConfiguredModel] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def targets(self) -> list[ConfiguredModel]:
        """Distinct usable (value, region) pairs: what Claude Code will actually invoke."""
        seen: set[tuple[str, str | None]] = set()
        out = []
        for m in self.models:
            if m.kind in ("alias", "invalid"):
                continue
            key = (m.value, m.region)
            if key not in seen:
                seen.add(key)
                out.append(m)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_bedrock": self.use_bedrock,
            "gateway": self.gateway,
            "gateway_reason": self.gateway_reason,
            "region": self.region,
            "region_source": self.region_source,
            "small_fast_region": self.small_fast_region,
            "models": [m.to_dict() for m in self.models],
            "notes": list(self.notes),
        }


def classify(value: str, var: str, region: str | None) -> ConfiguredModel:
    """One configured value -> ConfiguredModel (never raises)."""
    v = value.strip()
    if v.lower().endswith("[1m]"):
        v = v[:-4]
    low = v.lower()
    if low in ALIASES or low == "default":
        return ConfiguredModel(var, v, "alias", region, alias=low)
    if v.startswith("arn:"):
        try:
            arn = parse_arn(v)
        except ArnError as exc:
            return ConfiguredModel(var, v, "invalid", region, problem=f"malformed ARN: {exc}")
        kind = {
            "foundation-model": "foundation-arn",
            "inference-profile": "profile-arn",
            "application-inference-profile": "app-profile-arn",
        }[arn.resource_type]
        mid = None
        if arn.resource_type != "application-inference-profile":
            mid = parse_model_id(arn.resource_id)
        # an ARN pins its own region: Claude Code sends the request to AWS_REGION regardless
        return ConfiguredModel(var, v, kind, region, model_id=mid, arn=arn)
    try:
        mid = parse_model_id(v)
    except ModelIdError as exc:
        return ConfiguredModel(var, v, "invalid", region, problem=str(exc))
    return ConfiguredModel(var, v, "profile-id" if mid.geography else "model-id", region, model_id=mid)


def _get(env: Mapping[str, Any], key: str) -> str | None:
    val = env.get(key)
    if isinstance(val, str) and val.strip():
        return val.strip()
    return None


def _safe_url(url: str) -> str:
    """The URL without user info, query or fragment (they may carry credentials)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparseable URL>"
    return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else "<not a URL>"


_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".amazonaws.eu")


def _aws_host(url: str) -> bool:
    """True for an AWS service endpoint (regional, FIPS, VPC endpoint ``*.vpce.amazonaws.com``), or a
    loopback one (a local AWS emulator such as the sandbox's): Claude Code signs its requests with the
    role's SigV4 credentials there too (seen with the real client, docs/claude-code-endpoints.md)."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    return host.endswith(_AWS_SUFFIXES) or host in ("127.0.0.1", "localhost", "::1")


def read_model_config(env: Mapping[str, Any]) -> ModelConfig:
    """Claude Code's Bedrock model configuration from its effective environment (never raises)."""
    env = env if isinstance(env, Mapping) else {}
    region, source = None, None
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if _get(env, key):
            region, source = _get(env, key), key
            break
    small_region = _get(env, SMALL_FAST_REGION_VAR)
    gateway_reason = None
    endpoint_note = None
    if truthy(env.get("CLAUDE_CODE_SKIP_BEDROCK_AUTH")):
        gateway_reason = "CLAUDE_CODE_SKIP_BEDROCK_AUTH is set: requests go unsigned to a gateway"
    elif _get(env, "ANTHROPIC_BEDROCK_BASE_URL"):
        url = _safe_url(_get(env, "ANTHROPIC_BEDROCK_BASE_URL") or "")
        if _aws_host(url):
            endpoint_note = (
                f"ANTHROPIC_BEDROCK_BASE_URL={url} is an AWS endpoint (e.g. a VPC endpoint): requests are "
                "still signed with the role's credentials, so its permissions are checked"
            )
        else:
            gateway_reason = f"ANTHROPIC_BEDROCK_BASE_URL={url} sends requests to a gateway, not to Bedrock"
    cfg = ModelConfig(
        use_bedrock=truthy(env.get("CLAUDE_CODE_USE_BEDROCK")),
        gateway=gateway_reason is not None,
        gateway_reason=gateway_reason,
        region=region,
        region_source=source,
        small_fast_region=small_region,
    )
    if endpoint_note:
        cfg.notes.append(endpoint_note)
    raw: dict[str, str] = {k: v for k in MODEL_VARS if (v := _get(env, k)) is not None}
    for var, value in raw.items():
        r = small_region if var in TIER_VARS["haiku"] and small_region else region
        m = classify(value, var, r)
        if var in DEPRECATED_VARS:
            m.deprecated = True
            cfg.notes.append(f"{var} is deprecated: use {DEPRECATED_VARS[var]} instead")
        if m.kind == "alias" and var != "ANTHROPIC_MODEL":
            m.problem = f"{var} must be a model id or ARN, not the alias {m.alias!r}"
            m.kind = "invalid"
        cfg.models.append(m)
    main = next((m for m in cfg.models if m.var == "ANTHROPIC_MODEL"), None)
    if main is None:
        cfg.notes.append(
            "ANTHROPIC_MODEL is unset: Claude Code uses its built-in default for this release"
            + (" (the tier pins below are checked)" if cfg.models else "; nothing pinned to check")
        )
    elif main.kind == "alias":
        _resolve_alias(cfg, main, raw)
    haiku, small = raw.get("ANTHROPIC_DEFAULT_HAIKU_MODEL"), raw.get("ANTHROPIC_SMALL_FAST_MODEL")
    if haiku and small and haiku != small:
        cfg.notes.append(
            "ANTHROPIC_SMALL_FAST_MODEL and ANTHROPIC_DEFAULT_HAIKU_MODEL differ; the newer variable wins"
        )
    return cfg


def _resolve_alias(cfg: ModelConfig, main: ConfiguredModel, raw: Mapping[str, str]) -> None:
    alias = main.alias or ""
    if alias == "default":
        cfg.notes.append(
            "ANTHROPIC_MODEL=default: Claude Code picks its built-in default (not resolvable offline)"
        )
        return
    for tier in ALIASES[alias]:
        pinned = next((v for v in TIER_VARS[tier] if v in raw), None)
        if pinned:
            cfg.notes.append(f"alias {alias!r} resolves ({tier}) to {pinned}={raw[pinned]}")
        else:
            cfg.notes.append(
                f"alias {alias!r} ({tier}) is not resolvable offline: set {TIER_VARS[tier][0]} to pin the "
                "model id (Claude Code's built-in default depends on its release)"
            )
