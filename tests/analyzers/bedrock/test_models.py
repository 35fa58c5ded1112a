"""Claude Code's model configuration read from its environment."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.bedrock.models import MODEL_VARS, classify, read_model_config


def test_pinned_models_and_region() -> None:
    cfg = read_model_config(
        {
            "CLAUDE_CODE_USE_BEDROCK": "1",
            "AWS_REGION": "us-west-2",
            "ANTHROPIC_MODEL": "us.anthropic.claude-sonnet-4-6",
            "ANTHROPIC_DEFAULT_HAIKU_MODEL": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            "ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION": "us-east-1",
        }
    )
    assert cfg.use_bedrock and not cfg.gateway
    assert (cfg.region, cfg.region_source) == ("us-west-2", "AWS_REGION")
    by_var = {m.var: m for m in cfg.models}
    assert by_var["ANTHROPIC_MODEL"].kind == "profile-id"
    assert by_var["ANTHROPIC_MODEL"].region == "us-west-2"
    assert by_var["ANTHROPIC_DEFAULT_HAIKU_MODEL"].region == "us-east-1"  # the small-fast region override
    assert len(cfg.targets()) == 2


def test_deprecated_small_fast_model_warns() -> None:
    cfg = read_model_config(
        {
            "AWS_REGION": "us-east-1",
            "ANTHROPIC_SMALL_FAST_MODEL": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        }
    )
    (m,) = cfg.models
    assert m.deprecated
    assert any("ANTHROPIC_SMALL_FAST_MODEL is deprecated" in n for n in cfg.notes)
    assert any("ANTHROPIC_MODEL is unset" in n for n in cfg.notes)


def test_alias_resolution() -> None:
    cfg = read_model_config(
        {"ANTHROPIC_MODEL": "opusplan", "ANTHROPIC_DEFAULT_OPUS_MODEL": "global.anthropic.claude-opus-4-8"}
    )
    assert cfg.models[0].kind == "alias"
    assert any(
        "resolves (opus) to ANTHROPIC_DEFAULT_OPUS_MODEL=global.anthropic.claude-opus-4-8" in n
        for n in cfg.notes
    )
    assert any("'opusplan' (sonnet) is not resolvable offline" in n for n in cfg.notes)
    assert [m.value for m in cfg.targets()] == ["global.anthropic.claude-opus-4-8"]


def test_alias_in_tier_var_is_invalid_and_1m_suffix_stripped() -> None:
    cfg = read_model_config({"ANTHROPIC_MODEL": "sonnet[1m]", "ANTHROPIC_DEFAULT_SONNET_MODEL": "sonnet"})
    by_var = {m.var: m for m in cfg.models}
    assert by_var["ANTHROPIC_MODEL"].alias == "sonnet"
    assert by_var["ANTHROPIC_DEFAULT_SONNET_MODEL"].kind == "invalid"
    assert "not the alias" in (by_var["ANTHROPIC_DEFAULT_SONNET_MODEL"].problem or "")


def test_arns_and_bad_values() -> None:
    app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
    assert classify(app, "ANTHROPIC_MODEL", "us-east-1").kind == "app-profile-arn"
    ip = classify(
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6", "X", None
    )
    assert ip.kind == "profile-arn" and ip.model_id is not None and ip.model_id.geography == "us"
    bad = classify("arn:aws:bedrock:us-east-1:123:inference-profile/us.anthropic.x", "X", None)
    assert bad.kind == "invalid" and "malformed ARN" in (bad.problem or "")
    junk = classify("claude sonnet please", "X", None)
    assert junk.kind == "invalid" and junk.problem


def test_gateway_modes_and_region_fallback() -> None:
    cfg = read_model_config({"CLAUDE_CODE_SKIP_BEDROCK_AUTH": "1", "AWS_DEFAULT_REGION": "eu-west-1"})
    assert cfg.gateway and "CLAUDE_CODE_SKIP_BEDROCK_AUTH" in (cfg.gateway_reason or "")
    assert (cfg.region, cfg.region_source) == ("eu-west-1", "AWS_DEFAULT_REGION")
    cfg = read_model_config({"ANTHROPIC_BEDROCK_BASE_URL": "https://gw.example.com"})
    assert cfg.gateway and "gw.example.com" in (cfg.gateway_reason or "")
    # a VPC endpoint (or any AWS endpoint) still receives the role's SigV4 signature: not a gateway
    vpce = "https://vpce-0abc-xyz.bedrock-runtime.us-east-1.vpce.amazonaws.com"
    cfg = read_model_config({"ANTHROPIC_BEDROCK_BASE_URL": vpce})
    assert not cfg.gateway and any("VPC endpoint" in n for n in cfg.notes)
    assert not read_model_config(
        {"ANTHROPIC_BEDROCK_BASE_URL": "https://bedrock-runtime.cn-north-1.amazonaws.com.cn"}
    ).gateway
    assert read_model_config({"ANTHROPIC_BEDROCK_BASE_URL": "https://amazonaws.com.evil.example"}).gateway
    assert read_model_config({}).region is None


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*MODEL_VARS, "AWS_REGION", "CLAUDE_CODE_SKIP_BEDROCK_AUTH"]), st.text(max_size=60)
    )
)
def test_never_raises(env: dict[str, str]) -> None:
    cfg = read_model_config(env)
    assert isinstance(cfg.to_dict(), dict)
    for m in cfg.models:
        assert m.kind in {
            "profile-id",
            "model-id",
            "foundation-arn",
            "profile-arn",
            "app-profile-arn",
            "alias",
            "invalid",
        }
        assert (m.kind == "invalid") == bool(m.problem)


def test_gateway_url_is_shown_without_credentials() -> None:
    cfg = read_model_config(
        {"ANTHROPIC_BEDROCK_BASE_URL": "https://user:hunter2secret@gw.example.com:8443/bedrock?key=abc"}
    )
    assert cfg.gateway_reason is not None
    assert "hunter2secret" not in cfg.gateway_reason and "key=abc" not in cfg.gateway_reason
    assert "https://gw.example.com:8443/bedrock" in cfg.gateway_reason
