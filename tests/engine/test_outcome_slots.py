"""The outcome constructors cannot put evidence in the fix slot (issue 14: the MODEL-ID slip)."""

from __future__ import annotations

import pytest

from ccwb_doctor.model import Outcome, Status, error, fail, ok, skip, warn


@pytest.mark.parametrize("ctor", [ok, warn, fail, skip, error])
def test_only_the_message_is_positional(ctor) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError):
        ctor("message", {"evidence": 1})


def test_fix_and_evidence_by_keyword() -> None:
    o = warn("m", fix="do this", evidence={"k": 1})
    assert (o.status, o.message, o.remediation, o.evidence) == (Status.WARN, "m", "do this", {"k": 1})
    assert fail("m", evidence={"k": 2}).remediation is None
    assert ok("m", evidence={"k": 3}).evidence == {"k": 3}


def test_outcome_itself_rejects_values_in_the_wrong_slot() -> None:
    with pytest.raises(TypeError, match="fix must be a str"):
        Outcome(Status.WARN, "m", {"model": "x"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="evidence must be a mapping"):
        Outcome(Status.PASS, "m", None, "not a mapping")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="message must be a str"):
        Outcome(Status.PASS, {"m": 1})  # type: ignore[arg-type]
