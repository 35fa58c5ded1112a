"""Region and model facts: Claude Code's model config, the regions in play, permission policies, SCPs,
and the inference-profile table.

- ``model_config``: analyzers.bedrock.models.ModelConfig from ``claude_env``.
- ``regions``: RegionsFact (Claude Code's AWS_REGION, the profile region, the helper's STS region,
  the guidance's ``cross_region_profile``).
- ``permission_policies``: PermissionPolicies from ``--permissions-policy FILE``..., else the federated
  role's policies in ``--template``, else (``--live``) the role's inline + attached policies; None when
  there is no source.
- ``scp_policies``: list of iam.Policy from ``--scp FILE``... (empty list when none).
- ``profiles_table``: bedrock.ProfilesTable from CCWB_DOCTOR_PROFILES_FILE / extra["profiles_file"] or
  the packaged data file; in ``--live`` refreshed from ``bedrock:ListInferenceProfiles`` when permitted.
Bad input raises model.InputError naming the file.
"""

from __future__ import annotations

import json
from dataclasses import field
from pathlib import Path
from typing import Any

from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.model import InputError
from ccwb_doctor.records import record

MAX_POLICY_FILE = 1024 * 1024
LIVE_PAGES = 10


@fact("model_config")
def _model_config(facts: Facts) -> Any:
    from ccwb_doctor.analyzers.bedrock.models import read_model_config

    return read_model_config(facts.claude_env)


@record
class RegionsFact:
    """The regions in play: Claude Code's, the profile's and the helper's, and where each came from."""

    claude: str | None  # the region Claude Code sends Bedrock requests to
    claude_source: str | None  # AWS_REGION | AWS_DEFAULT_REGION | None (unset)
    profile: str | None  # `region` of the active AWS profile
    helper_sts: str | None  # the helper config's aws_region (STS / infra region)
    cross_region_profile: str | None  # the guidance's cross_region_profile (a geography)
    small_fast: str | None  # ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION
    endpoint_url: str | None = None  # the runtime URL Claude Code calls (credentials stripped)
    endpoint_source: str | None = None  # ANTHROPIC_BEDROCK_BASE_URL | the regional host
    endpoint_region: str | None = None  # the region that URL serves, when its host says
    # for AWS_REGION and the model variables: '<scope>: <path>' of the settings layer whose value Claude Code
    # uses, or 'process environment'; and the lower layers it overrides ('<scope>: <path> sets VALUE')
    origins: dict[str, str] = field(default_factory=dict)
    overridden: dict[str, list[str]] = field(default_factory=dict)
    home: str | None = None  # the judged HOME (a fix names a user file under it ~/...)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@fact("regions")
def _regions(facts: Facts) -> RegionsFact:
    mc = facts.model_config
    prof = facts.peek("profile") or {}
    hp = facts.peek("helper_profile") or {}
    crp = hp.get("cross_region_profile")
    from ccwb_doctor.analyzers.bedrock.models import _safe_url
    from ccwb_doctor.analyzers.net.claude_endpoints import endpoint_region, runtime_endpoint

    env = facts.peek("claude_env") or {}
    url, source = runtime_endpoint(env)
    origins, overridden = _origins(facts, env)
    return RegionsFact(
        claude=mc.region,
        claude_source=mc.region_source,
        profile=prof.get("region") if isinstance(prof.get("region"), str) else None,
        helper_sts=hp.get("aws_region") if isinstance(hp.get("aws_region"), str) else None,
        cross_region_profile=crp if isinstance(crp, str) else None,
        small_fast=mc.small_fast_region,
        endpoint_url=_safe_url(url),
        endpoint_source=source,
        endpoint_region=endpoint_region(url),
        origins=origins,
        overridden=overridden,
        home=str(facts.peek("home")) if facts.peek("home") else None,
    )


_ORIGIN_KEYS = ("AWS_REGION", "AWS_DEFAULT_REGION", "ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION")


def _origins(facts: Facts, env: dict[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Which settings layer set each region and model variable, and what it overrides."""
    from ccwb_doctor.analyzers.clientconfig.settings_layers import env_layers

    st = facts.peek("claude_settings")
    files = list(getattr(st, "files", None) or [])
    origins: dict[str, str] = {}
    overridden: dict[str, list[str]] = {}
    for key in [*_ORIGIN_KEYS, *(k for k in env if k.startswith("ANTHROPIC_") and k.endswith("_MODEL"))]:
        if key not in env:
            continue
        layers = env_layers(files, key)
        if not layers:
            origins[key] = "process environment"
            continue
        origins[key] = layers[-1][0]
        winner = layers[-1][1]
        lower = [f"{where} sets {value}" for where, value in layers[:-1] if value != winner]
        if lower:
            overridden[key] = lower
    return origins, overridden


@record
class PermissionPolicies:
    """The identity policies of the role, and where they were read from."""

    source: str  # --permissions-policy | --template | live
    policies: list[Any]  # iam.Policy
    role_arn: str | None = None
    notes: list[str] = field(default_factory=list)

    def evidence(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "policies": [p.name for p in self.policies],
            "role_arn": self.role_arn,
            "notes": self.notes,
        }


def _read_policy_file(path: Path, what: str) -> Any:
    from ccwb_doctor.analyzers.iam.parse import parse_policy
    from ccwb_doctor.analyzers.iam.policy import PolicyError

    try:
        if path.stat().st_size > MAX_POLICY_FILE:
            raise InputError(f"{what} is larger than {MAX_POLICY_FILE} bytes", str(path))
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{what} not found", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} cannot be read ({type(exc).__name__})", str(path)) from None
    try:
        return parse_policy(text, name=path.name)
    except PolicyError as exc:
        raise InputError(f"{what}: {exc}", str(path)) from None


read_policy_file = _read_policy_file  # the CLI validates named policy files with the same reader


def _role_arn(facts: Facts) -> str | None:
    role = facts.peek("role")
    arn = getattr(role, "arn", None)
    if isinstance(arn, str):
        return arn
    hp = facts.peek("helper_profile") or {}
    arn = hp.get("federated_role_arn") or hp.get("role_arn")
    return arn if isinstance(arn, str) else None


def _federated(trust: Any) -> bool:
    stmts = trust.get("Statement") if isinstance(trust, dict) else None
    stmts = [stmts] if isinstance(stmts, dict) else stmts if isinstance(stmts, list) else []
    for st in stmts:
        princ = st.get("Principal") if isinstance(st, dict) else None
        if isinstance(princ, dict) and "Federated" in princ:
            return True
    return False


def _from_template(facts: Facts, tpl: Any, role_arn: str | None) -> PermissionPolicies | None:
    from ccwb_doctor.analyzers.iam.parse import parse_policy
    from ccwb_doctor.analyzers.iam.policy import PolicyError

    roles = [r for r in tpl.roles() if _federated(r.trust)]
    if not roles:
        return None
    wanted = role_arn.rsplit("/", 1)[-1] if role_arn else None
    role = next((r for r in roles if r.role_name == wanted), roles[0])
    out = PermissionPolicies("--template", [], role_arn)
    out.notes.append(f"policies of role {role.logical_id} in {facts.options.template}")
    for doc in tpl.policies_for_role(role.logical_id):
        try:
            out.policies.append(parse_policy(doc.document, name=f"{role.logical_id}/{doc.name}"))
        except PolicyError as exc:
            raise InputError(str(exc), str(facts.options.template)) from None
    missing = list(getattr(tpl, "missing_params", []) or [])
    if missing:
        out.notes.append(
            f"template parameters without a value ({', '.join(missing)}): their uses stay unresolved and match "
            "nothing; pass --param NAME=VALUE"
        )
    external = tpl.managed_policy_arns(role.logical_id)
    if external:
        out.notes.append(
            f"attached policies defined outside the template are not evaluated: {', '.join(external)}"
        )
    return out


def _live_policies(facts: Facts, role_arn: str) -> PermissionPolicies | None:
    """Inline + attached policies of the role via IAM; None when IAM is not reachable/permitted."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ccwb_doctor.analyzers.iam.parse import parse_policy
    from ccwb_doctor.analyzers.iam.policy import PolicyError

    name = role_arn.rsplit("/", 1)[-1]
    out = PermissionPolicies("live", [], role_arn, ["IAM ListRolePolicies / ListAttachedRolePolicies"])
    from ccwb_doctor.facts import aws

    try:
        iam = aws.client(facts, "iam")
        if iam is None:
            facts.set("permission_policies_live_error", NO_ENV_CREDS)
            return None
        names = iam.list_role_policies(RoleName=name).get("PolicyNames", [])[:50]
        for pn in names:
            doc = iam.get_role_policy(RoleName=name, PolicyName=pn)["PolicyDocument"]
            out.policies.append(parse_policy(doc if isinstance(doc, dict | str) else str(doc), name=pn))
        attached = iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", [])[:20]
        for ap in attached:
            pol = iam.get_policy(PolicyArn=ap["PolicyArn"])["Policy"]
            ver = iam.get_policy_version(PolicyArn=ap["PolicyArn"], VersionId=pol["DefaultVersionId"])
            out.policies.append(parse_policy(ver["PolicyVersion"]["Document"], name=ap["PolicyName"]))
    except (BotoCoreError, ClientError, KeyError) as exc:
        facts.set("permission_policies_live_error", f"{type(exc).__name__}: {str(exc)[:160]}")
        return None
    except PolicyError as exc:
        raise InputError(f"live IAM policy of {name}: {exc}") from None
    return out


@fact("permission_policies")
def _permission_policies(facts: Facts) -> PermissionPolicies | None:
    opts = facts.options
    role_arn = _role_arn(facts)
    if opts.permissions_policies:
        pols = [_read_policy_file(Path(p), "permissions policy") for p in opts.permissions_policies]
        return PermissionPolicies("--permissions-policy", pols, role_arn)
    tpl = facts.peek("cfn_template") if opts.template else None
    if opts.template and tpl is None:
        facts.get("cfn_template")  # re-raise the template's InputError to the reader
    if tpl is not None:
        got = _from_template(facts, tpl, role_arn)
        if got is not None:
            return got
    if opts.live and role_arn:
        return _live_policies(facts, role_arn)
    return None


@fact("scp_policies")
def _scp_policies(facts: Facts) -> list[Any]:
    return [_read_policy_file(Path(p), "SCP file") for p in facts.options.scps]


def profiles_file(facts: Facts) -> str | None:
    extra = facts.options.extra.get("profiles_file")
    if extra:
        return str(extra)
    return facts.env.get("CCWB_DOCTOR_PROFILES_FILE") or None


NO_ENV_CREDS = (
    "no AWS credentials in the environment for IAM reads (the doctor never uses the helper's federated "
    "role for IAM)"
)


def _bedrock_control_client(facts: Facts, region: str) -> Any:
    """Bedrock control plane with the run's environment keys, else (``--live``) the helper's credentials,
    which the reference role may use for ListInferenceProfiles."""
    from ccwb_doctor.facts import aws

    client = aws.client(facts, "bedrock", region)
    if client is None:
        run = facts.live_credentials
        if run is not None and run.ok:
            client = aws.client(facts, "bedrock", region, credentials=run.credentials(), env=facts.claude_env)
    return client


@fact("profiles_table")
def _profiles_table(facts: Facts) -> Any:
    from ccwb_doctor.analyzers.bedrock.profiles import (
        ProfilesTableError,
        load_profiles_table,
        merge_live_profiles,
    )

    path = profiles_file(facts)
    try:
        table = load_profiles_table(path)
    except ProfilesTableError as exc:
        raise InputError(f"inference-profile table: {exc}", path) from None
    if facts.options.live:
        summaries = _live_profiles(facts)
        if summaries:
            table = merge_live_profiles(table, summaries)
    return table


def _live_profiles(facts: Facts) -> list[dict[str, Any]]:
    """ListInferenceProfiles (system + application) in Claude Code's region; [] when not permitted."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return []
    region = facts.model_config.region or "us-east-1"
    out: list[dict[str, Any]] = []
    try:
        client = _bedrock_control_client(facts, region)
        if client is None:
            facts.set("profiles_table_live_error", NO_ENV_CREDS + " and no helper credentials")
            return []
        for kind in ("SYSTEM_DEFINED", "APPLICATION"):
            token = None
            for _ in range(LIVE_PAGES):
                kw: dict[str, Any] = {"typeEquals": kind, "maxResults": 1000}
                if token:
                    kw["nextToken"] = token
                page = client.list_inference_profiles(**kw)
                for s in page.get("inferenceProfileSummaries", []):
                    out.append(s)
                token = page.get("nextToken")
                if not token:
                    break
    except (BotoCoreError, ClientError) as exc:
        facts.set("profiles_table_live_error", f"{type(exc).__name__}: {str(exc)[:160]}")
    return json.loads(json.dumps(out, default=str))
