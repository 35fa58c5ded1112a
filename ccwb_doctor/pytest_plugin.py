"""pytest plugin (entry point ``pytest11``): conformance tests for Claude Code on Bedrock deployments.

``pytest --ccwb-conform PATH [--ccwb-param K=V]... [--ccwb-param-file FILE]...`` adds one test item per
conform check x subject (``CONFORM-TRUST[auth.yaml:FederatedRole <- developer (allow)]``): fail/error
results fail the item (with the fix and file:line), skips skip, warnings pass with a warning.

Fixtures for hand-written conformance tests:

* ``ccwb_conform(*paths, params={}, param_files=())`` -> :class:`ConformRun` (``.results``, ``.failed``,
  ``.by_id(id)``): the same run as ``ccwb-doctor conform``.
* ``ccwb_evaluator``: :class:`Evaluator` with ``.trust(template_or_policy, claims)`` (decision of
  ``sts:AssumeRoleWithWebIdentity``), ``.allows(policies, action, resource, context)`` and
  ``.model(policies, model, region)`` (every Bedrock leg of one model from one region).
* ``ccwb_token_factory``: :class:`TokenFactory` minting signed test ID tokens (``.mint(**claims)``,
  ``.jwks``, ``.issuer``, ``.client_id``); keys are generated per test session, never real secrets.
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
        raise pytest.UsageError(f"--ccwb-conform: no such file or folder: {', '.join(missing)}")
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


class ConformItem(pytest.Item):
    def __init__(self, *, result: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result = result
        self.add_marker(pytest.mark.ccwb_conform)

    def runtest(self) -> None:
        status = self.result["status"]
        if status == "skip":
            pytest.skip(self.result["message"])
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

    def reportinfo(self) -> tuple[Any, int | None, str]:
        path, line = self._location()
        return (path or self.path), (line - 1 if line else None), self.name


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ccwb_conform: a ccwb-doctor conform check x subject")


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    paths = config.getoption("ccwb_conform", default=None)
    if not paths:
        return
    run = run_conform(
        paths, _params(config.getoption("ccwb_param") or []), config.getoption("ccwb_param_file") or []
    )
    seen: dict[str, int] = {}
    for r in run.results:
        subject = (r.get("evidence") or {}).get("subject")
        name = f"{r['id']}[{subject}]" if subject else r["id"]
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}#{seen[name]}"
        items.append(ConformItem.from_parent(session, name=name, result=r))


# ---- fixtures -----------------------------------------------------------------------------------


class Evaluator:
    """The doctor's IAM evaluator and Bedrock matrix, ready for hand-written conformance tests."""

    def _policy(self, doc: Any, name: str = "policy") -> Any:
        from ccwb_doctor.analyzers.iam import parse_policy

        return doc if hasattr(doc, "statements") else parse_policy(doc, name=name)

    def trust(
        self,
        source: Any,
        claims: Mapping[str, Any],
        *,
        params: Mapping[str, str] | None = None,
        provider_url: str | None = None,
    ) -> Any:
        """Decision for sts:AssumeRoleWithWebIdentity: ``source`` is a template path (its first federated
        role), a trust policy path, or a policy document."""
        from ccwb_doctor.analyzers.iam import Request, evaluate
        from ccwb_doctor.analyzers.webid import build_context, federated_principals, prefix_from_principal

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
            from ccwb_doctor.analyzers.cfn import load_template

            tpl = load_template(p, dict(params))
            for role in tpl.roles():
                trust = role.trust
                trust = json.loads(trust) if isinstance(trust, str) else trust
                if any(
                    st.get("Principal", {}).get("Federated")
                    for st in _stmts(trust)
                    if isinstance(st.get("Principal"), dict)
                ):
                    return trust
            raise ValueError(f"{p}: no federated role")
        doc = json.loads(p.read_text("utf-8"))
        return doc.get("Role", {}).get("AssumeRolePolicyDocument", doc) if "Role" in doc else doc

    def allows(
        self,
        policies: Sequence[Any],
        action: str,
        resource: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        from ccwb_doctor.analyzers.iam import Request, evaluate

        pols = [self._policy(p, f"policy{i}") for i, p in enumerate(policies)]
        return evaluate(Request(action, resource, None, dict(context or {})), identity=pols)

    def model(self, policies: Sequence[Any], model: str, region: str, account: str = "111122223333") -> Any:
        from ccwb_doctor.analyzers.bedrock import load_profiles_table
        from ccwb_doctor.analyzers.matrix import MatrixEvaluator, plan_requests

        pols = [self._policy(p, f"policy{i}") for i, p in enumerate(policies)]
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
