"""Conform facts: the inputs of `ccwb-doctor conform` and every conform finding, computed once.

``conform_inputs`` is empty (``.empty`` True) unless ``options.extra["conform_paths"]`` is set, so the
conform checks skip in a normal ``ccwb-doctor run``. ``conform_findings`` maps check id -> outcomes;
a crash in one part becomes an ``error`` outcome of the checks that part feeds, the rest continues.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ccwb_doctor.facts import Facts, fact


@fact("conform_inputs")
def _conform_inputs(facts: Facts) -> Any:
    from ccwb_doctor.conform_engine import ConformInputs, collect

    extra = facts.options.extra or {}
    paths = extra.get("conform_paths")
    if not paths:
        return ConformInputs()
    param_files = list(extra.get("conform_param_files") or [])  # type: ignore[call-overload]
    return collect(list(paths), dict(facts.options.params), param_files)  # type: ignore[call-overload]


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


@fact("conform_findings")
def _conform_findings(facts: Facts) -> dict[str, list[Any]]:
    from ccwb_doctor import conform_identity as ci
    from ccwb_doctor import conform_template as ct

    inputs = facts.conform_inputs
    out: dict[str, list[Any]] = {}
    if inputs.empty:
        return out
    roles: list[Any] = []

    def _roles() -> Any:
        got, problems = ct.roles_of(inputs)
        roles.extend(got)
        return problems

    _guarded(out, ("CONFORM-PARSE",), lambda: ct.find_parse(inputs))
    _guarded(out, ("CONFORM-PARSE",), _roles)
    _guarded(out, ("CONFORM-PARAMS",), lambda: ct.find_params(inputs))
    _guarded(out, ("CONFORM-OIDC-CONDITION",), lambda: ct.find_oidc_condition(roles))
    _guarded(out, ("CONFORM-OIDC-CONDITION",), lambda: ct.find_cognito_condition(inputs))
    _guarded(out, ("CONFORM-TRUST", "CONFORM-TAGSESSION"), lambda: ci.find_trust(roles, inputs))
    _guarded(out, ("CONFORM-SESSION-DURATION",), lambda: ci.find_session_duration(roles, inputs))
    _guarded(out, ("CONFORM-COLLECTOR-AUTH",), lambda: ct.find_collector_auth(inputs))
    _guarded(
        out, ("CONFORM-BEDROCK-REGION-CONDITION",), lambda: ct.find_bedrock_region_condition(roles, inputs)
    )
    _guarded(out, ("CONFORM-SETTINGS",), lambda: ci.find_settings(inputs))
    try:
        table = facts.profiles_table
    except Exception as exc:  # noqa: BLE001
        from ccwb_doctor.model import error

        for cid in ("CONFORM-REGION-LIST", "CONFORM-MODEL-PERMISSION"):
            out.setdefault(cid, []).append(error(f"inference-profile table unusable: {exc}"))
        return out
    _guarded(out, ("CONFORM-REGION-LIST",), lambda: ct.find_region_list(roles, inputs, table))
    _guarded(
        out,
        ("CONFORM-MODEL-PERMISSION",),
        lambda: ci.find_model_permission(roles + ct.policy_sets_of(inputs, roles), inputs, table),
    )
    _guarded(
        out,
        ("CONFORM-REGION-ALIGNMENT", "CONFORM-MODEL-ID", "CONFORM-MODEL-PERMISSION"),
        lambda: ci.find_settings_models(roles + ct.policy_sets_of(inputs, roles), inputs, table),
    )
    return out
