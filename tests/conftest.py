"""Shared test helpers: scenario HOMEs (real files) and running checks over them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccwb_doctor.fixtures import scenarios as sc

pytest_plugins = ["process_guard"]  # the spawn fixture; no process started by a test outlives the run


@pytest.fixture
def guidance(tmp_path: Path) -> sc.Scenario:
    return sc.guidance_install(tmp_path / "home")


@pytest.fixture
def reference(tmp_path: Path) -> sc.Scenario:
    return sc.reference_install(tmp_path / "home")


def run_ids(scenario: sc.Scenario, only: list[str], **opts):  # type: ignore[no-untyped-def]
    """Run the given checks over a scenario; returns {id: [Result, ...]}."""
    from ccwb_doctor.app import run_report

    report = run_report(scenario.options(**opts), only=only, env=scenario.env)
    out: dict[str, list] = {}
    for r in report.results:
        out.setdefault(r.id, []).append(r)
    return out


@pytest.fixture
def run_checks_on():  # type: ignore[no-untyped-def]
    return run_ids
