"""Amazon Bedrock knowledge: partitions, regions, endpoints, ARNs and model ids (pure library).

- ``partition_of(region)`` / ``partition_regions(partition)`` / ``dns_suffix(partition)``: the AWS
  partitions as botocore describes them (``partitions.json``), with a regex fallback.
- ``runtime_endpoint(region, fips=False)`` / ``control_endpoint(...)``: hostnames resolved by
  botocore's own endpoint rule set for ``bedrock-runtime`` / ``bedrock`` (FIPS, ``.amazonaws.com.cn``).
  A hostname being generated does not mean the service is deployed in that region.
- ``parse_arn`` and the builders ``foundation_model_arn`` (no account; the global leg has no region
  either), ``inference_profile_arn`` and ``application_inference_profile_arn``, with partition checks.
- ``parse_model_id``: geography prefix (``us.``, ``eu.``, ``apac.``, ``au.``, ``jp.``, ``global.``,
  ``us-gov.``), base id, provider, name, date and version.

botocore is imported inside functions and its data is cached, so importing this module is cheap.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ccwb_doctor.records import record

# Geography prefix -> partition whose regions it serves (iam_research §5.3, anchor_study §4).
GEOGRAPHIES: dict[str, str] = {
    "us": "aws",
    "eu": "aws",
    "apac": "aws",
    "au": "aws",
    "jp": "aws",
    "global": "aws",
    "us-gov": "aws-us-gov",
}
# Names the AWS guidance's config.json accepts for `cross_region_profile` (legacy spellings).
GEOGRAPHY_ALIASES: dict[str, str] = {"europe": "eu", "japan": "jp", "australia": "au"}

INVOKE_ACTIONS: tuple[str, str] = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")

_REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_PROFILE_ID_RE = re.compile(r"^[a-zA-Z0-9_.:-]{1,128}$")
_APP_PROFILE_ID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_FALLBACK_PARTITIONS: tuple[tuple[str, str, str], ...] = (
    ("aws-us-gov", r"^us\-gov\-\w+\-\d+$", "amazonaws.com"),
    ("aws-cn", r"^cn\-\w+\-\d+$", "amazonaws.com.cn"),
    ("aws-iso-b", r"^us\-isob\-\w+\-\d+$", "sc2s.sgov.gov"),
    ("aws-iso-e", r"^eu\-isoe\-\w+\-\d+$", "cloud.adc-e.uk"),
    ("aws-iso-f", r"^us\-isof\-\w+\-\d+$", "csp.hci.ic.gov"),
    ("aws-iso", r"^us\-iso\-\w+\-\d+$", "c2s.ic.gov"),
    ("aws-eusc", r"^eusc\-(de)\-\w+\-\d+$", "amazonaws.eu"),
    ("aws", r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$", "amazonaws.com"),
)


class ArnError(ValueError):
    """A string that is not a well-formed Bedrock ARN (the message says why)."""


class ModelIdError(ValueError):
    """A string that is not a well-formed Bedrock model id (the message says why)."""


# --------------------------------------------------------------------------------------------
# Partitions and regions


@record(frozen=True)
class Partition:
    """An AWS partition: its id, DNS suffix, region pattern and regions."""

    id: str
    dns_suffix: str
    region_regex: str
    regions: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def partitions() -> tuple[Partition, ...]:
    """Partitions from botocore's ``partitions.json`` (falls back to a built-in table)."""
    try:
        from ccwb_doctor.analyzers.botocore_lite import (
            load_data,  # botocore's loader search, without its imports
        )

        data = load_data("partitions")
        out = []
        for p in data["partitions"]:
            regions = tuple(r for r in p.get("regions", {}) if not r.endswith("-global"))
            out.append(Partition(p["id"], p["outputs"]["dnsSuffix"], p["regionRegex"], regions))
        if out:
            return tuple(out)
    except Exception:  # noqa: BLE001 - botocore missing or its data changed shape
        pass
    return tuple(Partition(pid, suffix, rx, ()) for pid, rx, suffix in _FALLBACK_PARTITIONS)


def is_region_name(region: object) -> bool:
    """True for a syntactically valid AWS region code (``us-east-1``, ``us-gov-west-1``)."""
    return isinstance(region, str) and bool(_REGION_RE.match(region))


def partition_of(region: str) -> str | None:
    """The partition id serving ``region`` (``aws``, ``aws-us-gov``, ``aws-cn``, …), or None."""
    if not is_region_name(region):
        return None
    parts = partitions()
    for p in parts:  # an explicitly listed region wins over a regex
        if region in p.regions:
            return p.id
    for p in parts:
        if p.id != "aws" and re.match(p.region_regex, region):
            return p.id
    for p in parts:
        if p.id == "aws" and re.match(p.region_regex, region):
            return p.id
    return None


def partition_regions(partition: str) -> tuple[str, ...]:
    """Regions botocore lists for a partition (empty when unknown)."""
    for p in partitions():
        if p.id == partition:
            return p.regions
    return ()


def known_partitions() -> tuple[str, ...]:
    return tuple(p.id for p in partitions())


def dns_suffix(partition: str) -> str | None:
    for p in partitions():
        if p.id == partition:
            return p.dns_suffix
    return None


# --------------------------------------------------------------------------------------------
# Endpoints (botocore's endpoint rule sets)


@functools.lru_cache(maxsize=4)
def _endpoint_provider(service: str) -> Any:
    import botocore.loaders
    from botocore.endpoint_provider import EndpointProvider

    loader = botocore.loaders.create_loader()
    ruleset = loader.load_service_model(service, "endpoint-rule-set-1")
    return EndpointProvider(ruleset, loader.load_data("partitions"))


@functools.lru_cache(maxsize=512)
def _resolve(service: str, region: str, fips: bool, dualstack: bool) -> str:
    ep = _endpoint_provider(service).resolve_endpoint(Region=region, UseFIPS=fips, UseDualStack=dualstack)
    return str(ep.url)


def endpoint_url(service: str, region: str, fips: bool = False, dualstack: bool = False) -> str:
    """The URL botocore would use for ``service`` in ``region``; ValueError when it cannot resolve."""
    if not is_region_name(region):
        raise ValueError(f"not an AWS region code: {region!r}")
    try:
        return _resolve(service, region, bool(fips), bool(dualstack))
    except Exception as exc:  # botocore raises EndpointResolutionError subclasses
        raise ValueError(f"no {service} endpoint for {region} (fips={fips}): {exc}") from None


def runtime_endpoint(region: str, fips: bool = False, dualstack: bool = False) -> str:
    """``https://bedrock-runtime[-fips].<region>.<dns suffix>`` as botocore resolves it."""
    return endpoint_url("bedrock-runtime", region, fips, dualstack)


def control_endpoint(region: str, fips: bool = False, dualstack: bool = False) -> str:
    return endpoint_url("bedrock", region, fips, dualstack)


def runtime_hostname(region: str, fips: bool = False) -> str:
    url = runtime_endpoint(region, fips)
    return url.split("://", 1)[-1].split("/", 1)[0]


# --------------------------------------------------------------------------------------------
# Model ids


@record(frozen=True)
class ModelId:
    """A Bedrock model id taken apart: geography prefix, provider, model, version."""

    raw: str
    geography: str | None  # us | eu | apac | au | jp | global | us-gov, None for a bare model id
    base: str  # without the geography prefix: anthropic.claude-sonnet-4-5-20250929-v1:0
    provider: str  # anthropic
    name: str  # claude-sonnet-4-5
    date: str | None  # 20250929
    version: str | None  # v1:0 (or v1, v2:1)

    @property
    def is_profile(self) -> bool:
        return self.geography is not None

    @property
    def partition(self) -> str | None:
        return GEOGRAPHIES.get(self.geography) if self.geography else None

    @property
    def is_anthropic(self) -> bool:
        return self.provider == "anthropic"


_MODEL_BODY_RE = re.compile(
    r"^(?P<provider>[a-z][a-z0-9-]*)\.(?P<rest>[a-z0-9][a-zA-Z0-9._-]*(?::[a-z0-9]+)*)$"
)
_VERSION_RE = re.compile(r"-(?P<version>(?:v\d+(?::\d+)?|\d+:\d+)(?::[0-9a-z]+)?)$")
_DATE_RE = re.compile(r"-(?P<date>20\d{6})$")


def parse_model_id(text: object) -> ModelId:
    """Split a Bedrock model id or system inference profile id into its parts.

    ``us.anthropic.claude-sonnet-4-5-20250929-v1:0`` -> geography ``us``, base
    ``anthropic.claude-sonnet-4-5-20250929-v1:0``, provider ``anthropic``, name ``claude-sonnet-4-5``,
    date ``20250929``, version ``v1:0``. Raises ModelIdError with a one-line reason.
    """
    if not isinstance(text, str):
        raise ModelIdError(f"model id must be a string, got {type(text).__name__}")
    raw = text
    s = text.strip()
    if not s:
        raise ModelIdError("model id is empty")
    if s != text:
        raise ModelIdError(f"model id {text!r} has leading or trailing whitespace")
    if s.startswith("arn:"):
        raise ModelIdError(f"{s!r} is an ARN, not a model id")
    if len(s) > 256:
        raise ModelIdError("model id is longer than 256 characters")
    geography: str | None = None
    head, sep, tail = s.partition(".")
    if not sep:
        raise ModelIdError(f"model id {s!r} has no provider prefix (expected e.g. anthropic.<model>)")
    if head in GEOGRAPHIES:
        geography, s = head, tail
    elif "." in tail.split(":", 1)[0] and head not in ("anthropic", "amazon", "meta", "cohere", "mistral"):
        raise ModelIdError(
            f"unknown geography prefix {head!r} in {raw!r} (known: {', '.join(sorted(GEOGRAPHIES))})"
        )
    m = _MODEL_BODY_RE.match(s)
    if not m:
        raise ModelIdError(f"model id {raw!r} is not <provider>.<model>[-<date>][-v<N>[:<M>]]")
    provider, rest = m.group("provider"), m.group("rest")
    if "." in rest.split(":", 1)[0]:
        raise ModelIdError(f"model id {raw!r} has an unexpected '.' in the model name")
    version = None
    vm = _VERSION_RE.search(rest)
    if vm:
        version = vm.group("version")
        rest = rest[: vm.start()]
    elif ":" in rest:
        raise ModelIdError(f"model id {raw!r} has a ':' outside a -v<N>:<M> version suffix")
    date = None
    dm = _DATE_RE.search(rest)
    if dm:
        date = dm.group("date")
        rest = rest[: dm.start()]
    if not rest:
        raise ModelIdError(f"model id {raw!r} has no model name")
    return ModelId(raw, geography, s, provider, rest, date, version)


def normalise_geography(key: object) -> str | None:
    """``cross_region_profile`` values (incl. legacy ``europe``/``japan``) -> a geography prefix."""
    if not isinstance(key, str):
        return None
    k = key.strip().lower()
    k = GEOGRAPHY_ALIASES.get(k, k)
    return k if k in GEOGRAPHIES else None


# --------------------------------------------------------------------------------------------
# ARNs

ARN_TYPES = ("foundation-model", "inference-profile", "application-inference-profile")


@record(frozen=True)
class BedrockArn:
    """A Bedrock ARN taken apart: partition, region, account, resource type and id."""

    partition: str
    region: str  # "" for the global foundation-model leg
    account: str  # "" for foundation models
    resource_type: str  # foundation-model | inference-profile | application-inference-profile
    resource_id: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:bedrock:{self.region}:{self.account}:{self.resource_type}/{self.resource_id}"

    @property
    def arn(self) -> str:
        return str(self)


def parse_arn(text: object) -> BedrockArn:
    """Parse and validate a Bedrock model / inference-profile ARN; ArnError says what is wrong."""
    if not isinstance(text, str):
        raise ArnError(f"ARN must be a string, got {type(text).__name__}")
    if not text.startswith("arn:"):
        raise ArnError(f"{text[:80]!r} does not start with 'arn:'")
    parts = text.split(":", 5)
    if len(parts) != 6:
        raise ArnError(f"{text[:80]!r} has {len(parts)} of the 6 ':'-separated ARN fields")
    _, partition, service, region, account, resource = parts
    if partition not in known_partitions():
        raise ArnError(f"unknown partition {partition!r} in {text[:80]!r}")
    if service != "bedrock":
        raise ArnError(f"service is {service!r}, not 'bedrock', in {text[:80]!r}")
    rtype, slash, rid = resource.partition("/")
    if not slash or rtype not in ARN_TYPES:
        raise ArnError(f"resource {resource[:60]!r} is not one of {', '.join(t + '/…' for t in ARN_TYPES)}")
    if not rid:
        raise ArnError(f"empty resource id in {text[:80]!r}")
    if region:
        rp = partition_of(region)
        if rp is None:
            raise ArnError(f"{region!r} is not an AWS region code")
        if rp != partition:
            raise ArnError(f"region {region} belongs to partition {rp}, but the ARN says {partition}")
    if rtype == "foundation-model":
        if account:
            raise ArnError(
                "a foundation-model ARN has no account field (arn:…:bedrock:<region>::foundation-model/…)"
            )
        try:
            parse_model_id(rid)
        except ModelIdError as exc:
            raise ArnError(f"bad foundation model id: {exc}") from None
    else:
        if not region:
            raise ArnError(f"an {rtype} ARN needs a region")
        if not _ACCOUNT_RE.match(account):
            raise ArnError(f"account {account!r} is not 12 digits")
        if rtype == "inference-profile":
            try:
                mid = parse_model_id(rid)
            except ModelIdError as exc:
                raise ArnError(f"bad inference profile id: {exc}") from None
            if mid.partition and mid.partition != partition:
                raise ArnError(f"profile {rid} belongs to partition {mid.partition}, ARN says {partition}")
        elif not _APP_PROFILE_ID_RE.match(rid):
            raise ArnError(f"application inference profile id {rid[:60]!r} is not [a-zA-Z0-9_-]{{1,64}}")
    return BedrockArn(partition, region, account, rtype, rid)


def _partition_for(region: str, partition: str | None) -> str:
    rp = partition_of(region)
    if rp is None:
        raise ArnError(f"{region!r} is not an AWS region code")
    if partition is not None and partition != rp:
        raise ArnError(f"region {region} belongs to partition {rp}, not {partition}")
    return rp


def foundation_model_arn(model_id: str, region: str | None, partition: str | None = None) -> str:
    """``arn:<p>:bedrock:<region>::foundation-model/<base id>``; region None/"" = the global leg."""
    base = parse_model_id(model_id)
    if base.geography:
        raise ArnError(f"{model_id} is an inference profile id; a foundation model ARN takes the base id")
    if not region:
        p = partition or "aws"
        if p not in known_partitions():
            raise ArnError(f"unknown partition {p!r}")
        return f"arn:{p}:bedrock:::foundation-model/{model_id}"
    return f"arn:{_partition_for(region, partition)}:bedrock:{region}::foundation-model/{model_id}"


def inference_profile_arn(profile_id: str, region: str, account: str, partition: str | None = None) -> str:
    mid = parse_model_id(profile_id)
    if not mid.geography:
        raise ArnError(f"{profile_id} has no geography prefix, so it is not a system inference profile id")
    if not _ACCOUNT_RE.match(account or ""):
        raise ArnError(f"account {account!r} is not 12 digits")
    p = _partition_for(region, partition)
    if mid.partition != p:
        raise ArnError(f"{profile_id} is a {mid.partition} profile but {region} is in {p}")
    return f"arn:{p}:bedrock:{region}:{account}:inference-profile/{profile_id}"


def application_inference_profile_arn(
    profile_id: str, region: str, account: str, partition: str | None = None
) -> str:
    if not _APP_PROFILE_ID_RE.match(profile_id or ""):
        raise ArnError(f"application inference profile id {profile_id!r} is not [a-zA-Z0-9_-]{{1,64}}")
    if not _ACCOUNT_RE.match(account or ""):
        raise ArnError(f"account {account!r} is not 12 digits")
    return f"arn:{_partition_for(region, partition)}:bedrock:{region}:{account}:application-inference-profile/{profile_id}"


def account_of_role_arn(role_arn: object) -> tuple[str, str] | None:
    """(partition, account) of an IAM role / assumed-role ARN, or None when it is not one."""
    if not isinstance(role_arn, str):
        return None
    m = re.match(r"^arn:([a-z-]+):(?:iam|sts)::(\d{12}):(?:role|assumed-role)/\S+$", role_arn)
    return (m.group(1), m.group(2)) if m else None
