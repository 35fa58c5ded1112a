"""What the real Claude Code calls besides the prompt (docs/claude-code-endpoints.md) in MODEL-PERMISSION,
MODEL-ID (the unpinned default of the installed release) and REGION-ALIGNMENT (the endpoint it calls)."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_region_model_checks import GLOBAL, US_DEST, policy_file, regional, run, set_env  # noqa: E402

from ccwb_doctor.facts import Facts  # noqa: E402
from ccwb_doctor.fixtures.scenarios import Scenario, guidance_install  # noqa: E402
from ccwb_doctor.model import Status  # noqa: E402

INVOKE = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
SONNET_HAIKU = [
    "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
    "arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
    "arn:aws:bedrock:*:*:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "arn:aws:bedrock:*:*:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0",
]


def narrowed(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """The guidance models only (sonnet 4.5 + haiku 4.5) in the US regions: the opus probes are denied."""
    return [
        {
            "Sid": "InvokeGuidanceModels",
            "Effect": "Allow",
            "Action": INVOKE,
            "Resource": SONNET_HAIKU,
            "Condition": {"StringEquals": {"aws:RequestedRegion": US_DEST}},
        },
        *extra,
    ]


DISCOVER = {
    "Sid": "DiscoverModels",
    "Effect": "Allow",
    "Action": ["bedrock:ListInferenceProfiles", "bedrock:GetInferenceProfile"],
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:RequestedRegion": US_DEST}},
}


@pytest.fixture
def home(tmp_path: Path) -> Scenario:
    s = guidance_install(tmp_path / "home")
    s.env["PATH"] = str(tmp_path / "empty-bin")  # no claude: its version is unknown unless a test adds one
    return s


def fake_claude(s: Scenario, tmp_path: Path, version: str = "2.1.332") -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    p = bindir / "claude"
    marker = tmp_path / "claude-ran"
    p.write_text(f'#!/bin/sh\ntouch "{marker}"\necho "{version} (Claude Code)"\n')
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    s.env["PATH"] = f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin"
    return marker


# ---- MODEL-PERMISSION: the extra calls --------------------------------------------------------------


def test_denied_probes_and_listing_only_degrade(home: Scenario, tmp_path: Path) -> None:
    pol = policy_file(tmp_path, "narrow.json", *narrowed())
    res = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert [r.status for r in res] == [Status.PASS, Status.PASS]
    msg = res[0].message
    assert "all 10 requests allowed" in msg
    assert "ListInferenceProfiles denied" in msg and "built-in model list" in msg
    assert "8 of 8 opus-tier probes (tier not pinned) denied" in msg and "only degrades" in msg
    assert "InvokeModelWithResponseStream on the model it uses is fatal" in msg
    calls = res[0].evidence["claude_code_calls"]
    assert calls["degraded"] and {c["effect"] for c in calls["calls"]} == {"degrade"}
    assert "assumed" in calls["claude_code"]  # no claude installed: as recorded for 2.1.332


def test_allowed_extra_calls_are_named_and_pinned_tiers_are_not_probed(
    home: Scenario, tmp_path: Path
) -> None:
    pol = policy_file(tmp_path, "wide.json", regional(US_DEST), GLOBAL, DISCOVER)
    (first, _) = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert first.status is Status.PASS and "ListInferenceProfiles allowed" in first.message
    assert "all 8 allowed" in first.message and "only degrades" not in first.message
    set_env(home, ANTHROPIC_DEFAULT_OPUS_MODEL="us.anthropic.claude-opus-4-6-v1")
    (first, *_) = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert "probe" not in first.message  # every tier pinned: nothing probed


def test_denied_stream_is_named_fatal(home: Scenario, tmp_path: Path) -> None:
    only_invoke = {
        "Sid": "InvokeOnly",
        "Effect": "Allow",
        "Action": "bedrock:InvokeModel",
        "Resource": "*",
    }
    pol = policy_file(tmp_path, "invoke-only.json", only_invoke)
    res = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert res[0].status is Status.FAIL
    assert "fatal: Claude Code sends the prompt with InvokeModelWithResponseStream" in res[0].message


# ---- the unpinned default of the installed release -----------------------------------------------------


def _unpin(s: Scenario) -> None:
    set_env(s, drop=("ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL", "ANTHROPIC_SMALL_FAST_MODEL"))


def test_model_id_names_the_default_of_the_installed_release(home: Scenario, tmp_path: Path) -> None:
    _unpin(home)
    (res,) = run(home, "MODEL-ID")
    assert res.status is Status.SKIP and "no claude on the PATH Claude Code runs with" in res.message
    marker = fake_claude(home, tmp_path)
    (res,) = run(home, "MODEL-ID")
    assert marker.exists()
    assert res.status is Status.PASS, res.message
    assert "Claude Code 2.1.332" in res.message and "calls us.anthropic.claude-opus-5-5" in res.message
    assert "not in the profile table" in res.message
    assert "falls back to us.anthropic.claude-sonnet-4-5-20250929-v1:0" in res.message
    fake_claude(home, tmp_path, "9.9.9")
    (res,) = run(home, "MODEL-ID")
    assert res.status is Status.SKIP and "9.9.9" in res.message and "release table" in res.message


def test_model_id_with_tier_pins_but_no_main_model(home: Scenario, tmp_path: Path) -> None:
    set_env(home, drop=("ANTHROPIC_MODEL",))
    fake_claude(home, tmp_path)
    res = run(home, "MODEL-ID")
    assert res[-1].status is Status.PASS and "calls us.anthropic.claude-opus-5-5" in res[-1].message
    set_env(home, ANTHROPIC_DEFAULT_OPUS_MODEL="us.anthropic.claude-opus-4-6-v1")
    res = run(home, "MODEL-ID")
    assert "pinned by ANTHROPIC_DEFAULT_OPUS_MODEL=us.anthropic.claude-opus-4-6-v1" in res[-1].message


def test_model_permission_judges_the_unpinned_default_and_its_fallback(
    home: Scenario, tmp_path: Path
) -> None:
    _unpin(home)
    pol = policy_file(tmp_path, "narrow.json", *narrowed())
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert res.status is Status.SKIP and "default model is not judged" in res.message
    fake_claude(home, tmp_path)
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[pol])
    assert res.status is Status.PASS, res.message
    assert "calls us.anthropic.claude-opus-5-5" in res.message and "only degrades" in res.message
    haiku_only = policy_file(
        tmp_path,
        "haiku.json",
        {
            "Effect": "Allow",
            "Action": INVOKE,
            "Resource": [r for r in SONNET_HAIKU if "haiku" in r],
        },
    )
    (res,) = run(home, "MODEL-PERMISSION", permissions_policies=[haiku_only])
    assert res.status is Status.FAIL and "fatal" in res.message and "sonnet-4-5" in res.message


def test_captured_home_never_runs_claude(tmp_path: Path) -> None:
    from ccwb_doctor.options import RunOptions

    s = guidance_install(tmp_path / "home")
    marker = fake_claude(s, tmp_path)
    facts = Facts(RunOptions(home=s.home), env=s.env, overrides={"capture": object()})
    got = facts.claude_version
    assert got.version is None and "captured HOME" in got.reason and not marker.exists()
    vdir = s.home / ".local" / "share" / "claude" / "versions"
    vdir.mkdir(parents=True)
    (vdir / "2.1.332").write_bytes(b"\x7fELF")
    facts = Facts(RunOptions(home=s.home), env=s.env, overrides={"capture": object()})
    assert facts.claude_version.version == "2.1.332" and not marker.exists()


# ---- REGION-ALIGNMENT: the endpoint Claude Code calls -----------------------------------------------------


def test_region_alignment_uses_the_endpoint_claude_code_calls(home: Scenario) -> None:
    (first, *_) = run(home, "REGION-ALIGNMENT")
    assert first.status is Status.PASS and "bedrock-runtime.us-east-1.amazonaws.com" in first.message
    set_env(home, AWS_ENDPOINT_URL_BEDROCK_RUNTIME="https://bedrock-runtime.eu-west-1.amazonaws.com")
    (first, *_) = run(home, "REGION-ALIGNMENT")  # ignored by Claude Code: the regional host is what counts
    assert first.status is Status.PASS and "bedrock-runtime.us-east-1.amazonaws.com" in first.message
    vpce = "https://vpce-0a1b-x.bedrock-runtime.us-west-2.vpce.amazonaws.com"
    set_env(home, ANTHROPIC_BEDROCK_BASE_URL=vpce)
    (first, *_) = run(home, "REGION-ALIGNMENT")
    assert first.status is Status.FAIL, first.message
    assert "us-west-2" in first.message and "ANTHROPIC_BEDROCK_BASE_URL" in first.message
    assert first.evidence["regions"]["endpoint_url"] == vpce
    set_env(
        home, ANTHROPIC_BEDROCK_BASE_URL="https://vpce-0a1b-x.bedrock-runtime.us-east-1.vpce.amazonaws.com"
    )
    (first, *_) = run(home, "REGION-ALIGNMENT")
    assert first.status is Status.PASS and "vpce" in first.message
    set_env(home, ANTHROPIC_BEDROCK_BASE_URL="http://127.0.0.1:4566")
    (first, *_) = run(home, "REGION-ALIGNMENT")
    assert first.status is Status.PASS and "127.0.0.1:4566" in first.message
    assert json.dumps(first.evidence)  # plain values
