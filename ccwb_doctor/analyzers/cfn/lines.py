"""CloudFormation template text -> Python data with line numbers (pure, no engine imports).

YAML is read with PyYAML's C SafeLoader when available (falls back to the pure-Python one) plus
constructors for the CloudFormation short tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...). Every mapping is
a :class:`LineDict` (a dict) that remembers its own line and the line of each key, so findings can
point at ``file:line``. Timestamps stay strings (``Version: 2012-10-17`` must not become a date) and
duplicate keys are an error, as in CloudFormation. JSON templates are read with :mod:`json`; their
mappings carry no lines (resource lines are found by a text search in ``cfn.py``).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["LineDict", "TemplateError", "parse_text", "SHORT_TAGS"]


class TemplateError(ValueError):
    """A template that cannot be loaded or resolved; ``str(exc)`` is one line with file and line."""


class LineDict(dict[str, Any]):
    """A dict that knows the (1-based) line of its opening and of each key."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int | None = None
        self.key_lines: dict[str, int] = {}


SHORT_TAGS = (
    "Ref",
    "Condition",
    "Sub",
    "GetAtt",
    "Join",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Select",
    "Split",
    "FindInMap",
    "Base64",
    "ImportValue",
    "GetAZs",
    "Cidr",
    "Transform",
    "Length",
    "ToJsonString",
    "Contains",
    "EachMemberEquals",
    "EachMemberIn",
    "RefAll",
    "ValueOf",
    "ValueOfAll",
)

_LOADER: Any = None


def _loader_class() -> Any:
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    base = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

    class CfnLoader(base):  # type: ignore[misc,valid-type]
        pass

    # Keep timestamps as strings: remove the implicit timestamp resolver.
    CfnLoader.yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for ch, resolvers in base.yaml_implicit_resolvers.items()
    }

    def construct_mapping(loader: Any, node: Any) -> LineDict:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, "expected a mapping", node.start_mark)
        loader.flatten_mapping(node)
        out = LineDict()
        out.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be scalars", key_node.start_mark
                )
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            out[key] = loader.construct_object(value_node, deep=True)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out

    CfnLoader.add_constructor("tag:yaml.org,2002:map", construct_mapping)

    def make(tag: str) -> Any:
        fn = "Ref" if tag == "Ref" else "Condition" if tag == "Condition" else f"Fn::{tag}"

        def construct(loader: Any, node: Any) -> LineDict:
            if isinstance(node, yaml.ScalarNode):
                value: Any = loader.construct_scalar(node)
                if tag == "GetAtt":
                    head, _, tail = str(value).partition(".")
                    value = [head, tail]
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                value = construct_mapping(loader, node)
            out = LineDict({fn: value})
            out.line = node.start_mark.line + 1
            out.key_lines[fn] = out.line
            return out

        return construct

    for tag in SHORT_TAGS:
        CfnLoader.add_constructor(f"!{tag}", make(tag))

    def unknown(loader: Any, suffix: str, node: Any) -> Any:
        raise yaml.constructor.ConstructorError(
            None, None, f"unknown tag !{suffix.lstrip('!')}", node.start_mark
        )

    CfnLoader.add_multi_constructor("!", unknown)
    CfnLoader.add_multi_constructor("tag:", unknown)
    _LOADER = CfnLoader
    return CfnLoader


def parse_text(text: str, where: str) -> Any:
    """Parse YAML or JSON template text; raises TemplateError with ``where:line`` on failure."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateError(f"{where}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        except (ValueError, RecursionError) as exc:
            raise TemplateError(f"{where}: invalid JSON: {exc}") from None
    import yaml

    loader = _loader_class()
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        context = exc.context or ""
        cm = exc.context_mark
        if context and cm is not None and mark is not None and cm.line != mark.line:
            context += f" (from line {cm.line + 1})"
        msg = " ".join(str(x) for x in (context, exc.problem) if x) or "invalid YAML"
        raise TemplateError(f"{where}{line}: invalid YAML: {msg}") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TemplateError(f"{where}: invalid YAML: {reason}") from None
