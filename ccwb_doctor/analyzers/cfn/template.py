"""CloudFormation template loading and intrinsic-function resolution (pure library, no I/O but the read).

Public API::

    load_template(path, params, region=..., account=..., partition=None, stack_name=...) -> Template
    Template.resources / .parameters / .conditions / .missing_params / .param_errors
    Template.resolve(node) -> value     Template.condition_true(name)     Template.active(resource)
    Template.oidc_providers() / .roles() / .policies_for_role(logical_id) / .managed_policy_arns(id)
    Template.resources_of_type(type)

Resolution choices (documented contract):

* Unknown intrinsic functions (``Fn::Foo``) and unknown YAML tags raise :class:`TemplateError`
  at load time, naming the function and the line.
* Known intrinsics whose value only exists after deployment (``Fn::ImportValue``, ``Fn::GetAtt`` of
  an attribute we do not model, ``Ref``/``Fn::Sub`` of a parameter that is missing) resolve to an
  :class:`Unresolved` marker. Inside strings (``Fn::Sub``/``Fn::Join``) and in the documents
  returned by the helpers it is rendered as ``UNRESOLVED(<what>)``, a text that never matches a real
  value, and every such spot is listed in ``Template.unresolved``.
* ``Ref`` of a resource gives a placeholder physical id: the role name (``RoleName`` or
  ``<stack>-<LogicalId>``) for roles, the ARN for managed policies and OIDC providers,
  ``<stack>-<LogicalId>`` otherwise. ``Fn::GetAtt`` gives the ARN of OIDC providers
  (``arn:<partition>:iam::<account>:oidc-provider/<Url without https://>``), roles, users,
  instance profiles and managed policies (``PolicyArn``).
* ``Fn::GetAZs`` returns ``<region>a``, ``<region>b``, ``<region>c`` (placeholders); ``Fn::Cidr`` is
  computed. ``AWS::SSM::Parameter::Value<...>`` parameters, ``Fn::Transform`` and the Rules-section
  functions resolve to Unresolved.
* Parameters: ``--param`` values override defaults; a parameter with neither is listed in
  ``missing_params`` (never guessed) and resolves to Unresolved; values outside AllowedValues /
  AllowedPattern, non-numeric Numbers and undeclared ``--param`` names go to ``param_errors``.
* Lines: ``Resource.line`` is the resource's line (YAML and JSON); ``Resource.line_of(*path)`` the
  line of a nested YAML node (the nearest known line otherwise).

The intrinsic functions themselves live in ``resolve.py``; the YAML loader in ``lines.py``; the federation
resource types in ``resources.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ccwb_doctor.analyzers.cfn.lines import TemplateError, parse_text
from ccwb_doctor.analyzers.cfn.resolve import (
    NO_VALUE,
    Resolver,
    Resource,
    Unresolved,
    guarded,
)
from ccwb_doctor.analyzers.cfn.resources import (
    OidcProvider,
    PolicyDoc,
    RoleInfo,
    _check_functions,
    _document,
    _json_lines,
    partition_for_region,
)

__all__ = [
    "TemplateError",
    "Template",
    "Resource",
    "Unresolved",
    "NO_VALUE",
    "OidcProvider",
    "RoleInfo",
    "PolicyDoc",
    "load_template",
    "load_template_text",
    "partition_for_region",
]


class Template(Resolver):
    """A loaded template; see the module docstring for the resolution contract."""

    def __init__(
        self,
        data: Mapping[str, Any],
        where: str,
        params: Mapping[str, str],
        *,
        region: str,
        account: str,
        partition: str | None,
        stack_name: str,
        text: str = "",
    ) -> None:
        self.where = where
        self.data = data
        self.region = region
        self.account = account
        self.partition = partition or partition_for_region(region)
        self.stack_name = stack_name
        self.unresolved: list[str] = []
        self.param_errors: list[str] = []
        self.mappings: dict[str, Any] = dict(data.get("Mappings") or {})
        self.outputs: dict[str, Any] = dict(data.get("Outputs") or {})
        self.conditions: dict[str, Any] = dict(data.get("Conditions") or {})
        self.parameters: dict[str, dict[str, Any]] = {}
        self.param_values: dict[str, Any] = {}
        self.missing_params: list[str] = []
        self._cond_cache: dict[str, bool] = {}
        self._cond_active: set[str] = set()
        self._load_parameters(data.get("Parameters") or {}, params)
        self.resources: dict[str, Resource] = {}
        raw_res = data.get("Resources")
        if not isinstance(raw_res, dict) or not raw_res:
            raise TemplateError(f"{where}: no Resources section")
        json_lines = _json_lines(text, list(raw_res)) if text.lstrip().startswith("{") else {}
        for lid, body in raw_res.items():
            line = getattr(raw_res, "key_lines", {}).get(lid) or json_lines.get(lid)
            if not isinstance(body, dict) or not isinstance(body.get("Type"), str):
                raise TemplateError(f"{where}:{line or '?'}: resource {lid} has no Type")
            props = body.get("Properties") or {}
            if not isinstance(props, dict):
                raise TemplateError(f"{where}:{line or '?'}: resource {lid} Properties is not a mapping")
            cond = body.get("Condition")
            if cond is not None and (not isinstance(cond, str) or cond not in self.conditions):
                raise TemplateError(f"{where}:{line or '?'}: resource {lid} names unknown Condition {cond!r}")
            self.resources[str(lid)] = Resource(str(lid), body["Type"], props, line, cond, dict(body))

    # ---- parameters and conditions ----------------------------------------------------------------

    def _load_parameters(self, decl: Any, given: Mapping[str, str]) -> None:
        if not isinstance(decl, dict):
            raise TemplateError(f"{self.where}: Parameters is not a mapping")
        for name, spec in decl.items():
            if not isinstance(spec, dict):
                raise TemplateError(f"{self.where}: parameter {name} is not a mapping")
            self.parameters[str(name)] = spec
            if name in given:
                raw: Any = given[name]
            elif "Default" in spec:
                raw = spec["Default"]
            else:
                self.missing_params.append(str(name))
                self.param_values[name] = Unresolved(f"parameter {name}")
                continue
            if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
                self.param_values[name] = Unresolved(f"SSM parameter {name}={raw}")
                continue
            self.param_values[name] = self._param_value(str(name), spec, raw)
        for name in given:
            if name not in self.parameters:
                self.param_errors.append(f"parameter {name} is not declared by the template")

    def _param_value(self, name: str, spec: Mapping[str, Any], raw: Any) -> Any:
        ptype = str(spec.get("Type", "String"))
        if isinstance(raw, list):
            raw = ",".join(str(x) for x in raw)
        text = "true" if raw is True else "false" if raw is False else str(raw)
        is_list = ptype == "CommaDelimitedList" or ptype.startswith("List<")
        values = [v.strip() for v in text.split(",")] if is_list else [text]
        allowed = spec.get("AllowedValues")
        pattern = spec.get("AllowedPattern")
        for v in values:
            if isinstance(allowed, list) and v not in [str(a) for a in allowed]:
                self.param_errors.append(f"parameter {name}={v!r} is not one of AllowedValues")
            if isinstance(pattern, str):
                try:
                    if re.fullmatch(pattern, v) is None:
                        self.param_errors.append(f"parameter {name}={v!r} does not match AllowedPattern")
                except re.error:
                    self.param_errors.append(f"parameter {name}: AllowedPattern is not a valid regex")
            if ptype == "Number" and not re.fullmatch(r"-?\d+(\.\d+)?", v):
                self.param_errors.append(f"parameter {name}={v!r} is not a Number")
            elif ptype == "Number":
                self._check_bounds(name, v, float(v), spec, "MinValue", "MaxValue")
            if ptype == "String":
                self._check_bounds(name, v, float(len(v)), spec, "MinLength", "MaxLength")
        return values if is_list else text

    def _check_bounds(self, name: str, v: str, n: float, spec: Mapping[str, Any], lo: str, hi: str) -> None:
        for key, bad in ((lo, lambda b: n < b), (hi, lambda b: n > b)):
            try:
                bound = float(spec[key]) if key in spec else None
            except (TypeError, ValueError):
                self.param_errors.append(f"parameter {name}: {key} is not a number")
                continue
            if bound is not None and bad(bound):
                self.param_errors.append(f"parameter {name}={v!r} is outside {key} {spec[key]}")

    @guarded
    def condition_true(self, name: str) -> bool:
        if name in self._cond_cache:
            return self._cond_cache[name]
        if name not in self.conditions:
            raise TemplateError(f"{self.where}: unknown condition {name!r}")
        if name in self._cond_active:
            raise TemplateError(f"{self.where}: condition {name!r} refers to itself")
        self._cond_active.add(name)
        try:
            value = self._cond(self.conditions[name])
        finally:
            self._cond_active.discard(name)
        self._cond_cache[name] = value
        return value

    @guarded
    def active(self, resource: Resource | str) -> bool:
        res = self.resources[resource] if isinstance(resource, str) else resource
        return res.condition is None or self.condition_true(res.condition)

    # ---- resolution -------------------------------------------------------------------------------

    # ---- IAM helpers ------------------------------------------------------------------------------

    @guarded
    def resources_of_type(self, rtype: str, include_inactive: bool = False) -> list[Resource]:
        """Resources of one type (e.g. ``AWS::ElasticLoadBalancingV2::Listener``), active ones only
        unless ``include_inactive``."""
        return self._active_of_type(rtype, include_inactive)

    def _active_of_type(self, rtype: str, include_inactive: bool) -> list[Resource]:
        return [
            r for r in self.resources.values() if r.type == rtype and (include_inactive or self.active(r))
        ]

    @guarded
    def oidc_providers(self, include_inactive: bool = False) -> list[OidcProvider]:
        out = []
        for r in self._active_of_type("AWS::IAM::OIDCProvider", include_inactive):
            url = self._text(self._resolve(r.properties.get("Url", "")))
            prov = OidcProvider(
                r.logical_id,
                url,
                self._str_list(r.properties.get("ClientIdList", [])),
                self._str_list(r.properties.get("ThumbprintList", [])),
                r.line,
            )
            prov.arn = self._getatt(r.logical_id, "Arn")
            out.append(prov)
        return out

    def _str_list(self, node: Any) -> list[str]:
        val = self._resolve(node)
        items = val if isinstance(val, list) else [val]
        flat: list[str] = []
        for x in items:
            if isinstance(x, list):
                flat.extend(self._text(y) for y in x)
            else:
                flat.append(self._text(x))
        return flat

    @guarded
    def roles(self, include_inactive: bool = False) -> list[RoleInfo]:
        out = []
        for r in self._active_of_type("AWS::IAM::Role", include_inactive):
            trust = _document(self._resolve(r.properties.get("AssumeRolePolicyDocument", {})))
            msd = (
                self._resolve(r.properties["MaxSessionDuration"])
                if "MaxSessionDuration" in r.properties
                else None
            )
            try:
                msd_i = int(msd) if msd is not None else None
            except (TypeError, ValueError):
                msd_i = None
            info = RoleInfo(r.logical_id, self._role_name(r), trust, msd_i, r.line)
            info.arn = self._getatt(r.logical_id, "Arn")
            info.generated_name = "RoleName" not in r.properties
            out.append(info)
        return out

    @guarded
    def policies_for_role(self, logical_id: str) -> list[PolicyDoc]:
        """Inline policies, AWS::IAM::Policy and in-template AWS::IAM::ManagedPolicy that apply."""
        role = self.resources.get(logical_id)
        if role is None or role.type != "AWS::IAM::Role":
            raise TemplateError(f"{self.where}: no AWS::IAM::Role named {logical_id!r}")
        name = self._role_name(role)
        out: list[PolicyDoc] = []
        inline = self._resolve(role.properties.get("Policies", []))
        for i, pol in enumerate(inline if isinstance(inline, list) else []):
            if isinstance(pol, dict):
                pname = self._text(pol.get("PolicyName", f"inline-{i}"))
                out.append(
                    PolicyDoc(pname, _document(pol.get("PolicyDocument", {})), role.line_of("Policies", i))
                )
        attached = self._resolve(role.properties.get("ManagedPolicyArns", []))
        attached_arns = {self._text(a) for a in attached} if isinstance(attached, list) else set()
        for r in self.resources.values():
            if r.type not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") or not self.active(r):
                continue
            roles = self._resolve(r.properties.get("Roles", []))
            names = {self._text(x) for x in roles} if isinstance(roles, list) else set()
            linked = name in names
            if r.type == "AWS::IAM::ManagedPolicy" and self._ref(r.logical_id) in attached_arns:
                linked = True
            if linked:
                pname_node = r.properties.get("PolicyName") or r.properties.get("ManagedPolicyName")
                pname = self._text(self._resolve(pname_node)) if pname_node else r.logical_id
                doc = _document(self._resolve(r.properties.get("PolicyDocument", {})))
                out.append(PolicyDoc(pname, doc, r.line))
        return out

    @guarded
    def managed_policy_arns(self, logical_id: str) -> list[str]:
        """Attached ARNs of policies not defined in this template (AWS managed or external)."""
        role = self.resources.get(logical_id)
        if role is None:
            raise TemplateError(f"{self.where}: no resource named {logical_id!r}")
        attached = self._resolve(role.properties.get("ManagedPolicyArns", []))
        local = {
            self._ref(r.logical_id) for r in self.resources.values() if r.type == "AWS::IAM::ManagedPolicy"
        }
        return (
            [self._text(a) for a in attached if self._text(a) not in local]
            if isinstance(attached, list)
            else []
        )


def load_template_text(
    text: str,
    params: Mapping[str, str] | None = None,
    *,
    where: str = "<template>",
    region: str = "us-east-1",
    account: str = "111122223333",
    partition: str | None = None,
    stack_name: str = "ccwb",
) -> Template:
    """Like :func:`load_template` for text already in memory. Raises only TemplateError."""
    try:
        data = parse_text(text, where)
        if not isinstance(data, dict):
            raise TemplateError(f"{where}: a template must be a mapping at the top level")
        _check_functions(data, where)
        return Template(
            data,
            where,
            dict(params or {}),
            region=region,
            account=account,
            partition=partition,
            stack_name=stack_name,
            text=text,
        )
    except TemplateError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise TemplateError(f"{where}: malformed template ({type(exc).__name__}: {exc})") from None


def load_template(
    path: Path,
    params: Mapping[str, str] | None = None,
    *,
    region: str = "us-east-1",
    account: str = "111122223333",
    partition: str | None = None,
    stack_name: str = "ccwb",
) -> Template:
    """Load a YAML or JSON CloudFormation template. Raises only TemplateError (file and line)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TemplateError(f"{path}: not UTF-8 text") from None
    return load_template_text(
        text,
        params,
        where=str(path),
        region=region,
        account=account,
        partition=partition,
        stack_name=stack_name,
    )
