"""`ccwb-doctor conform` inputs as loaded: templates, policies, helper configs, settings, claims files and
the scope file, plus the problems met while reading them (one clear finding each, the rest continues).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ccwb_doctor.records import record


@record
class InputProblem:
    path: str
    reason: str
    line: int | None = None
    kind: str = "parse"  # parse | params | unknown

    def location(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line}


@record
class TemplateInput:
    path: str
    template: Any  # analyzers.cfn.template.Template


@record
class PolicyInput:
    path: str
    kind: str  # trust | permission
    document: dict[str, Any]
    policy: Any  # analyzers.iam.policy.Policy
    max_session_duration: int | None = None
    role_arn: str | None = None


@record
class HelperConfigInput:
    path: str
    config: Any  # analyzers.clientconfig.helper_config.HelperConfig


@record
class SettingsInput:
    path: str
    data: dict[str, Any]


@record
class Identity:
    name: str
    claims: dict[str, Any]
    expect: str  # allow | deny
    path: str
    line: int | None = None


@record
class ClaimsInput:
    path: str
    provider_url: str | None
    identities: list[Identity]


@record
class Scope:
    models: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    geographies: list[str] = field(default_factory=list)
    path: str | None = None


@record
class ConformInputs:
    paths: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    templates: list[TemplateInput] = field(default_factory=list)
    policies: list[PolicyInput] = field(default_factory=list)
    helper_configs: list[HelperConfigInput] = field(default_factory=list)
    settings: list[SettingsInput] = field(default_factory=list)
    claims: list[ClaimsInput] = field(default_factory=list)
    scope: Scope | None = None
    problems: list[InputProblem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.paths

    def counts(self) -> dict[str, int]:
        return {
            "templates": len(self.templates),
            "policies": len(self.policies),
            "helper_configs": len(self.helper_configs),
            "settings": len(self.settings),
            "claims": len(self.claims),
            "problems": len(self.problems),
            "ignored": len(self.ignored),
        }
