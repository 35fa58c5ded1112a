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

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest


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


# ---- running conform ----------------------------------------------------------------------------


class ConformRun:
    """The results of one conform run, as JSON-report dicts (redacted like every renderer's output)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.results: list[dict[str, Any]] = list(doc.get("results", []))

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] in ("fail", "error")]

    def by_id(self, check_id: str) -> list[dict[str, Any]]:
        return [r for r in self.results if r["id"] == check_id]

    def statuses(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for r in self.results:
            out.setdefault(r["id"], set()).add(r["status"])
        return out


def run_conform(
    paths: Sequence[str | Path],
    params: Mapping[str, str] | None = None,
    param_files: Sequence[str | Path] = (),
) -> ConformRun:
    from ccwb_doctor.app import render_report, run_report
    from ccwb_doctor.options import OFFLINE, RunOptions

    missing = [str(p) for p in [*paths, *param_files] if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"ccwb-doctor conform: no such file or folder: {', '.join(missing)}")
    options = RunOptions(
        mode=OFFLINE,
        params=dict(params or {}),
        extra={
            "conform_paths": [str(p) for p in paths],
            "conform_param_files": [str(p) for p in param_files],
        },
    )
    report = run_report(options, only=["conform"], env={})
    return ConformRun(json.loads(render_report(report, "json")))


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


class Evaluator:
    """The doctor's IAM evaluator and Bedrock matrix, ready for hand-written conformance tests.

    Wherever a method takes ``source``/``policies``, it accepts a CloudFormation template path (the
    first role that trusts a ``Federated`` principal, with ``params`` for its parameters), a JSON
    policy file (or ``aws iam get-role`` output for a trust policy), a policy document dict, or a
    policy already parsed by :func:`ccwb_doctor.analyzers.iam.parse_policy`.
    """

    def _policy(self, doc: Any, name: str = "policy") -> Any:
        from ccwb_doctor.analyzers.iam import parse_policy

        return doc if hasattr(doc, "statements") else parse_policy(doc, name=name)

    def _template(self, path: Path, params: Mapping[str, str]) -> tuple[Any, Any]:
        """(template, its first role trusting a Federated principal)."""
        from ccwb_doctor.analyzers.cfn import load_template

        tpl = load_template(path, dict(params))
        for role in tpl.roles():
            trust = role.trust
            trust = json.loads(trust) if isinstance(trust, str) else trust
            if any(
                st.get("Principal", {}).get("Federated")
                for st in _stmts(trust)
                if isinstance(st.get("Principal"), dict)
            ):
                return tpl, role
        raise ValueError(f"{path}: no role trusts a Federated principal")

    def policies(self, source: Any, *, params: Mapping[str, str] | None = None) -> list[Any]:
        """Parsed permission policies: a template's federated role's policies, a policy file, a list of
        any of these, or documents."""
        if isinstance(source, str | Path) and Path(source).suffix in (".yaml", ".yml", ".template"):
            tpl, role = self._template(Path(source), params or {})
            docs = tpl.policies_for_role(role.logical_id)
            return [
                self._policy(json.loads(d.document) if isinstance(d.document, str) else d.document, d.name)
                for d in docs
            ]
        if isinstance(source, str | Path):
            doc = json.loads(Path(source).read_text("utf-8"))
            doc = doc["PolicyDocument"] if isinstance(doc.get("PolicyDocument"), dict) else doc
            return [self._policy(doc, Path(source).name)]
        if isinstance(source, Sequence):
            return [p for i, item in enumerate(source) for p in self._one(item, i, params)]
        return [self._policy(source)]

    def _one(self, item: Any, i: int, params: Mapping[str, str] | None) -> list[Any]:
        if isinstance(item, str | Path):
            return self.policies(item, params=params)
        return [self._policy(item, f"policy{i}")]

    def trust(
        self,
        source: Any,
        claims: Mapping[str, Any] | str,
        *,
        params: Mapping[str, str] | None = None,
        provider_url: str | None = None,
    ) -> Any:
        """Decision (``.allowed``, ``.reason``, ``.explain()``) for sts:AssumeRoleWithWebIdentity with
        these claims (or a JWT, whose payload is read without verification)."""
        from ccwb_doctor.analyzers.iam import Request, evaluate
        from ccwb_doctor.analyzers.webid import build_context, federated_principals, prefix_from_principal

        if isinstance(claims, str):
            from ccwb_doctor.analyzers.jwt_token import decode

            claims = decode(claims).claims
        doc = self._trust_doc(source, params or {})
        feds = [f for st in _stmts(doc) for f in federated_principals(st)]
        if not feds:
            raise ValueError("the trust policy names no Federated principal")
        url = provider_url or str(claims.get("iss") or f"https://{prefix_from_principal(feds[0])}")
        ctx = build_context(dict(claims), url, provider_arn=feds[0] if feds[0].startswith("arn:") else None)
        req = Request("sts:AssumeRoleWithWebIdentity", None, {"Federated": feds[0]}, ctx.keys)
        return evaluate(req, resource=[self._policy(doc, "trust")])

    def _trust_doc(self, source: Any, params: Mapping[str, str]) -> dict[str, Any]:
        if isinstance(source, Mapping):
            return dict(source)
        p = Path(source)
        if p.suffix in (".yaml", ".yml", ".template"):
            _, role = self._template(p, params)
            return json.loads(role.trust) if isinstance(role.trust, str) else dict(role.trust)
        doc = json.loads(p.read_text("utf-8"))
        return doc.get("Role", {}).get("AssumeRolePolicyDocument", doc) if "Role" in doc else doc

    def allows(
        self,
        policies: Any,
        action: str,
        resource: str | None = None,
        context: Mapping[str, Any] | None = None,
        *,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Decision of the identity policies for one request (``context``: condition keys)."""
        from ccwb_doctor.analyzers.iam import Request, evaluate

        pols = self.policies(policies, params=params)
        return evaluate(Request(action, resource, None, dict(context or {})), identity=pols)

    def model(
        self,
        policies: Any,
        model: str,
        region: str,
        account: str = "111122223333",
        *,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """PlanVerdict (``.allowed``, ``.denied_regions()``, ``.summary()``) for every Bedrock request one
        model id (inference profile, foundation model or ARN) makes from ``region``."""
        from ccwb_doctor.analyzers.bedrock import load_profiles_table
        from ccwb_doctor.analyzers.matrix import MatrixEvaluator, plan_requests

        pols = self.policies(policies, params=params)
        return MatrixEvaluator(pols, []).evaluate(
            plan_requests(model, region, load_profiles_table(), account)
        )


def _stmts(doc: Any) -> list[dict[str, Any]]:
    s = doc.get("Statement") if isinstance(doc, dict) else None
    s = [s] if isinstance(s, dict) else s if isinstance(s, list) else []
    return [x for x in s if isinstance(x, dict)]


class TokenFactory:
    """Mints RS256 ID tokens with a key generated for the test session (fixtures.idp_keys when present)."""

    def __init__(self, issuer: str = "https://idp.example.com", client_id: str = "ccwb-client") -> None:
        self.issuer, self.client_id = issuer, client_id
        try:
            from ccwb_doctor.fixtures.idp_keys import KeyRing, sign
        except ImportError:  # pragma: no cover - the fixtures package ships with ccwb-doctor
            KeyRing = sign = None  # noqa: N806
        self._ring = KeyRing() if KeyRing else None
        self._sign = sign
        if self._ring is None:  # pragma: no cover
            from cryptography.hazmat.primitives.asymmetric import rsa

            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def jwks(self) -> dict[str, Any]:
        if self._ring is not None:
            self._ring.active("RS256")
            return self._ring.jwks()
        import jwt  # pragma: no cover

        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))  # pragma: no cover
        return {"keys": [{**jwk, "kid": "test", "alg": "RS256", "use": "sig"}]}  # pragma: no cover

    def claims(self, lifetime: int = 3600, **claims: Any) -> dict[str, Any]:
        import time

        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "test-user",
            "iat": now,
            "exp": now + lifetime,
        }
        body.update(claims)
        return {k: v for k, v in body.items() if v is not None}

    def mint(self, lifetime: int = 3600, **claims: Any) -> str:
        """A signed token; claims override the defaults (a claim set to None is removed). Use
        ``**{"https://aws.amazon.com/tags": {...}}`` for session tags."""
        body = self.claims(lifetime, **claims)
        if self._ring is not None and self._sign is not None:
            return str(self._sign(self._ring, body, alg="RS256", kid=None, headers=None, bad_signature=False))
        import jwt  # pragma: no cover

        return str(
            jwt.encode(body, self._key, algorithm="RS256", headers={"kid": "test"})
        )  # pragma: no cover


@pytest.fixture
def ccwb_conform() -> Any:
    def _run(
        *paths: str | Path, params: Mapping[str, str] | None = None, param_files: Sequence[str | Path] = ()
    ) -> ConformRun:
        return run_conform(paths, params, param_files)

    return _run


@pytest.fixture(scope="session")
def ccwb_evaluator() -> Evaluator:
    return Evaluator()


@pytest.fixture(scope="session")
def ccwb_token_factory() -> TokenFactory:
    return TokenFactory()
