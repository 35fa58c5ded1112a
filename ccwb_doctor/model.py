"""Core value types: statuses, severities, check metadata, outcomes and results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from typing import Any

from ccwb_doctor.records import record

# Catalog order of areas (DESIGN.md check table order). Checks sort by area, then definition order.
AREAS: tuple[str, ...] = (
    "config",
    "token",
    "trust",
    "region",
    "model",
    "network",
    "binary",
    "live",
    "otel",
    "conform",
)

# Areas that run only when asked for by --only (conform checks read CI inputs, not a developer's machine).
OPT_IN_AREAS: frozenset[str] = frozenset({"conform"})


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@record(frozen=True)
class CheckMeta:
    """What a check is: stable id, title, area, severity, default remediation, docs link, inputs it needs."""

    id: str
    title: str
    area: str
    severity: Severity
    remediation: str
    docs: str = ""
    needs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "area": self.area,
            "severity": str(self.severity),
            "remediation": self.remediation,
            "docs": self.docs,
            "needs": list(self.needs),
        }


@record
class Outcome:
    """What a check function returns; the runner adds metadata and timing to make a Result.

    ``remediation`` is one line of text (or None for the check's default) and ``evidence`` a mapping:
    both are checked here, so a value in the wrong slot fails where it is made, not in a renderer.
    """

    status: Status
    message: str
    remediation: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.message, str):
            raise TypeError(f"Outcome message must be a str, not {type(self.message).__name__}")
        if self.remediation is not None and not isinstance(self.remediation, str):
            raise TypeError(f"Outcome fix must be a str or None, not {type(self.remediation).__name__}")
        if not isinstance(self.evidence, Mapping):
            raise TypeError(f"Outcome evidence must be a mapping, not {type(self.evidence).__name__}")
        self.status = Status(self.status)
        if not isinstance(self.evidence, dict):
            self.evidence = dict(self.evidence)


# The constructors take only the message positionally: ``fix`` and ``evidence`` are keyword-only, so
# ``(warn if x else ok)(msg, ev)`` cannot put evidence in the fix slot (ok/skip/error once took evidence
# second and warn/fail took the fix second).


def ok(message: str, *, evidence: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.PASS, message, None, dict(evidence or {}))


def warn(message: str, *, fix: str | None = None, evidence: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.WARN, message, fix, dict(evidence or {}))


def fail(message: str, *, fix: str | None = None, evidence: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.FAIL, message, fix, dict(evidence or {}))


def skip(reason: str, *, evidence: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.SKIP, reason, None, dict(evidence or {}))


def error(message: str, *, evidence: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.ERROR, message, None, dict(evidence or {}))


@record
class Result:
    """One outcome of one check, with the check's metadata, as every renderer reads it."""

    id: str
    title: str
    area: str
    status: Status
    severity: Severity
    message: str
    remediation: str
    evidence: dict[str, Any]
    duration_ms: float

    @classmethod
    def from_outcome(cls, meta: CheckMeta, outcome: Outcome, duration_ms: float) -> Result:
        remediation = outcome.remediation
        if remediation is None:
            remediation = meta.remediation if outcome.status in (Status.FAIL, Status.WARN) else ""
        return cls(
            id=meta.id,
            title=meta.title,
            area=meta.area,
            status=outcome.status,
            severity=meta.severity,
            message=outcome.message,
            remediation=remediation,
            evidence=outcome.evidence,
            duration_ms=round(duration_ms, 3),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "area": self.area,
            "status": str(self.status),
            "severity": str(self.severity),
            "message": self.message,
            "remediation": self.remediation,
            "evidence": self.evidence,
            "duration_ms": self.duration_ms,
        }


class InputError(Exception):
    """Bad or unreadable input: carries a one-line reason that names the file when there is one."""

    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = " ".join(str(reason).split())
        self.path = path
        super().__init__(f"{path}: {self.reason}" if path else self.reason)


@record(frozen=True)
class FileEdit:
    """One change a fixer proposes to one file (``ccwb-doctor fix``): the whole new content (None keeps
    the bytes) and/or a new permission mode (None keeps the mode). ``summary`` says what and why."""

    path: str
    summary: str
    content: bytes | None = None
    mode: int | None = None

    def __post_init__(self) -> None:
        if self.content is None and self.mode is None:
            raise ValueError("a FileEdit changes the content, the mode or both")


@record(frozen=True)
class RunCommand:
    """A repair that is not a file edit (``ccwb-doctor fix``): one program run without a shell, shown in the
    plan as the command line it is, journaled, and undone by running ``undo``. ``path`` is the file it acts
    on (it must be inside the HOME). ``xattr`` is the extended attribute (name, value) the fixer saw on
    ``path``: when the value differs at apply time the command is not run, and ``--undo`` runs ``undo`` only
    while the attribute is still absent."""

    argv: tuple[str, ...]
    summary: str
    path: str
    undo: tuple[str, ...] | None = None
    xattr: tuple[str, bytes] | None = None

    def __post_init__(self) -> None:
        if not self.argv:
            raise ValueError("a RunCommand runs a program")


@record(frozen=True)
class Advice:
    """What a fixer says when the repair is not local and certain: the developer (or an admin) does it."""

    message: str
