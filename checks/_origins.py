"""Where an environment value came from, added to the outcomes that name it (CONFIG, MODEL, OTEL checks).

A FAIL or WARN about ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``ANTHROPIC_DEFAULT_OPUS_MODEL`` names the settings
layer that set it (user, project, local, managed, or the process environment), and its fix says to edit that
file (for managed settings: to ask whoever manages it), so the user does not edit a file another one overrides.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ccwb_doctor.model import Outcome, Status


def name_origins(outs: Outcome | Sequence[Outcome], facts: Any) -> list[Outcome]:
    from ccwb_doctor.analyzers.clientconfig.settings_layers import origins_note, where_to_change

    items = [outs] if isinstance(outs, Outcome) else list(outs)
    origins: Mapping[str, str] = facts.peek("env_origins") or {}
    if not origins:
        return items
    out: list[Outcome] = []
    for o in items:
        if o.status not in (Status.FAIL, Status.WARN):
            out.append(o)
            continue
        note = origins_note(o.message, origins)
        fix = o.remediation
        key = _first_named(f"{fix or ''} {o.message}", origins)
        if fix and key:
            home = facts.peek("home")
            fix = where_to_change(origins[key], fix[0].lower() + fix[1:], str(home) if home else None)
            fix = fix[0].upper() + fix[1:]
        out.append(dataclasses.replace(o, message=o.message + note, remediation=fix))
    return out


def _first_named(text: str, origins: Mapping[str, str]) -> str | None:
    from ccwb_doctor.analyzers.clientconfig.settings_layers import named_variables

    return next((n for n in named_variables(text) if n in origins), None)
