"""Deploy the reference templates with boto3 CloudFormation (real AWS or a moto server).

``deploy(...)`` creates or updates a stack, waits (bounded), and returns its outputs as a dict.
``ensure_oidc_provider(...)`` registers (or finds) an IAM OIDC provider through IAM: the path for
accounts that already have the issuer registered, and for moto, whose CloudFormation lacks
``AWS::IAM::OIDCProvider``. ``bedrock_regions(...)`` computes ``AllowedBedrockRegions`` for chosen
models x source regions from the inference-profile table, ``model_ids(...)`` their ``ModelIds``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAMES = ("auth", "monitoring", "networking")
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
_DONE_OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
_DONE_BAD = {
    "CREATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "DELETE_COMPLETE",
    "DELETE_FAILED",
}


class DeployError(Exception):
    """A deployment that could not be done; ``str(exc)`` is a one-line reason."""


def template_path(name_or_path: str) -> Path:
    """A packaged template by name (auth, monitoring, networking) or a file path."""
    if name_or_path in TEMPLATE_NAMES:
        return TEMPLATES_DIR / f"{name_or_path}.yaml"
    p = Path(name_or_path)
    if not p.is_file():
        raise DeployError(f"{name_or_path}: not a template name ({', '.join(TEMPLATE_NAMES)}) or a file")
    return p


def client(
    service: str, region: str | None = None, endpoint_url: str | None = None, session: Any = None
) -> Any:
    """A client from ``session`` (a boto3 Session, e.g. the sandbox's), else the default credential chain."""
    import boto3
    from botocore.config import Config

    cfg = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=30)
    session = session or boto3.session.Session(region_name=region or None)
    return session.client(service, region_name=region or None, endpoint_url=endpoint_url or None, config=cfg)


def ensure_oidc_provider(
    url: str,
    client_ids: Sequence[str],
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    thumbprints: Sequence[str] = (),
    session: Any = None,
) -> str:
    """The ARN of the IAM OIDC provider for ``url``: found, or created through IAM."""
    iam = client("iam", region, endpoint_url, session)
    host = url.split("://", 1)[-1]
    for entry in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        arn = entry.get("Arn", "")
        if arn.split("oidc-provider/", 1)[-1] == host:
            have = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn).get("ClientIDList", [])
            for cid in client_ids:
                if cid not in have:
                    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=cid)
            return str(arn)
    kw: dict[str, Any] = {"Url": url, "ClientIDList": list(client_ids)}
    # moto (and older IAM) require a thumbprint; a real account ignores it for well-known CAs.
    kw["ThumbprintList"] = list(thumbprints) or ["0" * 40]
    return str(iam.create_open_id_connect_provider(**kw)["OpenIDConnectProviderArn"])


def _stack_status(cfn: Any, stack: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        stacks = cfn.describe_stacks(StackName=stack).get("Stacks", [])
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return stacks[0] if stacks else None


def _failure_reason(cfn: Any, stack: str) -> str:
    try:
        events = cfn.describe_stack_events(StackName=stack).get("StackEvents", [])
    except Exception:  # noqa: BLE001 - best effort detail for the message
        return "no stack events"
    for ev in events:
        if str(ev.get("ResourceStatus", "")).endswith("FAILED") and ev.get("ResourceStatusReason"):
            return f"{ev.get('LogicalResourceId')}: {ev['ResourceStatusReason']}"
    return "see the stack events"


def _wait(cfn: Any, stack: str, timeout: float, delay: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        st = _stack_status(cfn, stack)
        status = str((st or {}).get("StackStatus", "DELETE_COMPLETE"))
        if status in _DONE_OK:
            return st or {}
        if status in _DONE_BAD:
            raise DeployError(f"stack {stack} ended in {status}: {_failure_reason(cfn, stack)}")
        if time.monotonic() >= deadline:
            raise DeployError(f"stack {stack} still {status} after {timeout:.0f} s")
        time.sleep(delay)


def deploy(
    stack: str,
    template: str,
    params: Mapping[str, str] | None = None,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    timeout: float = 1800.0,
    session: Any = None,
) -> dict[str, str]:
    """Create or update ``stack`` from ``template``; wait; return the stack outputs."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    body = template_path(template).read_text("utf-8")
    cfn = client("cloudformation", region, endpoint_url, session)
    args: dict[str, Any] = {
        "StackName": stack,
        "TemplateBody": body,
        "Parameters": [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in (params or {}).items()],
        "Capabilities": CAPABILITIES,
    }
    delay = 0.2 if endpoint_url else 10.0
    try:
        existing = _stack_status(cfn, stack)
        if existing is None or existing.get("StackStatus") == "ROLLBACK_COMPLETE":
            if existing is not None:
                cfn.delete_stack(StackName=stack)
                _wait_deleted(cfn, stack, timeout, delay)
            cfn.create_stack(**args)
        else:
            try:
                cfn.update_stack(**args)
            except ClientError as exc:
                if "No updates are to be performed" not in str(exc):
                    raise
        final = _wait(cfn, stack, timeout, delay)
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        reason = " ".join(str(exc).split())
        raise DeployError(f"stack {stack}: {reason[:300]}{'...' if len(reason) > 300 else ''}") from None
    return outputs_of(final)


def _wait_deleted(cfn: Any, stack: str, timeout: float, delay: float) -> None:
    deadline = time.monotonic() + timeout
    while _stack_status(cfn, stack) not in (None,) and time.monotonic() < deadline:
        st = _stack_status(cfn, stack)
        if st is None or st.get("StackStatus") == "DELETE_COMPLETE":
            return
        time.sleep(delay)


def outputs_of(stack: Mapping[str, Any]) -> dict[str, str]:
    return {str(o["OutputKey"]): str(o.get("OutputValue", "")) for o in stack.get("Outputs", []) or []}


def model_ids(models: Iterable[str]) -> list[str]:
    """ModelIds for chosen model keys: each model's foundation-model id (what every profile routes to)."""
    from ccwb_doctor.analyzers.bedrock.profiles import load_profiles_table

    table = load_profiles_table()
    out: list[str] = []
    for key in models:
        entry = table.models.get(key)
        if entry is None:
            raise DeployError(f"unknown model {key!r} (known: {', '.join(sorted(table.models))})")
        out.append(entry.base_id)
    return list(dict.fromkeys(out))


def bedrock_regions(
    models: Iterable[str], source_regions: Iterable[str], geographies: Iterable[str] = ()
) -> list[str]:
    """AllowedBedrockRegions for chosen models x source regions: every source region that offers one
    of the models' profiles, plus every destination region of those profiles (global adds none)."""
    from ccwb_doctor.analyzers.bedrock.profiles import load_profiles_table

    table = load_profiles_table()
    geos = set(geographies)
    sources = list(dict.fromkeys(source_regions))
    out: list[str] = []
    for key in models:
        entry = table.models.get(key)
        if entry is None:
            raise DeployError(f"unknown model {key!r} (known: {', '.join(sorted(table.models))})")
        for geo, pe in entry.profiles.items():
            if geos and geo not in geos:
                continue
            used = [s for s in sources if s in pe.sources]
            if not used:
                continue
            out += used
            if geo != "global":
                out += list(pe.destinations)
    return list(dict.fromkeys(out))
