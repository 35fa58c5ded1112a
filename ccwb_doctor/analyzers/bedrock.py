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
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Partition:
    id: str
    dns_suffix: str
    region_regex: str
    regions: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def partitions() -> tuple[Partition, ...]:
    """Partitions from botocore's ``partitions.json`` (falls back to a built-in table)."""
    try:
        from ccwb_doctor.botocore_lite import load_data  # botocore's loader search, without its imports

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


@dataclass(frozen=True)
class ModelId:
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


@dataclass(frozen=True)
class BedrockArn:
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


# --------------------------------------------------------------------------------------------
# The inference-profile table (data file ccwb_doctor/data/inference_profiles.json)

ALL_COMMERCIAL = "all-commercial"
PROFILES_ENV = "CCWB_DOCTOR_PROFILES_FILE"


class ProfilesTableError(ValueError):
    """A profiles table with the wrong shape; the message names the file and the JSON path."""


@dataclass(frozen=True)
class ProfileEntry:
    profile_id: str  # us.anthropic.claude-sonnet-4-6
    geography: str
    destinations: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ModelEntry:
    key: str  # sonnet-4-6
    name: str
    family: str  # sonnet | opus | haiku | …
    base_id: str
    partition: str
    profiles: dict[str, ProfileEntry]


@dataclass
class ProfilesTable:
    data_as_of: str
    source: str  # file path or "built-in" / "live"
    regions: dict[str, tuple[str, ...]]
    models: dict[str, ModelEntry]
    application_profiles: dict[str, tuple[str, ...]]  # app profile ARN -> underlying model/profile ARNs
    notes: list[str]

    def __post_init__(self) -> None:
        self._by_profile: dict[str, tuple[ModelEntry, ProfileEntry]] = {}
        self._by_base: dict[str, list[ModelEntry]] = {}
        for m in self.models.values():
            self._by_base.setdefault(m.base_id, []).append(m)
            for pe in m.profiles.values():
                self._by_profile[pe.profile_id] = (m, pe)

    def profile(self, profile_id: str) -> tuple[ModelEntry, ProfileEntry] | None:
        return self._by_profile.get(profile_id)

    def base_models(self, base_id: str, partition: str | None = None) -> list[ModelEntry]:
        found = self._by_base.get(base_id, [])
        return [m for m in found if partition is None or m.partition == partition]

    def profile_ids(self) -> list[str]:
        return sorted(self._by_profile)

    def known_regions(self) -> frozenset[str]:
        return frozenset(r for rs in self.regions.values() for r in rs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_as_of": self.data_as_of,
            "source": self.source,
            "models": len(self.models),
            "profiles": len(self._by_profile),
            "application_profiles": len(self.application_profiles),
        }


def _expect_list_of_regions(val: Any, path: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(val, list) or not all(isinstance(r, str) for r in val):
        problems.append(f"{path}: expected a list of region codes, got {type(val).__name__}")
        return ()
    bad = [r for r in val if not is_region_name(r)]
    if bad:
        problems.append(f"{path}: not region codes: {', '.join(map(repr, bad[:3]))}")
    return tuple(r for r in val if is_region_name(r))


def build_profiles_table(doc: Any, source: str = "built-in") -> ProfilesTable:
    """Validate a profiles-table document; ProfilesTableError lists the first problems by JSON path."""
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise ProfilesTableError(f"{source}: expected a JSON object at the top, got {type(doc).__name__}")
    as_of = doc.get("data_as_of")
    if not isinstance(as_of, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", as_of):
        problems.append(f"data_as_of: expected a date string YYYY-MM-DD, got {as_of!r}"[:160])
        as_of = "unknown"
    regions: dict[str, tuple[str, ...]] = {}
    raw_regions = doc.get("regions")
    if not isinstance(raw_regions, dict):
        problems.append(
            f"regions: expected an object partition -> [regions], got {type(raw_regions).__name__}"
        )
    else:
        for part, lst in raw_regions.items():
            regions[str(part)] = _expect_list_of_regions(lst, f"regions.{part}", problems)
    commercial = regions.get("aws", ())
    models: dict[str, ModelEntry] = {}
    raw_models = doc.get("models")
    if not isinstance(raw_models, dict):
        problems.append(f"models: expected an object key -> model, got {type(raw_models).__name__}")
        raw_models = {}
    for key, m in raw_models.items():
        path = f"models.{key}"
        if not isinstance(m, dict):
            problems.append(f"{path}: expected an object, got {type(m).__name__}")
            continue
        base = m.get("base_id")
        try:
            mid = parse_model_id(base)
            if mid.geography:
                raise ModelIdError(f"{base} carries a geography prefix")
        except ModelIdError as exc:
            problems.append(f"{path}.base_id: {exc}")
            continue
        name, family = m.get("name", key), m.get("family", "")
        if not isinstance(name, str) or not isinstance(family, str):
            problems.append(f"{path}: name and family must be strings")
            continue
        raw_profiles = m.get("profiles")
        if not isinstance(raw_profiles, dict):
            problems.append(
                f"{path}.profiles: expected an object geography -> profile, got {type(raw_profiles).__name__}"
            )
            continue
        profiles: dict[str, ProfileEntry] = {}
        partition = "aws"
        for geo, p in raw_profiles.items():
            ppath = f"{path}.profiles.{geo}"
            g = normalise_geography(geo)
            if g is None:
                problems.append(f"{ppath}: unknown geography {geo!r}")
                continue
            if not isinstance(p, dict):
                problems.append(f"{ppath}: expected an object with 'destinations', got {type(p).__name__}")
                continue
            dest_raw = p.get("destinations")
            if dest_raw == ALL_COMMERCIAL:
                dests = commercial
            else:
                dests = _expect_list_of_regions(dest_raw, f"{ppath}.destinations", problems)
            srcs = dests
            if "sources" in p:
                srcs = _expect_list_of_regions(p["sources"], f"{ppath}.sources", problems)
            partition = GEOGRAPHIES[g]
            profiles[g] = ProfileEntry(f"{g}.{base}", g, tuple(dests), tuple(srcs))
        models[str(key)] = ModelEntry(str(key), name, family, base, partition, profiles)
    apps: dict[str, tuple[str, ...]] = {}
    raw_apps = doc.get("application_profiles", {})
    if not isinstance(raw_apps, dict):
        problems.append("application_profiles: expected an object ARN -> [model or profile ARNs]")
    else:
        for arn, targets in raw_apps.items():
            if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
                problems.append(f"application_profiles.{arn}: expected a list of ARNs")
                continue
            apps[str(arn)] = tuple(targets)
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ProfilesTableError(f"{source}: " + "; ".join(problems[:3]) + more)
    notes = doc.get("notes") if isinstance(doc.get("notes"), list) else []
    return ProfilesTable(as_of, source, regions, models, apps, [str(n) for n in notes])


def builtin_profiles_path() -> str:
    from importlib import resources

    return str(resources.files("ccwb_doctor") / "data" / "inference_profiles.json")


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, stamp: tuple[int, int]) -> ProfilesTable:
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise ProfilesTableError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (ValueError, RecursionError) as exc:
        raise ProfilesTableError(f"{path}: not valid JSON ({exc})") from None
    return build_profiles_table(doc, source=path)


def load_profiles_table(path: str | None = None) -> ProfilesTable:
    """Load the table from ``path`` (default: the packaged data file); ProfilesTableError on bad input."""
    import os

    p = path or builtin_profiles_path()
    try:
        st = os.stat(p)
        stamp = (st.st_mtime_ns, st.st_size)  # a rewritten file is read again
    except OSError as exc:
        raise ProfilesTableError(f"{p}: cannot read ({exc.strerror or exc})") from None
    return _load_cached(p, stamp)


def merge_live_profiles(table: ProfilesTable, summaries: list[dict[str, Any]]) -> ProfilesTable:
    """Overlay ``bedrock:ListInferenceProfiles`` / ``GetInferenceProfile`` results on ``table``.

    SYSTEM_DEFINED Anthropic profiles replace the destinations of the matching entry (or add one);
    APPLICATION profiles are recorded with what they route to. The API lists only the foundation-model
    ARNs behind an application profile; one whose models span several regions (or the region-less
    global ARN) was created from a system profile, which Bedrock also authorizes, so when exactly one
    system profile of that model has those destinations and serves the application profile's region,
    the application profile is recorded as routing to that system profile (a note says so).
    """
    models = dict(table.models)
    apps = dict(table.application_profiles)
    notes = list(table.notes)
    app_summaries: list[tuple[str, list[str]]] = []
    for s in summaries:
        if not isinstance(s, dict):
            continue
        pid, arn, kind = s.get("inferenceProfileId"), s.get("inferenceProfileArn"), s.get("type")
        model_arns = [m.get("modelArn") for m in s.get("models") or [] if isinstance(m, dict)]
        model_arns = [a for a in model_arns if isinstance(a, str)]
        if kind == "APPLICATION" and isinstance(arn, str):
            app_summaries.append((arn, model_arns))
            continue
        try:
            mid = parse_model_id(pid)
        except ModelIdError:
            continue
        if not mid.geography or not mid.is_anthropic:
            continue
        dests = []
        for a in model_arns:
            try:
                parsed = parse_arn(a)
            except ArnError:
                continue
            if parsed.region and parsed.region not in dests:
                dests.append(parsed.region)
        if not dests:
            continue
        found = _find_profile(models, mid.raw)
        entry = ProfileEntry(mid.raw, mid.geography, tuple(dests), tuple(dests))
        if found:
            m, old = found
            entry = ProfileEntry(
                mid.raw, mid.geography, tuple(dests), tuple(sorted(set(old.sources) | set(dests)))
            )
            models[m.key] = ModelEntry(
                m.key, m.name, m.family, m.base_id, m.partition, {**m.profiles, mid.geography: entry}
            )
        else:
            key = f"live:{mid.base}"
            prev = models.get(key)
            profs = dict(prev.profiles) if prev else {}
            profs[mid.geography] = entry
            models[key] = ModelEntry(key, mid.name, "", mid.base, GEOGRAPHIES[mid.geography], profs)
    for arn, model_arns in app_summaries:
        system = _system_profile_behind(arn, model_arns, models)
        if system is not None:
            apps[arn] = (system,)
            notes.append(f"{arn} routes to {system} (inferred from the regions of its models)")
        else:
            apps[arn] = tuple(model_arns)
    return ProfilesTable(table.data_as_of, f"{table.source} + live", table.regions, models, apps, notes)


def _find_profile(models: dict[str, ModelEntry], profile_id: str) -> tuple[ModelEntry, ProfileEntry] | None:
    for m in models.values():
        for pe in m.profiles.values():
            if pe.profile_id == profile_id:
                return m, pe
    return None


def _system_profile_behind(app_arn: str, model_arns: list[str], models: dict[str, ModelEntry]) -> str | None:
    """The system profile an application profile was copied from, when its model ARNs say so uniquely."""
    try:
        app = parse_arn(app_arn)
        targets = [parse_arn(a) for a in model_arns]
    except ArnError:
        return None
    bases = {t.resource_id for t in targets if t.resource_type == "foundation-model"}
    if len(bases) != 1 or (len(targets) < 2 and all(t.region for t in targets)):
        return None  # a single-region application profile copies a foundation model
    regions = {t.region for t in targets if t.region}
    is_global = any(not t.region for t in targets)
    (base,) = bases
    hits = [
        pe.profile_id
        for m in models.values()
        if m.base_id == base
        for pe in m.profiles.values()
        if (pe.geography == "global") == is_global
        and GEOGRAPHIES[pe.geography] == app.partition
        and app.region in pe.sources
        and (is_global or set(pe.destinations) == regions)
    ]
    if len(hits) != 1:
        return None
    return f"arn:{app.partition}:bedrock:{app.region}:{app.account}:inference-profile/{hits[0]}"
