"""pytest plugin (entry point ``pytest11``): conformance tests for Claude Code on Bedrock deployments.

``pytest --ccwb-conform PATH [--ccwb-param K=V]... [--ccwb-param-file FILE]...`` runs ``ccwb-doctor
conform`` once and collects one test item per check x subject under the node ``ccwb-conform``
(``ccwb-conform::CONFORM-TRUST[infra/auth.yaml:FederatedRole <- developer (allow)]``): fail/error results
fail the item (with file:line and the fix), skips skip (at the input's location), warnings pass with a
UserWarning. See docs/conform.md.

Fixtures for hand-written conformance tests:

* ``ccwb_conform(*paths, params={}, param_files=())`` -> :class:`ConformRun` (``.results``, ``.failed``,
  ``.by_id(id)``): the same run as ``ccwb-doctor conform``.
* ``ccwb_evaluator``: :class:`Evaluator` with ``.trust(source, claims_or_jwt)`` (decision of
  ``sts:AssumeRoleWithWebIdentity``), ``.model(source, model_id, region)`` (every Bedrock request of one
  model from one region), ``.allows(source, action, resource, context)`` and ``.policies(source)``;
  ``source`` is a template path, a policy or ``get-role`` JSON file, a document, or a list of these.
* ``ccwb_token_factory``: :class:`TokenFactory` minting signed test ID tokens (``.mint(**claims)``,
  ``.jwks``, ``.issuer``, ``.client_id``); keys are generated per test session, never real secrets.

Installed into every pytest session: the module imports nothing of ccwb-doctor until it is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ccwb_doctor.conform.evaluator import Evaluator, TokenFactory
    from ccwb_doctor.conform.run import ConformRun

_LAZY = {
    "ConformRun": "ccwb_doctor.conform.run",
    "run_conform": "ccwb_doctor.conform.run",
    "Evaluator": "ccwb_doctor.conform.evaluator",
    "TokenFactory": "ccwb_doctor.conform.evaluator",
}


def __getattr__(name: str) -> Any:
    """The helpers this module used to define (ccwb_doctor.conform.*), imported when first used."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ccwb-doctor", "Claude Code on Bedrock conformance (ccwb-doctor)")
    group.addoption(
        "--ccwb-conform",
        action="append",
        default=[],
        metavar="PATH",
        help="run the ccwb-doctor conform checks over PATH (file or folder, repeatable)",
    )
    group.addoption(
        "--ccwb-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter for --ccwb-conform (repeatable)",
    )
    group.addoption(
        "--ccwb-param-file",
        action="append",
        default=[],
        metavar="FILE",
        help="template parameters file for --ccwb-conform (repeatable)",
    )


def _params(pairs: Sequence[str]) -> dict[str, str]:
    from ccwb_doctor.options import parse_params

    try:
        return parse_params(list(pairs))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


class ConformFailure(Exception):
    """A conform result with status fail or error."""


def _item_name(result: dict[str, Any]) -> str:
    subject = (result.get("evidence") or {}).get("subject")
    return f"{result['id']}[{subject}]" if subject else str(result["id"])


class ConformItem(pytest.Item):
    """One conform check x subject. A skip result is a skip mark (so the report points at the input's
    file:line), a warn result passes with a UserWarning, fail and error results fail."""

    def __init__(self, *, result: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result = result
        self.add_marker(pytest.mark.ccwb_conform)
        if result["status"] == "skip":
            self.add_marker(pytest.mark.skip(reason=str(result["message"])))

    def runtest(self) -> None:
        status = self.result["status"]
        if status == "warn":
            import warnings

            warnings.warn(f"{self.result['id']}: {self.result['message']}", UserWarning, stacklevel=1)
        if status in ("fail", "error"):
            raise ConformFailure(self.result["message"])

    def _location(self) -> tuple[str | None, int | None]:
        loc = (self.result.get("evidence") or {}).get("location") or {}
        return loc.get("path"), loc.get("line")

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:  # type: ignore[override]
        if not isinstance(excinfo.value, ConformFailure):
            return str(super().repr_failure(excinfo))
        r = self.result
        path, line = self._location()
        lines = [f"{r['id']} ({r['status']}, {r['severity']}): {r['message']}"]
        if path:
            lines.append(f"at {path}:{line or 1}")
        if r.get("remediation"):
            lines.append(f"fix: {r['remediation']}")
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Any, int, str]:
        path, line = self._location()
        return (path or self.path), (line - 1 if line else 0), self.name


class ConformCollector(pytest.Collector):
    """The conform run as a collector (node id ``ccwb-conform``): it runs ``ccwb-doctor conform`` once
    and yields one :class:`ConformItem` per result."""

    def __init__(self, *, paths: list[str], params: dict[str, str], param_files: list[str], **kw: Any):
        super().__init__(**kw)
        self.paths, self.params, self.param_files = paths, params, param_files

    def collect(self) -> list[pytest.Item]:
        from ccwb_doctor.conform.run import run_conform

        run = run_conform(self.paths, self.params, self.param_files)
        seen: dict[str, int] = {}
        items: list[pytest.Item] = []
        for r in run.results:
            name = _item_name(r)
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name}#{seen[name]}"
            items.append(ConformItem.from_parent(self, name=name, result=r))
        return items


def _display_path(raw: str, base: Path) -> str:
    """A path as the user would like to read it in test ids: relative to the invocation folder."""
    p = Path(raw)
    if not p.is_absolute():
        return raw
    try:
        return str(p.resolve().relative_to(base.resolve()))
    except ValueError:
        return raw


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ccwb_conform: a ccwb-doctor conform check x subject")
    paths = config.getoption("ccwb_conform", default=None) or []
    if not paths:
        return
    files = config.getoption("ccwb_param_file", default=None) or []
    missing = [str(p) for p in [*paths, *files] if not Path(p).exists()]
    if missing:
        raise pytest.UsageError(f"--ccwb-conform: no such file or folder: {', '.join(missing)}")
    _params(config.getoption("ccwb_param", default=None) or [])  # a bad KEY=VALUE is a usage error now


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselection, which then applies to our items too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    paths = config.getoption("ccwb_conform", default=None)
    if not paths:
        return
    base = config.invocation_params.dir
    collector = ConformCollector.from_parent(
        session,
        name="ccwb-conform",
        nodeid="ccwb-conform",
        paths=[_display_path(str(p), base) for p in paths],
        params=_params(config.getoption("ccwb_param") or []),
        param_files=[str(p) for p in config.getoption("ccwb_param_file") or []],
    )
    # collected like any other node: counted in "collected N items", a crash is a collection error
    report = config.hook.pytest_make_collect_report(collector=collector)
    config.hook.pytest_collectreport(report=report)
    if report.passed:
        items.extend(x for x in report.result if isinstance(x, pytest.Item))


# ---- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def ccwb_conform() -> Any:
    def _run(
        *paths: str | Path, params: Mapping[str, str] | None = None, param_files: Sequence[str | Path] = ()
    ) -> ConformRun:
        from ccwb_doctor.conform.run import run_conform

        return run_conform(paths, params, param_files)

    return _run


@pytest.fixture(scope="session")
def ccwb_evaluator() -> Evaluator:
    from ccwb_doctor.conform.evaluator import Evaluator

    return Evaluator()


@pytest.fixture(scope="session")
def ccwb_token_factory() -> TokenFactory:
    from ccwb_doctor.conform.evaluator import TokenFactory

    return TokenFactory()
