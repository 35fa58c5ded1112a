"""REGION-ALIGNMENT: Claude Code's region, the profile region, the helper's STS region and the models.

Legitimate: the helper's STS region or the profile region differing from Claude Code's AWS_REGION
(credentials are global within a partition). Breaking: a different partition between STS and
Bedrock, a geography prefix that does not serve the source region, a us-gov model with a commercial
region, an ARN pinned to another region, a model the table does not offer there.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.model import Outcome
from ccwb_doctor.registry import check

DOCS = "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html"


@check(
    "REGION-ALIGNMENT",
    title="Claude Code, profile, helper and model regions agree or differ legitimately",
    area="region",
    severity="high",
    remediation="Align AWS_REGION (Claude Code settings env) with the geography of the configured models.",
    docs=DOCS,
    needs=("claude_env", "profile", "helper_profile", "profiles_table"),
)
def region_alignment(facts: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.bedrock.verdicts import region_alignment_verdicts

    return region_alignment_verdicts(
        lambda: facts.regions, lambda: facts.model_config.targets(), lambda: facts.profiles_table
    )
