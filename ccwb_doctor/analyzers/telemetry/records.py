"""The export's vocabulary and the records one run becomes (pure).

Resource attributes say who ran the doctor, pseudonymously; each log record is one result; the metric
``ccwb.doctor.checks`` counts results by check id and status. The report document given here is already
redacted (``analyzers.redact.secrets.scrub``, as every renderer gets it); this module adds the
pseudonyms of ``report --anonymize`` (with a stable key, so a host keeps its ids from run to run) and
replaces evidence by a keyed digest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ccwb_doctor.analyzers.redact.anonymize import Anonymizer
from ccwb_doctor.records import record

SCOPE = "ccwb-doctor"  # instrumentation scope of every record and metric
EVENT = "ccwb.doctor.result"  # event name of a result's log record
METRIC = "ccwb.doctor.checks"  # counter: results by check id and status
METRIC_UNIT = "{result}"

# resource attributes (OpenTelemetry semantic conventions where one fits, else ccwb.*)
R_SERVICE = "service.name"
R_VERSION = "service.version"
R_RUN = "service.instance.id"  # one id per doctor run
R_OS = "os.type"  # the machine the doctor ran on: linux | darwin | windows
R_ARCH = "host.arch"  # amd64 | arm64 | ...
R_PLATFORM = "ccwb.platform"  # the platform the verdicts are for (--platform / a captured HOME): macos-arm64
R_PLATFORM_SOURCE = "ccwb.platform.source"
R_MODE = "ccwb.doctor.mode"  # offline | default | live
R_HOST_ID = "ccwb.host.pseudo_id"
R_USER_ID = "enduser.pseudo.id"
R_CLAUDE_INSTALL = "ccwb.claude_code.install"  # native | npm | local | other | unknown
R_CLAUDE_VERSION = "ccwb.claude_code.version"
R_HELPER_KIND = "ccwb.helper.kind"  # guidance | reference | custom | none
R_HELPER_VERSION = "ccwb.helper.version"
R_IDP = "ccwb.idp.type"  # the helper config's provider_type (okta, azure, auth0, cognito, ...)
R_FEDERATION = "ccwb.federation.type"  # direct | cognito | idc
R_REGION = "cloud.region"  # Claude Code's AWS_REGION
RESOURCE_KEYS = (
    R_SERVICE,
    R_VERSION,
    R_RUN,
    R_OS,
    R_ARCH,
    R_PLATFORM,
    R_PLATFORM_SOURCE,
    R_MODE,
    R_HOST_ID,
    R_USER_ID,
    R_CLAUDE_INSTALL,
    R_CLAUDE_VERSION,
    R_HELPER_KIND,
    R_HELPER_VERSION,
    R_IDP,
    R_FEDERATION,
    R_REGION,
)

# log record attributes
L_ID = "ccwb.check.id"
L_STATUS = "ccwb.check.status"
L_SEVERITY = "ccwb.check.severity"
L_AREA = "ccwb.check.area"
L_TITLE = "ccwb.check.title"
L_FIX = "ccwb.check.remediation"
L_DIGEST = "ccwb.check.evidence_digest"
L_DURATION = "ccwb.check.duration_ms"
RECORD_KEYS = (L_ID, L_STATUS, L_SEVERITY, L_AREA, L_TITLE, L_FIX, L_DIGEST, L_DURATION)

# OpenTelemetry log severity numbers: INFO 9, WARN 13, ERROR 17, ERROR2 18
SEVERITY_NUMBER = {"pass": 9, "skip": 9, "warn": 13, "fail": 17, "error": 18}
OS_TYPE = {"macos": "darwin", "darwin": "darwin", "linux": "linux", "windows": "windows", "win32": "windows"}
ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i386": "x86",
    "i686": "x86",
}


@record(frozen=True)
class ResultRecord:
    """One result as a log record: what the SDK's ``Logger.emit`` is given."""

    time_ns: int
    severity_number: int
    severity_text: str
    body: str
    attributes: dict[str, str | float]


def os_type(name: str) -> str:
    return OS_TYPE.get(name.strip().lower(), name.strip().lower() or "unknown")


def host_arch(machine: str) -> str:
    return ARCH.get(machine.strip().lower(), machine.strip().lower() or "unknown")


def time_ns(rfc3339: str) -> int:
    """``generated_at`` (RFC 3339) as nanoseconds since the epoch (0 when it does not parse)."""
    try:
        dt = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


class Pseudonyms:
    """``report --anonymize``'s rules with a stable key: e-mail addresses, account ids and host names in
    text become the same tokens on every run with that key, the home path becomes ``~``, and ids of a
    host or a user are keyed hashes."""

    def __init__(self, key: bytes, home: str | None = None) -> None:
        self._anon = Anonymizer(key)
        self._key = key
        self._home = home if home and len(home) > 1 else None

    def text(self, value: str) -> str:
        out = self._anon.text(value)
        return out.replace(self._home, "~") if self._home else out

    def id(self, kind: str, value: str) -> str:
        return self._anon.stable_id(kind, value)

    def digest(self, evidence: Any) -> str:
        """Keyed SHA-256 of the (already redacted) evidence in canonical JSON: equal evidence, equal digest
        (across machines only when they share the key); nothing of the evidence can be read back."""
        canonical = json.dumps(
            evidence, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        )
        return hmac.new(self._key, canonical.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def result_records(doc: Mapping[str, Any], names: Pseudonyms) -> list[ResultRecord]:
    """The log records of a redacted report document, one per result, in report order."""
    when = time_ns(_s(doc.get("generated_at")))
    out: list[ResultRecord] = []
    for r in doc.get("results") or []:
        status = _s(r.get("status"))
        attrs: dict[str, str | float] = {
            L_ID: _s(r.get("id")),
            L_STATUS: status,
            L_SEVERITY: _s(r.get("severity")),
            L_AREA: _s(r.get("area")),
            L_TITLE: names.text(_s(r.get("title"))),
            L_FIX: names.text(_s(r.get("remediation"))),
            L_DIGEST: names.digest(r.get("evidence") or {}),
            L_DURATION: float(r.get("duration_ms") or 0.0),
        }
        out.append(
            ResultRecord(
                when, SEVERITY_NUMBER.get(status, 9), status.upper(), names.text(_s(r.get("message"))), attrs
            )
        )
    return out


def check_counts(doc: Mapping[str, Any]) -> Counter[tuple[str, str]]:
    """Results by (check id, status): the points of the ``ccwb.doctor.checks`` counter."""
    return Counter((_s(r.get("id")), _s(r.get("status"))) for r in doc.get("results") or [])


def platform_of(resource: Mapping[str, Any]) -> str:
    """The fleet's ``os/arch`` for a resource: the judged platform (``ccwb.platform``), else the host's."""
    label = resource.get(R_PLATFORM)
    if isinstance(label, str) and "-" in label:
        os_name, _, arch = label.partition("-")
        return f"{os_name}/{arch}"
    os_name = {"darwin": "macos"}.get(str(resource.get(R_OS) or "?"), str(resource.get(R_OS) or "?"))
    return f"{os_name}/{resource.get(R_ARCH) or '?'}"
