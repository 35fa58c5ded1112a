"""The real clients: @aws-sdk/credential-provider-node installed pinned with npm, botocore from the venv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ccwb_doctor.analyzers.clientconfig.consumers_doc import JS_PACKAGE, JS_VERSION

REPO = Path(__file__).resolve().parents[2]


def _cache_root() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "ccwb-doctor" if xdg else REPO / ".cache"


@pytest.fixture(scope="session")
def js_sdk() -> Path:
    """node_modules holding the pinned JS SDK credential chain (installed once, reused from the cache)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not on PATH: the Claude Code (JS SDK v3) side cannot be measured")
    root = _cache_root() / f"npm-credential-provider-node-{JS_VERSION}"
    manifest = root / "node_modules" / JS_PACKAGE / "package.json"
    if not (manifest.is_file() and json.loads(manifest.read_text()).get("version") == JS_VERSION):
        root.mkdir(parents=True, exist_ok=True)
        (root / "package.json").write_text('{"private": true}\n')
        proc = subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                "--no-save",
                f"{JS_PACKAGE}@{JS_VERSION}",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, f"npm install {JS_PACKAGE}@{JS_VERSION} failed:\n{proc.stderr[-3000:]}"
    assert json.loads(manifest.read_text())["version"] == JS_VERSION
    return root / "node_modules"
