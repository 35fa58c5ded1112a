"""Outside witnesses from the npm registry, installed once per version into a cache the tests reuse.

``npm_install(package, version)`` returns the install directory (``node_modules`` is inside it) under
``$XDG_CACHE_HOME/ccwb-doctor-tests`` (default ``~/.cache``), so every clone and CI run on a machine shares
it. The test that needs the witness is skipped, with the reason, only when node/npm are absent, the
install times out, or the registry refuses: a witness we cannot get is never a pass.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def cache_dir(name: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ccwb-doctor-tests" / name


def npm_install(package: str, version: str, *, ignore_scripts: bool = False) -> Path:
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip(f"node/npm not on PATH: the witness {package} cannot run")
    target = cache_dir(f"{package.replace('/', '+')}-{version}")
    manifest = target / "node_modules" / package / "package.json"
    if manifest.is_file() and _version_ok(manifest, version):
        return target
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "package.json").exists():
        (target / "package.json").write_text('{"private": true}\n')
    argv = ["npm", "install", "--no-audit", "--no-fund", "--no-save", f"{package}@{version}"]
    if ignore_scripts:
        argv.insert(2, "--ignore-scripts")
    try:
        proc = subprocess.run(argv, cwd=target, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install {package}@{version} timed out (registry unreachable?)")
    if proc.returncode != 0 or not manifest.is_file():
        pytest.skip(
            f"npm install {package}@{version} failed (registry refused?): {proc.stderr.strip()[-300:]}"
        )
    return target


def _version_ok(manifest: Path, version: str) -> bool:
    """An exact pin must match; a major-only pin ("9") matches that major."""
    got = str(json.loads(manifest.read_text()).get("version", ""))
    return got == version or ("." not in version and got.split(".")[0] == version)
