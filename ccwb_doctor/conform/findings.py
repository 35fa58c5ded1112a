"""Every conform finding over loaded inputs, check id -> outcomes, computed in one pass.

A crash in one part becomes an ``error`` outcome of the checks that part feeds; the rest continues.
``facts/conform.py`` exposes the result as the ``conform_findings`` fact the CONFORM-* checks read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ccwb_doctor.conform import collector as cc
from ccwb_doctor.conform import identity as ci
from ccwb_doctor.conform import lake as cl
from ccwb_doctor.conform import roles as crl
from ccwb_doctor.conform import template as ct
from ccwb_doctor.conform.inputs import ConformInputs


def _guarded(out: dict[str, list[Any]], ids: tuple[str, ...], fn: Callable[[], Any]) -> None:
    from ccwb_doctor.model import error

    try:
        got = fn()
    except Exception as exc:  # noqa: BLE001 - one part's crash must not stop the others
        for cid in ids:
            out.setdefault(cid, []).append(
                error(f"internal error while checking: {type(exc).__name__}: {exc}")
            )
        return
    got = got if isinstance(got, tuple) else (got,)
    for cid, outcomes in zip(ids, got, strict=True):
        out.setdefault(cid, []).extend(outcomes)


def find_all(inputs: ConformInputs, profiles_table: Callable[[], Any]) -> dict[str, list[Any]]:
    """All findings; ``profiles_table()`` gives the inference-profile table (only asked when needed)."""
    out: dict[str, list[Any]] = {}
    if inputs.empty:
        return out
    roles: list[Any] = []

    def _roles() -> Any:
        got, problems = crl.roles_of(inputs)
        roles.extend(got)
        return problems

    _guarded(out, ("CONFORM-PARSE",), lambda: ct.find_parse(inputs))
    _guarded(out, ("CONFORM-PARSE",), _roles)
    _guarded(out, ("CONFORM-PARAMS",), lambda: ct.find_params(inputs))
    _guarded(out, ("CONFORM-OIDC-CONDITION",), lambda: ct.find_oidc_condition(roles))
    _guarded(out, ("CONFORM-OIDC-CONDITION",), lambda: ct.find_cognito_condition(inputs))
    _guarded(out, ("CONFORM-TRUST", "CONFORM-TAGSESSION"), lambda: ci.find_trust(roles, inputs))
    _guarded(out, ("CONFORM-SESSION-DURATION",), lambda: ci.find_session_duration(roles, inputs))
    _guarded(out, ("CONFORM-COLLECTOR-AUTH",), lambda: cc.find_collector_auth(inputs))
    _guarded(out, ("CONFORM-LOG-RETENTION",), lambda: cl.find_log_retention(inputs))
    _guarded(out, ("CONFORM-STORAGE-PROTECTION",), lambda: cl.find_storage_protection(inputs))
    _guarded(out, ("CONFORM-LAKE-PARTITIONS",), lambda: cl.find_lake_partitions(inputs))
    _guarded(out, ("CONFORM-LAKE-QUERIES",), lambda: cl.find_lake_queries(inputs))
    _guarded(
        out, ("CONFORM-BEDROCK-REGION-CONDITION",), lambda: ct.find_bedrock_region_condition(roles, inputs)
    )
    _guarded(out, ("CONFORM-SETTINGS",), lambda: ci.find_settings(inputs))
    try:
        table = profiles_table()
    except Exception as exc:  # noqa: BLE001
        from ccwb_doctor.model import error

        for cid in ("CONFORM-REGION-LIST", "CONFORM-MODEL-PERMISSION"):
            out.setdefault(cid, []).append(error(f"inference-profile table unusable: {exc}"))
        return out
    _guarded(out, ("CONFORM-REGION-LIST",), lambda: ct.find_region_list(roles, inputs, table))
    _guarded(
        out,
        ("CONFORM-MODEL-PERMISSION",),
        lambda: ci.find_model_permission(roles + crl.policy_sets_of(inputs, roles), inputs, table),
    )
    _guarded(
        out,
        ("CONFORM-REGION-ALIGNMENT", "CONFORM-MODEL-ID", "CONFORM-MODEL-PERMISSION"),
        lambda: ci.find_settings_models(roles + crl.policy_sets_of(inputs, roles), inputs, table),
    )
    return out
