"""The lock (constraints.txt) names every dependency of every extra, and each pin satisfies pyproject."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]


def pins() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            out[canonicalize_name(m.group(1))] = m.group(2)
    return out


def test_every_requirement_is_pinned_within_its_bounds() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    locked = pins()
    for req in reqs:
        name = canonicalize_name(req.name)
        if name == "ccwb-doctor":
            continue
        assert name in locked, f"{req.name} is not in constraints.txt (run tools/lock)"
        assert req.specifier.contains(locked[name], prereleases=True), (req, locked[name])


def test_both_readme_commands_and_ci_install_with_the_lock() -> None:
    from test_readme import setup_commands

    for cmd in setup_commands():
        assert "-c constraints.txt" in cmd, cmd
    assert "-c constraints.txt" in (REPO / ".ci" / "run").read_text()
