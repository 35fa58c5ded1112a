"""What the IAM evaluator is asked and what it answers: the request, the per-statement trace and the
decision with its explanation (``policy.evaluate`` builds them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from ccwb_doctor.analyzers.iam.conditions import ConditionTrace
from ccwb_doctor.records import record

REASONS = ("allowed", "explicit-deny", "implicit-deny", "scp-explicit-deny", "scp-implicit-deny")


@record
class Request:
    """What is being authorised. Context keys are case-insensitive; a list value is a multi-valued
    key; None (or absence) is a missing key."""

    action: str
    resource: str | None = None
    principal: Mapping[str, str | Sequence[str]] | None = None
    context: Mapping[str, str | int | bool | Sequence[str] | None] = field(default_factory=dict)


@record
class StatementTrace:
    policy: str
    index: int
    sid: str | None
    effect: str
    action_matched: bool
    resource_matched: bool
    principal_matched: bool
    conditions: list[ConditionTrace]
    applies: bool
    kind: str = "identity"  # identity | resource | scp
    error: str | None = None
    note: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        sid = f" (Sid {self.sid})" if self.sid else ""
        return f"{self.kind} policy {self.policy!r} statement #{self.index}{sid} {self.effect}"

    def failed_conditions(self) -> list[ConditionTrace]:
        return [c for c in self.conditions if not c.result]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (for check evidence)."""
        return dataclasses.asdict(self)


@record
class Decision:
    allowed: bool
    reason: str
    traces: list[StatementTrace] = field(default_factory=list)
    deciding: list[StatementTrace] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0  # statements the index ruled out (action or resource cannot match); no trace

    def to_dict(self, *, all_traces: bool = False) -> dict[str, Any]:
        """JSON-serialisable form for evidence: verdict, errors, deciding statements (and every trace
        when ``all_traces``)."""
        out: dict[str, Any] = {
            "allowed": self.allowed,
            "reason": self.reason,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "deciding": [t.to_dict() for t in self.deciding],
        }
        if all_traces:
            out["traces"] = [t.to_dict() for t in self.traces]
        return out

    def explain(self) -> list[str]:
        """Human-readable lines: the verdict, the deciding statements, and why others did not apply."""
        lines = [f"decision: {self.reason}"]
        if self.reason == "implicit-deny":
            lines.append("no applicable Allow statement")
        elif self.reason == "scp-implicit-deny":
            lines.append("no SCP statement allows the request")
        for t in self.deciding:
            lines.append(f"decided by {t.label}")
            for c in t.conditions:
                lines.append(
                    f"  condition {c.operator} {c.key}: expected {c.expected}, actual {_actual(c)} -> holds"
                )
        decided = {id(t) for t in self.deciding}
        for t in self.traces:
            if id(t) in decided or t.applies:
                continue
            why = _why_not(t)
            lines.append(f"{t.label}: does not apply ({why})")
            for c in t.failed_conditions():
                note = f" [{c.note}]" if c.note else ""
                lines.append(
                    f"  condition {c.operator} {c.key}: expected {c.expected}, actual {_actual(c)}{note}"
                )
        if self.skipped:
            lines.append(
                f"{self.skipped} other statement(s) not listed: their Action or Resource cannot match"
            )
        lines.extend(f"error: {e}" for e in self.errors)
        lines.extend(f"warning: {w}" for w in self.warnings)
        return lines


def _actual(c: ConditionTrace) -> str:
    return "(missing)" if c.actual is None else repr(c.actual)


def _why_not(t: StatementTrace) -> str:
    if t.error:
        return f"error: {t.error}"
    parts = []
    if not t.action_matched:
        parts.append("action not matched")
    if not t.resource_matched:
        parts.append("resource not matched")
    if not t.principal_matched:
        parts.append("principal not matched")
    if t.failed_conditions():
        parts.append("condition failed")
    return ", ".join(parts) or "not applicable"


# ---- compiled policy -----------------------------------------------------------------------------
