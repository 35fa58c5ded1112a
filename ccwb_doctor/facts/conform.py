"""Conform facts: the inputs of `ccwb-doctor conform` and every conform finding, computed once.

``conform_inputs`` is empty (``.empty`` True) unless ``options.extra["conform_paths"]`` is set, so the
conform checks skip in a normal ``ccwb-doctor run``. ``conform_findings`` maps check id -> outcomes
(``ccwb_doctor.conform.findings``).
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.facts import Facts, fact


@fact("conform_inputs")
def _conform_inputs(facts: Facts) -> Any:
    from ccwb_doctor.conform.engine import ConformInputs, collect

    extra = facts.options.extra or {}
    paths = extra.get("conform_paths")
    if not paths:
        return ConformInputs()
    param_files = list(extra.get("conform_param_files") or [])  # type: ignore[call-overload]
    return collect(list(paths), dict(facts.options.params), param_files)  # type: ignore[call-overload]


@fact("conform_findings")
def _conform_findings(facts: Facts) -> dict[str, list[Any]]:
    from ccwb_doctor.conform.findings import find_all

    return find_all(facts.conform_inputs, lambda: facts.profiles_table)
