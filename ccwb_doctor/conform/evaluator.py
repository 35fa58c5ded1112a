"""Helpers for hand-written conformance tests (the pytest plugin's ``ccwb_evaluator`` and
``ccwb_token_factory`` fixtures): the doctor's IAM evaluator and Bedrock matrix over templates and policy
files, and a minter of signed test ID tokens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class Evaluator:
    """The doctor's IAM evaluator and Bedrock matrix, ready for hand-written conformance tests.

    Wherever a method takes ``source``/``policies``, it accepts a CloudFormation template path (the
    first role that trusts a ``Federated`` principal, with ``params`` for its parameters), a JSON
    policy file (or ``aws iam get-role`` output for a trust policy), a policy document dict, or a
    policy already parsed by :func:`ccwb_doctor.analyzers.iam.policy.parse_policy`.
    """

    def _policy(self, doc: Any, name: str = "policy") -> Any:
        from ccwb_doctor.analyzers.iam.parse import parse_policy

        return doc if hasattr(doc, "statements") else parse_policy(doc, name=name)

    def _template(self, path: Path, params: Mapping[str, str]) -> tuple[Any, Any]:
        """(template, its first role trusting a Federated principal)."""
        from ccwb_doctor.analyzers.cfn.template import load_template

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
        from ccwb_doctor.analyzers.iam.policy import Request, evaluate
        from ccwb_doctor.analyzers.trust.webid import (
            build_context,
            federated_principals,
            prefix_from_principal,
        )

        if isinstance(claims, str):
            from ccwb_doctor.analyzers.token.jwt import decode

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
        from ccwb_doctor.analyzers.iam.policy import Request, evaluate

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
        from ccwb_doctor.analyzers.bedrock.matrix import MatrixEvaluator
        from ccwb_doctor.analyzers.bedrock.plan import plan_requests
        from ccwb_doctor.analyzers.bedrock.profiles import load_profiles_table

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
