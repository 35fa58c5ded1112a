"""The standards say ruff clean: lint the whole repository, and check the formatting of its Python files."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ruff") is None, reason="ruff is not installed (it is in the test extras)"
)


def ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ruff_check_is_clean() -> None:
    p = ruff("check", "--no-cache", "--output-format", "concise", ".")
    assert p.returncode == 0, p.stdout + p.stderr


def test_python_files_are_ruff_formatted() -> None:
    # Markdown is excluded: recent ruff also formats code blocks inside README.md, a prose file.
    p = ruff("format", "--check", "--no-cache", "--exclude", "*.md", ".")
    assert p.returncode == 0, p.stdout + p.stderr
