"""What a template says about the federation: the IAM OIDC provider, roles (trust policy, attached policies,
MaxSessionDuration) and policy documents as the resolver leaves them, plus the helpers the loader shares
(the partition of a region, the intrinsic-function guard, JSON line numbers).
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from ccwb_doctor.analyzers.cfn.lines import TemplateError
from ccwb_doctor.analyzers.cfn.resolve import (
    KNOWN_FUNCTIONS,
    plain,
)


class _OidcProviderFields(NamedTuple):
    logical_id: str
    url: str
    client_ids: list[str]
    thumbprints: list[str]
    line: int | None


class OidcProvider(_OidcProviderFields):
    """(logical_id, url, client_ids, thumbprints, line) plus ``.arn`` (the provider ARN)."""

    arn: str = ""


class _RoleInfoFields(NamedTuple):
    logical_id: str
    role_name: str
    trust: dict[str, Any]
    max_session_duration: int | None
    line: int | None


class RoleInfo(_RoleInfoFields):
    """(logical_id, role_name, trust, max_session_duration, line) plus ``.arn``, ``.generated_name``
    (True when CloudFormation names the role: ``<stack>-<LogicalId>-<RANDOM>``, so role_name is a guess)
    and the aliases ``.name`` (= role_name) and ``.trust_policy`` (= trust)."""

    arn: str = ""
    generated_name: bool = False

    def deployed_as(self, role_arn: str) -> bool:
        """Whether ``role_arn`` can be this role once deployed (exact ARN/name, or CloudFormation's
        generated-name pattern for this logical id)."""
        name = role_arn.rsplit("/", 1)[-1]
        if role_arn == self.arn or name == self.role_name:
            return True
        return self.generated_name and bool(
            re.fullmatch(rf"[\w+=,.@-]+-{re.escape(self.logical_id[:64])}-[A-Z0-9]{{8,13}}", name)
        )

    @property
    def name(self) -> str:
        return self.role_name

    @property
    def trust_policy(self) -> dict[str, Any]:
        return self.trust


def _document(value: Any) -> Any:
    """A resolved policy document as plain JSON types; CloudFormation also takes the document as a JSON
    string (templates build one with Fn::Sub when condition keys must be computed), parsed here. A
    string that is not JSON is returned as is, for the policy parser to report."""
    doc = plain(value)
    if isinstance(doc, str):
        try:
            return json.loads(doc)
        except ValueError:
            return doc
    return doc


class PolicyDoc(NamedTuple):
    name: str
    document: dict[str, Any]
    line: int | None


def partition_for_region(region: str) -> str:
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    if region.startswith("us-iso-"):
        return "aws-iso"
    return "aws"


def _check_functions(node: Any, where: str, line: int | None = None) -> None:
    """Reject unknown ``Fn::`` functions anywhere in the template (with the nearest line), and YAML
    aliases of mappings/sequences (CloudFormation does not allow them; they also let a small file
    expand exponentially)."""
    stack: list[tuple[Any, int | None]] = [(node, line)]
    seen: set[int] = set()
    while stack:
        cur, ln = stack.pop()
        if isinstance(cur, dict | list):
            if id(cur) in seen:
                raise TemplateError(f"{where}: YAML aliases are not allowed in CloudFormation templates")
            seen.add(id(cur))
        if isinstance(cur, dict):
            here = getattr(cur, "line", None) or ln
            if len(cur) == 1:
                (k,) = cur
                if isinstance(k, str) and k.startswith("Fn::") and k not in KNOWN_FUNCTIONS:
                    at = f"{where}:{here}" if here else where
                    raise TemplateError(f"{at}: unknown intrinsic function {k}")
            for v in cur.values():
                stack.append((v, here))
        elif isinstance(cur, list):
            stack.extend((v, ln) for v in cur)


def _json_lines(text: str, ids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for lid in ids:
        m = re.search(r'"' + re.escape(lid) + r'"\s*:\s*\{', text)
        if m:
            out[lid] = text.count("\n", 0, m.start()) + 1
    return out
