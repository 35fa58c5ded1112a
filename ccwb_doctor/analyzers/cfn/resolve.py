"""Intrinsic-function resolution for CloudFormation templates (pure; used by ``cfn.Template``).

The :class:`Resolver` mixin holds the resolution of ``Ref``, the pseudo parameters and every
``Fn::`` function; ``cfn.py`` documents the contract (what resolves, what becomes
:class:`Unresolved`, what raises :class:`TemplateError`).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import field
from typing import Any, TypeVar

from ccwb_doctor.analyzers.cfn.lines import LineDict, TemplateError
from ccwb_doctor.records import record

__all__ = ["Resolver", "Resource", "Unresolved", "NO_VALUE", "KNOWN_FUNCTIONS", "plain", "guarded"]

KNOWN_FUNCTIONS = frozenset(
    {
        "Ref",
        "Condition",
        "Fn::Sub",
        "Fn::GetAtt",
        "Fn::Join",
        "Fn::If",
        "Fn::Equals",
        "Fn::Not",
        "Fn::And",
        "Fn::Or",
        "Fn::Select",
        "Fn::Split",
        "Fn::FindInMap",
        "Fn::Base64",
        "Fn::ImportValue",
        "Fn::GetAZs",
        "Fn::Cidr",
        "Fn::Length",
        "Fn::ToJsonString",
        "Fn::Transform",
        # Rules-section functions: valid in a template, never resolved here.
        "Fn::Contains",
        "Fn::EachMemberEquals",
        "Fn::EachMemberIn",
        "Fn::RefAll",
        "Fn::ValueOf",
        "Fn::ValueOfAll",
    }
)
_RULE_FUNCTIONS = frozenset(
    {
        "Fn::Contains",
        "Fn::EachMemberEquals",
        "Fn::EachMemberIn",
        "Fn::RefAll",
        "Fn::ValueOf",
        "Fn::ValueOfAll",
    }
)
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


@record(frozen=True)
class Unresolved:
    """A value that cannot be known before deployment (or a missing parameter)."""

    what: str

    def __str__(self) -> str:
        return f"UNRESOLVED({self.what})"


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@record
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]
    line: int | None
    condition: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def line_of(self, *path: str | int) -> int | None:
        """Line of a nested property (e.g. ``line_of("AssumeRolePolicyDocument", "Statement")``)."""
        node: Any = self.properties
        best = self.line
        for step in path:
            if isinstance(node, LineDict) and isinstance(step, str):
                best = node.key_lines.get(step, best)
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                node = node[step]
                best = getattr(node, "line", None) or best
            else:
                break
        return best


def _guard(where: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except TemplateError:
        raise
    except RecursionError:
        raise TemplateError(f"{where}: template nesting too deep to resolve") from None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise TemplateError(f"{where}: cannot resolve ({type(exc).__name__}: {exc})") from None


F = TypeVar("F", bound=Callable[..., Any])


def guarded(method: F) -> F:
    """Make a public Template method raise only TemplateError."""

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _guard(self.where, lambda: method(self, *args, **kwargs))

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper  # type: ignore[return-value]


# resource types whose Ref is the physical name, given by this property when the template sets it
_NAME_PROPERTY = {
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Policy": "PolicyName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Athena::WorkGroup": "Name",
}


class Resolver:
    """Mixin: needs ``where, region, account, partition, stack_name, unresolved, param_values,
    resources, mappings, conditions`` and ``condition_true`` on the concrete class."""

    where: str
    region: str
    account: str
    partition: str
    stack_name: str
    unresolved: list[str]
    param_values: dict[str, Any]
    resources: dict[str, Resource]
    mappings: dict[str, Any]
    conditions: dict[str, Any]

    def condition_true(self, name: str) -> bool:  # pragma: no cover - provided by Template
        raise NotImplementedError

    # ---- resolution -------------------------------------------------------------------------------

    def _cond(self, node: Any) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg) = next(iter(node.items()))
            if fn == "Condition":
                return self.condition_true(str(arg))
            if fn == "Fn::Equals":
                if not isinstance(arg, list) or len(arg) != 2:
                    raise TemplateError(f"{self.where}: Fn::Equals needs two values")
                a, b = (self._resolve(x) for x in arg)
                return _scalar(a) == _scalar(b)
            if fn == "Fn::Not":
                args = arg if isinstance(arg, list) else [arg]
                if len(args) != 1:
                    raise TemplateError(f"{self.where}: Fn::Not needs one condition")
                return not self._cond(args[0])
            if fn in ("Fn::And", "Fn::Or"):
                if not isinstance(arg, list) or not arg:
                    raise TemplateError(f"{self.where}: {fn} needs a list of conditions")
                vals = [self._cond(x) for x in arg]
                return all(vals) if fn == "Fn::And" else any(vals)
        if isinstance(node, str) and node in self.conditions:
            return self.condition_true(node)
        raise TemplateError(f"{self.where}: not a condition expression: {_short(node)}")

    def resolve(self, node: Any) -> Any:
        """Resolve intrinsics in ``node``; returns plain dicts/lists/strings (or Unresolved).
        Raises only TemplateError."""
        return _guard(self.where, self._resolve, node)

    def _resolve(self, node: Any) -> Any:
        if isinstance(node, dict):
            if len(node) == 1:
                (k,) = node
                if k == "Ref" or (isinstance(k, str) and k.startswith("Fn::")):
                    return self._fn(k, node[k])
            out = {}
            for k, v in node.items():
                r = self._resolve(v)
                if r is not NO_VALUE:
                    out[k] = r
            return out
        if isinstance(node, list):
            return [r for r in (self._resolve(v) for v in node) if r is not NO_VALUE]
        return node

    def _note(self, what: str) -> Unresolved:
        u = Unresolved(what)
        if what not in self.unresolved:
            self.unresolved.append(what)
        return u

    def _pseudo(self, name: str) -> Any:
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        table: dict[str, Any] = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": suffix,
            "AWS::NoValue": NO_VALUE,
            "AWS::NotificationARNs": [],
            "AWS::StackId": f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/"
            f"{self.stack_name}/00000000-0000-0000-0000-000000000000",
        }
        if name not in table:
            raise TemplateError(f"{self.where}: unknown pseudo parameter {name}")
        return table[name]

    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise TemplateError(f"{self.where}: Ref needs a name, got {_short(name)}")
        if name.startswith("AWS::"):
            return self._pseudo(name)
        if name in self.param_values:
            v = self.param_values[name]
            if isinstance(v, Unresolved):
                self._note(v.what)
            return v
        res = self.resources.get(name)
        if res is None:
            raise TemplateError(f"{self.where}: Ref to unknown parameter or resource {name!r}")
        if res.type in ("AWS::IAM::ManagedPolicy", "AWS::IAM::OIDCProvider"):
            return self._getatt(name, "Arn")
        if res.type == "AWS::IAM::Role":
            return self._role_name(res)
        name_prop = _NAME_PROPERTY.get(res.type)
        if name_prop and name_prop in res.properties:
            return self._text(self._resolve(res.properties[name_prop]))
        return f"{self.stack_name}-{name}"

    def _role_name(self, res: Resource) -> str:
        if "RoleName" in res.properties:
            return self._text(self._resolve(res.properties["RoleName"]))
        return f"{self.stack_name}-{res.logical_id}"

    def _getatt(self, lid: str, attr: str) -> Any:
        res = self.resources.get(lid)
        if res is None:
            raise TemplateError(f"{self.where}: Fn::GetAtt of unknown resource {lid!r}")
        p, acct = self.partition, self.account
        props = res.properties
        if res.type == "AWS::IAM::OIDCProvider" and attr == "Arn":
            url = self._text(self._resolve(props.get("Url", "")))
            host = url[len("https://") :] if url.startswith("https://") else url
            return f"arn:{p}:iam::{acct}:oidc-provider/{host}"
        path = self._text(self._resolve(props.get("Path", "/"))) if "Path" in props else "/"
        if res.type == "AWS::IAM::Role" and attr == "Arn":
            return f"arn:{p}:iam::{acct}:role{path}{self._role_name(res)}"
        if res.type == "AWS::IAM::ManagedPolicy" and attr in ("Arn", "PolicyArn"):
            name = props.get("ManagedPolicyName")
            pname = self._text(self._resolve(name)) if name is not None else f"{self.stack_name}-{lid}"
            return f"arn:{p}:iam::{acct}:policy{path}{pname}"
        if res.type == "AWS::IAM::User" and attr == "Arn":
            return f"arn:{p}:iam::{acct}:user{path}{self._ref(lid)}"
        if res.type == "AWS::IAM::InstanceProfile" and attr == "Arn":
            return f"arn:{p}:iam::{acct}:instance-profile{path}{self._ref(lid)}"
        return self._note(f"Fn::GetAtt {lid}.{attr}")

    def _text(self, v: Any) -> str:
        if isinstance(v, Unresolved):
            self._note(v.what)
            return str(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str | int | float):
            return str(v)
        raise TemplateError(f"{self.where}: expected a string, got {_short(v)}")

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[0], str) or not isinstance(arg[1], dict):
                raise TemplateError(f"{self.where}: Fn::Sub needs a string or [string, {{vars}}]")
            text, local = arg[0], {k: self._resolve(v) for k, v in arg[1].items()}
        elif isinstance(arg, str):
            text, local = arg, {}
        else:
            raise TemplateError(f"{self.where}: Fn::Sub needs a string, got {_short(arg)}")

        def repl(m: re.Match[str]) -> str:
            body = m.group(1)
            if body.startswith("!"):
                return "${" + body[1:] + "}"
            name = body.strip()
            if name in local:
                val = local[name]
            elif "." in name and not name.startswith("AWS::") and name.split(".", 1)[0] in self.resources:
                lid, attr = name.split(".", 1)
                val = self._getatt(lid, attr)
            else:
                val = self._ref(name)
            if isinstance(val, list):
                raise TemplateError(f"{self.where}: Fn::Sub variable ${{{name}}} is a list")
            return self._text(val)

        return _SUB_VAR.sub(repl, text)

    def _fn(self, fn: str, arg: Any) -> Any:
        if fn == "Ref":
            return self._ref(arg)
        if fn == "Fn::Sub":
            return self._sub(arg)
        if fn == "Fn::GetAtt":
            if isinstance(arg, str):
                arg = arg.split(".", 1)
            if not isinstance(arg, list) or len(arg) != 2:
                raise TemplateError(f"{self.where}: Fn::GetAtt needs [resource, attribute]")
            return self._getatt(str(self._resolve(arg[0])), str(self._resolve(arg[1])))
        if fn == "Fn::Join":
            if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
                raise TemplateError(f"{self.where}: Fn::Join needs [delimiter, list]")
            items = self._resolve(arg[1])
            if not isinstance(items, list):
                raise TemplateError(f"{self.where}: Fn::Join needs a list, got {_short(items)}")
            return arg[0].join(self._text(x) for x in items)
        if fn == "Fn::If":
            if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
                raise TemplateError(f"{self.where}: Fn::If needs [condition, then, else]")
            return self._resolve(arg[1] if self.condition_true(arg[0]) else arg[2])
        if fn in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._cond({fn: arg})
        if fn == "Fn::Select":
            if not isinstance(arg, list) or len(arg) != 2:
                raise TemplateError(f"{self.where}: Fn::Select needs [index, list]")
            idx, items = self._resolve(arg[0]), self._resolve(arg[1])
            try:
                i = int(idx)
            except (TypeError, ValueError):
                raise TemplateError(f"{self.where}: Fn::Select index {idx!r} is not a number") from None
            if isinstance(items, Unresolved):
                return items
            if not isinstance(items, list) or not 0 <= i < len(items):
                raise TemplateError(f"{self.where}: Fn::Select index {i} out of range")
            return items[i]
        if fn == "Fn::Split":
            if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str) or not arg[0]:
                raise TemplateError(f"{self.where}: Fn::Split needs [delimiter, string]")
            src = self._resolve(arg[1])
            return src if isinstance(src, Unresolved) else self._text(src).split(arg[0])
        if fn == "Fn::FindInMap":
            if not isinstance(arg, list) or len(arg) not in (3, 4):
                raise TemplateError(f"{self.where}: Fn::FindInMap needs [map, top key, second key]")
            keys = [self._text(self._resolve(x)) for x in arg[:3]]
            try:
                return self._resolve(self.mappings[keys[0]][keys[1]][keys[2]])
            except (KeyError, TypeError):
                if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                    return self._resolve(arg[3]["DefaultValue"])
                raise TemplateError(f"{self.where}: Fn::FindInMap {'/'.join(keys)} not found") from None
        if fn == "Fn::Base64":
            return base64.b64encode(self._text(self._resolve(arg)).encode()).decode()
        if fn in _RULE_FUNCTIONS:
            return self._note(f"{fn} (a Rules function)")
        if fn == "Fn::Transform":
            name = arg.get("Name") if isinstance(arg, dict) else None
            return self._note(f"Fn::Transform {name or '?'}")
        if fn == "Fn::ImportValue":
            return self._note(f"Fn::ImportValue {_short(self._resolve(arg))}")
        if fn == "Fn::GetAZs":
            region = self._resolve(arg) or self.region
            return [f"{self._text(region)}{z}" for z in "abc"]
        if fn == "Fn::Cidr":
            return self._cidr(arg)
        if fn == "Fn::Length":
            items = self._resolve(arg)
            if not isinstance(items, list):
                raise TemplateError(f"{self.where}: Fn::Length needs a list")
            return len(items)
        if fn == "Fn::ToJsonString":
            return json.dumps(plain(self._resolve(arg)), separators=(",", ":"))
        raise TemplateError(f"{self.where}: unknown intrinsic function {fn}")

    def _cidr(self, arg: Any) -> list[str]:
        if not isinstance(arg, list) or len(arg) != 3:
            raise TemplateError(f"{self.where}: Fn::Cidr needs [block, count, bits]")
        block, count, bits = (self._resolve(x) for x in arg)
        try:
            net = ipaddress.ip_network(str(block), strict=False)
            n, b = int(count), int(bits)
            prefix = net.max_prefixlen - b
            if not 1 <= n <= 256 or prefix < net.prefixlen:
                raise ValueError("count or bits out of range")
            subnets = net.subnets(new_prefix=prefix)
            return [str(next(subnets)) for _ in range(n)]
        except (ValueError, TypeError, StopIteration) as exc:
            raise TemplateError(f"{self.where}: Fn::Cidr: {exc}") from None


def _scalar(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, Unresolved):
        return v
    return v


def plain(v: Any) -> Any:
    """Deep copy to plain JSON types; Unresolved -> its UNRESOLVED(...) text."""
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, Unresolved):
        return str(v)
    return v


def _short(v: Any) -> str:
    s = json.dumps(plain(v), default=str) if not isinstance(v, str) else repr(v)
    return s if len(s) <= 80 else s[:77] + "..."
