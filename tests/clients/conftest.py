"""The real clients: @aws-sdk/credential-provider-node installed pinned with npm, botocore from the venv."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccwb_doctor.analyzers.clientconfig.consumers_doc import JS_PACKAGE, JS_VERSION

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def js_sdk() -> Path:
    """node_modules holding the pinned JS SDK credential chain (installed once, reused from the cache)."""
    from npm_witness import npm_install

    root = npm_install(JS_PACKAGE, JS_VERSION, ignore_scripts=True)
    return root / "node_modules"
