"""MODEL-ID and MODEL-PERMISSION: the configured models are real, and the role may invoke every leg.

The verdicts live in ``analyzers/bedrock/verdicts.py`` (``ccwb-doctor conform`` uses them too).
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.model import Outcome
from ccwb_doctor.registry import check

DOCS_IDS = "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html"
DOCS_IAM = "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html"


@check(
    "MODEL-ID",
    title="Each configured model id is a known Claude model or inference profile",
    area="model",
    severity="high",
    remediation="Set ANTHROPIC_MODEL / ANTHROPIC_DEFAULT_*_MODEL to inference profile ids such as "
    "us.anthropic.claude-sonnet-4-6 (or application inference profile ARNs).",
    docs=DOCS_IDS,
    needs=("claude_env", "profiles_table"),
)
def model_id(facts: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.bedrock.verdicts import model_id_verdicts
    from ccwb_doctor.checks._origins import name_origins

    outs = model_id_verdicts(
        facts.model_config, lambda: facts.profiles_table, lambda: facts.peek("claude_version")
    )
    return name_origins(outs, facts)


@check(
    "MODEL-PERMISSION",
    title="The permission policy allows every request Bedrock authorizes for each configured model",
    area="model",
    severity="critical",
    remediation="Grant InvokeModel and InvokeModelWithResponseStream on the inference profile in the source "
    "region and on the foundation model in every destination region (and the region-less ARN for global.).",
    docs=DOCS_IAM,
    needs=("claude_env", "permission_policies", "scp_policies", "profiles_table"),
)
def model_permission(facts: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.bedrock.verdicts import model_permission_verdicts

    return model_permission_verdicts(
        facts.model_config,
        lambda: facts.permission_policies,
        lambda: facts.peek("permission_policies_live_error"),
        lambda: facts.profiles_table,
        lambda: facts.scp_policies,
        lambda: facts.peek("claude_version"),
    )
