"""The import graph keeps the layers (docs/architecture.md): parsed with ast, so a lazy import inside a
function counts as much as one at the top of a module.

- analyzers are pure libraries: no facts, checks, commands, render, cli, app or conform;
- checks import no commands (nor cli/app);
- nothing imports the check catalog (``ccwb_doctor.checks``) except the registry's discovery, which finds
  it by name at run time (and the tests);
- every package under ``ccwb_doctor/`` is listed in pyproject's ``packages`` (or the wheel lacks it).
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# folder -> the import name it installs as (pyproject package-dir)
ROOTS = {
    "ccwb_doctor": "ccwb_doctor",
    "checks": "ccwb_doctor.checks",
    "fixtures": "ccwb_doctor.fixtures",
    "reference_helper": "ccwb_doctor.reference_helper",
    "reference_infra": "ccwb_doctor.reference_infra",
}
ENGINE_TOP = ("facts", "checks", "commands", "render", "cli", "app", "conform", "runner", "registry")


def _modules() -> Iterator[tuple[str, Path]]:
    for folder, name in ROOTS.items():
        base = REPO / folder
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(base).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            yield ".".join([name, *parts]), path


MODULES = dict(_modules())


def _imports(module: str, path: Path) -> set[str]:
    """Every ccwb_doctor module this one imports (``from x import y`` counts as x and x.y)."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_pkg else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join([*pkg, base] if base else pkg)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in out if m == "ccwb_doctor" or m.startswith("ccwb_doctor.")}


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _under(name: str, pkg: str) -> bool:
    return name == pkg or name.startswith(pkg + ".")


def _offenders(importers: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{m} imports {i}"
        for m, deps in GRAPH.items()
        if _under(m, importers)
        for i in deps
        if any(_under(i, f"ccwb_doctor.{f}") for f in forbidden)
    )


def test_the_graph_is_not_empty() -> None:
    assert len(GRAPH) > 100
    assert "ccwb_doctor.analyzers.iam.policy" in GRAPH and "ccwb_doctor.checks.trust" in GRAPH
    assert "ccwb_doctor.analyzers.bedrock.catalog" in GRAPH["ccwb_doctor.analyzers.bedrock.matrix"]


def test_analyzers_are_pure_libraries() -> None:
    assert _offenders("ccwb_doctor.analyzers", ENGINE_TOP) == []


@pytest.mark.parametrize(
    ("domain", "may_use"),
    [
        ("iam", ()),
        ("redact", ()),
        ("cfn", ()),
        ("token", ()),
        ("net", ("redact",)),
        ("binary", ()),
        ("clientconfig", ("redact",)),
        ("bedrock", ("iam", "clientconfig")),
        ("trust", ("iam", "token")),
        ("fleet", ("redact", "telemetry")),
        ("telemetry", ("redact",)),
    ],
)
def test_analyzer_domains_import_only_what_their_docstring_allows(
    domain: str, may_use: tuple[str, ...]
) -> None:
    pkg = f"ccwb_doctor.analyzers.{domain}"
    shared = (
        "ccwb_doctor.model",
        "ccwb_doctor.records",
        "ccwb_doctor.analyzers.botocore_lite",
    )  # all may use
    allowed = (pkg, *(f"ccwb_doctor.analyzers.{d}" for d in may_use), *shared)
    bad = sorted(
        f"{m} imports {i}"
        for m, deps in GRAPH.items()
        if _under(m, pkg)
        for i in deps
        if i not in ("ccwb_doctor", "ccwb_doctor.analyzers") and not any(_under(i, a) for a in allowed)
    )
    assert bad == []


def test_checks_import_no_commands() -> None:
    assert _offenders("ccwb_doctor.checks", ("commands", "cli", "app", "render")) == []


def test_nothing_imports_the_check_catalog() -> None:
    """The registry discovers ``ccwb_doctor.checks`` by name; no other module reaches into a check."""
    bad = sorted(
        f"{m} imports {i}"
        for m, deps in GRAPH.items()
        if not _under(m, "ccwb_doctor.checks")
        for i in deps
        if _under(i, "ccwb_doctor.checks")
    )
    assert bad == []
    assert '"ccwb_doctor.checks"' in MODULES["ccwb_doctor.registry"].read_text(encoding="utf-8")


def test_conform_and_renderers_stay_in_their_lane() -> None:
    assert _offenders("ccwb_doctor.conform", ("checks", "commands", "render", "cli")) == []
    # only conform.run (the pytest fixture's run) goes through the app, as `ccwb-doctor conform` does
    assert [
        o for o in _offenders("ccwb_doctor.conform", ("app",)) if not o.startswith("ccwb_doctor.conform.run ")
    ] == []
    assert _offenders("ccwb_doctor.render", ("checks", "commands", "facts", "cli", "app", "conform")) == []
    assert _offenders("ccwb_doctor.facts", ("checks", "commands", "render", "cli", "app")) == []


def test_the_export_stays_in_its_lane() -> None:
    """``export`` (app layer) reads facts and the report; it never reaches into commands, the CLI,
    renderers or checks; the app's export step, the CLI's check of ``--export`` and the fleet sandbox (an
    embedder that sends each simulated developer's run) are all that import it."""
    assert _offenders("ccwb_doctor.export", ("checks", "commands", "render", "cli", "app", "conform")) == []
    importers = sorted(
        m
        for m, deps in GRAPH.items()
        if not _under(m, "ccwb_doctor.export") and any(_under(i, "ccwb_doctor.export") for i in deps)
    )
    assert importers == ["ccwb_doctor.app", "ccwb_doctor.cli", "ccwb_doctor.fixtures.sandbox_fleet"]


def test_every_package_is_in_the_wheel() -> None:
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(cfg["packages"])
    found = {m for m, p in MODULES.items() if p.name == "__init__.py"}
    assert found - listed == set()
    assert listed - found == set()
