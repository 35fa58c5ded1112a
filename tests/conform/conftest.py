"""Fixtures for the conform tests; the shared data and builders live in conform_support."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conform_support import CLAIMS, HELPER_CONFIG, PARAMS, SETTINGS, conform, write_json

from ccwb_doctor.reference_infra.deploy import TEMPLATES_DIR


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    """A repo folder: the reference templates, a parameters file, claims, helper config and settings."""
    root = tmp_path / "deploy"
    shutil.copytree(TEMPLATES_DIR, root / "templates")
    write_json(root / "params.json", [{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMS.items()])
    write_json(root / "identities.claims.json", CLAIMS)
    write_json(root / "client" / "config.json", HELPER_CONFIG)
    write_json(root / "client" / "settings.json", SETTINGS)
    return root


@pytest.fixture
def run_conform() -> Callable[..., tuple[int, dict[str, Any]]]:
    return conform
