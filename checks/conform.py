"""CONFORM-*: the CI gate over templates, policies, helper configs, settings and claims files.

Every check reads the ``conform_findings`` fact (facts/conform.py), which is empty unless the run was
started by ``ccwb-doctor conform PATH...`` (``options.extra["conform_paths"]``): in a normal run each
conform check skips with the reason. Each outcome's evidence names ``location`` (file, line) and
``subject`` so JUnit and SARIF point at the template line.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.model import Outcome, skip
from ccwb_doctor.registry import check

DOCS = "https://github.com/ccwb-doctor/ccwb-doctor/blob/main/docs/conform.md"
NO_INPUTS = (
    "no conform inputs (this check runs under `ccwb-doctor conform PATH...` or `pytest --ccwb-conform PATH`)"
)


def _outcomes(facts: Any, cid: str, nothing: str) -> list[Outcome]:
    inputs = facts.conform_inputs
    if inputs.empty:
        return [skip(NO_INPUTS)]
    got = facts.conform_findings.get(cid) or []
    return list(got) or [skip(nothing, evidence={"inputs": inputs.counts()})]


def _declare(cid: str, title: str, severity: str, remediation: str, nothing: str) -> None:
    def fn(facts: Any) -> list[Outcome]:
        return _outcomes(facts, cid, nothing)

    fn.__name__ = fn.__qualname__ = "conform_" + cid.split("-", 1)[1].lower().replace("-", "_")
    check(
        cid,
        title=title,
        area="conform",
        severity=severity,
        remediation=remediation,
        docs=DOCS,
        needs=("conform_inputs",),
    )(fn)


_declare(
    "CONFORM-PARSE",
    "Every input file parses (YAML/JSON, known intrinsics, policy grammar)",
    "high",
    "Fix the file at the line named; the other inputs are still checked.",
    "no input files were found",
)
_declare(
    "CONFORM-PARAMS",
    "Every template parameter has a value (given, from a parameters file, or a Default) that satisfies its constraints",
    "medium",
    "Pass --param KEY=VALUE or --param-file FILE with the values the pipeline deploys with.",
    "no CloudFormation template among the inputs",
)
_declare(
    "CONFORM-OIDC-CONDITION",
    "Each OIDC trust statement pins the token's aud (or sub) with a condition",
    "high",
    'Add "Condition": {"StringEquals": {"<provider>:aud": "<client id>"}} to the federated trust statement.',
    "no role trusts an OIDC provider in these inputs",
)
_declare(
    "CONFORM-TRUST",
    "Identities from claims files are allowed or denied by the provider and trust policy as required",
    "critical",
    "Make the trust policy's conditions match the identities that must be allowed, and not the ones that must not.",
    "no *.claims.json file, or no federated role to test it against",
)
_declare(
    "CONFORM-TAGSESSION",
    "Identities that send session tags or a source identity may do so (sts:TagSession / sts:SetSourceIdentity)",
    "high",
    "Allow sts:TagSession (EnableSessionTags=true in auth.yaml) when the IdP sends the tags claim.",
    "no allowed identity sends session tags or a source identity",
)
_declare(
    "CONFORM-SESSION-DURATION",
    "Each helper config's max_session_duration fits the role's MaxSessionDuration",
    "medium",
    "Keep max_session_duration <= the role's MaxSessionDuration (3600..43200).",
    "no helper config.json with a direct-federation profile, or no federated role",
)
_declare(
    "CONFORM-COLLECTOR-AUTH",
    "No load balancer listener forwards to the collector without authentication",
    "high",
    "Port 80 only redirects; the HTTPS listener validates the IdP's JWT (jwt-validation) before forwarding.",
    "no load balancer listener in these inputs",
)
_declare(
    "CONFORM-LOG-RETENTION",
    "Every CloudWatch Logs group sets a retention",
    "medium",
    "Set RetentionInDays on every AWS::Logs::LogGroup (the reference uses the LogRetentionDays parameter).",
    "no CloudWatch Logs group in these inputs",
)
_declare(
    "CONFORM-STORAGE-PROTECTION",
    "S3 buckets block public access and state their encryption; Athena workgroups encrypt and enforce results",
    "high",
    "PublicAccessBlockConfiguration with all four flags true, BucketEncryption, and an Athena "
    "EncryptionConfiguration with EnforceWorkGroupConfiguration.",
    "no S3 bucket or Athena workgroup in these inputs",
)
_declare(
    "CONFORM-LAKE-PARTITIONS",
    "Partition projection is complete, and the collector's S3 exporter writes where a table projects",
    "medium",
    "Give each partition key a projection and a ${key} in storage.location.template, and make the awss3 "
    "exporter's s3_prefix + s3_partition_format produce that template.",
    "no Glue table with partition projection and no awss3 exporter in these inputs",
)
_declare(
    "CONFORM-LAKE-QUERIES",
    "Athena saved queries read tables the template defines, in the database and workgroup they name",
    "medium",
    "Set the query's Database and WorkGroup with !Ref and read only tables defined in that database.",
    "no Athena saved query in these inputs",
)
_declare(
    "CONFORM-BEDROCK-REGION-CONDITION",
    "Bedrock invoke wildcards are limited by an aws:RequestedRegion condition",
    "medium",
    "Add Condition StringEquals aws:RequestedRegion to statements granting bedrock:Invoke* on wildcard ARNs.",
    "no policy grants bedrock:InvokeModel in these inputs",
)
_declare(
    "CONFORM-REGION-LIST",
    "aws:RequestedRegion lists include every destination of the inference profiles served from their regions",
    "critical",
    "Add every destination region of every profile served from a listed source region.",
    "no Bedrock statement with an aws:RequestedRegion list",
)
_declare(
    "CONFORM-MODEL-PERMISSION",
    "The permission policy allows every Bedrock request of the models x regions x profiles matrix",
    "critical",
    "Grant the profile ARN in each source region and the foundation model in every destination region.",
    "no federated role with a permission policy in these inputs",
)
_declare(
    "CONFORM-REGION-ALIGNMENT",
    "Claude Code settings files: region, helper STS region and the pinned models' geographies fit (REGION-ALIGNMENT logic)",
    "high",
    "Align AWS_REGION with the geography of the pinned models and keep the helper's aws_region in the same partition.",
    "no Claude Code settings file that selects Bedrock among the inputs",
)
_declare(
    "CONFORM-MODEL-ID",
    "Models pinned in Claude Code settings files are known Claude models or inference profiles (MODEL-ID logic)",
    "high",
    "Pin inference profile ids such as us.anthropic.claude-sonnet-4-6 (or application inference profile ARNs).",
    "no Claude Code settings file that selects Bedrock among the inputs",
)
_declare(
    "CONFORM-SETTINGS",
    "Claude Code settings files select Bedrock with a coherent profile and region (CONFIG-SETTINGS logic)",
    "high",
    'Set "env": {"CLAUDE_CODE_USE_BEDROCK": "1", "AWS_PROFILE": ..., "AWS_REGION": ...}.',
    "no Claude Code settings file among the inputs",
)
