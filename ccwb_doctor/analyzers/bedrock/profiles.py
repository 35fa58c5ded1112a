"""The inference-profile table: which regions each Claude inference profile routes to (data file
``ccwb_doctor/data/inference_profiles.json``, overridable with $CCWB_DOCTOR_PROFILES_FILE), loaded, validated,
cached by file stamp, and merged with ``bedrock:ListInferenceProfiles`` output (--live).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ccwb_doctor.analyzers.bedrock.catalog import (
    GEOGRAPHIES,
    ArnError,
    ModelIdError,
    is_region_name,
    normalise_geography,
    parse_arn,
    parse_model_id,
)
from ccwb_doctor.records import record

# --------------------------------------------------------------------------------------------
# The inference-profile table (data file ccwb_doctor/data/inference_profiles.json)

ALL_COMMERCIAL = "all-commercial"
PROFILES_ENV = "CCWB_DOCTOR_PROFILES_FILE"


class ProfilesTableError(ValueError):
    """A profiles table with the wrong shape; the message names the file and the JSON path."""


@record(frozen=True)
class ProfileEntry:
    """A system inference profile: its id, geography, source and destination regions."""

    profile_id: str  # us.anthropic.claude-sonnet-4-6
    geography: str
    destinations: tuple[str, ...]
    sources: tuple[str, ...]


@record(frozen=True)
class ModelEntry:
    """A Claude model in the profiles table: its base id and inference profiles."""

    key: str  # sonnet-4-6
    name: str
    family: str  # sonnet | opus | haiku | …
    base_id: str
    partition: str
    profiles: dict[str, ProfileEntry]


@record
class ProfilesTable:
    """The inference-profile table the model and region verdicts are judged with."""

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
    valid = [is_region_name(r) for r in val]
    bad = [r for r, ok in zip(val, valid, strict=True) if not ok]
    if bad:
        problems.append(f"{path}: not region codes: {', '.join(map(repr, bad[:3]))}")
    return tuple(r for r, ok in zip(val, valid, strict=True) if ok)


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
    # A plain path: the package is always installed as files (setuptools package-data), and
    # importlib.resources would import zipfile and tempfile (~5 ms) to say the same thing.
    import os

    return os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "data", "inference_profiles.json"
    )


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
