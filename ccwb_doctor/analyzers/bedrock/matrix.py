"""The Bedrock permission matrix: every request Bedrock authorizes for a model, evaluated (pure).

What Bedrock authorizes when Claude Code invokes a model from a *source region* (iam_research §5.2):

* a system inference profile ``<geo>.<base id>`` (``us.``, ``eu.``, ``apac.``, ``au.``, ``jp.``, ``us-gov.``):
  the profile ARN ``arn:<p>:bedrock:<source>:<account>:inference-profile/<id>`` (account from the role
  ARN), then the foundation model ``arn:<p>:bedrock:<r>::foundation-model/<base id>`` in the source
  region and in every destination region ``r``, each with ``aws:RequestedRegion = r`` and
  ``bedrock:InferenceProfileArn = <profile ARN>`` in the context;
* a ``global.`` profile: the profile ARN, the foundation model in the source region, and the global
  leg ``arn:<p>:bedrock:::foundation-model/<base id>`` with ``aws:RequestedRegion = "unspecified"``;
* an application inference profile ARN: that ARN in its own region, then (when the table knows what it
  routes to, e.g. after ``--live``) the legs of the underlying profile or model with
  ``bedrock:InferenceProfileArn = <application profile ARN>``;
* a bare foundation-model id or ARN: the model in the region, no profile context.

Each leg is checked for ``bedrock:InvokeModel`` and ``bedrock:InvokeModelWithResponseStream``.

API (the conform command uses the same entry points)::

    table = bedrock.load_profiles_table()            # or load_profiles_table(path) for a user copy
    identity = [ip.parse_policy(doc, name="BedrockAccessPolicy")]
    plan = plan_requests(model, source_region, table, account="123456789012")   # -> Plan (never raises)
    ev = MatrixEvaluator(identity, scps=[...])       # one evaluator = one shared decision cache
    verdict = ev.evaluate(plan)   # -> PlanVerdict: .allowed, .denied (LegVerdict), .denied_legs(),
                                  #    .denied_regions(), .summary(), .to_dict(), .errors
    report = evaluate_matrix(models, regions, geographies, table, identity, scps, account)
                                  # -> MatrixReport: .cells (MatrixCell), .denied_cells(), .counts()

``plan.problems`` is non-empty when the model cannot work from that region at all (unknown profile,
geography not serving the region, partition mismatch, ARN pinned elsewhere); such a plan has no legs.
``models`` are table keys (``sonnet-4-6``), base ids, or profile ids (which pin their geography);
``geographies`` are profile prefixes (``us``, ``eu``, ``global`` …). A cell whose profile is not
offered from the source region is ``not-offered`` and not evaluated. Identical requests are evaluated
once: the cache key keeps only the context keys the policies actually reference, so a policy without
``bedrock:InferenceProfileArn`` conditions shares decisions across profiles. Deny wins: an explicit Deny in an SCP or identity
policy, an SCP that allows nothing (when only Deny SCPs are given, ``FullAWSAccess`` is assumed to
be attached, as AWS does by default), or no identity Allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import field
from typing import Any

from ccwb_doctor.analyzers.bedrock.catalog import (
    INVOKE_ACTIONS,
)
from ccwb_doctor.analyzers.bedrock.plan import _VAR_RE, Leg, Plan, plan_requests
from ccwb_doctor.analyzers.bedrock.profiles import ProfilesTable
from ccwb_doctor.analyzers.iam import parse as ip
from ccwb_doctor.analyzers.iam import policy as iam
from ccwb_doctor.records import record

# --------------------------------------------------------------------------------------------
# Evaluation


@record
class LegVerdict:
    leg: Leg
    action: str
    allowed: bool
    reason: str  # allowed | explicit-deny | implicit-deny | scp-explicit-deny | scp-implicit-deny
    statement: str | None  # the deciding statement (deny) or None for a missing allow
    detail: list[str] = field(default_factory=list)

    def describe(self) -> str:
        what = f"{self.action.split(':')[-1]} on the {self.leg.describe()} ({self.leg.resource})"
        if self.allowed:
            return f"{what}: allowed by {self.statement}"
        if self.statement:
            return f"{what}: denied by {self.statement}"
        missing = (
            "no SCP statement allows it" if self.reason == "scp-implicit-deny" else "no statement allows it"
        )
        return f"{what}: {missing}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "leg": self.leg.kind,
            "region": self.leg.region,
            "resource": self.leg.resource,
            "action": self.action,
            "allowed": self.allowed,
            "reason": self.reason,
            "statement": self.statement,
            "detail": self.detail,
        }


@record
class PlanVerdict:
    plan: Plan
    verdicts: list[LegVerdict]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.plan.problems and bool(self.verdicts) and all(v.allowed for v in self.verdicts)

    @property
    def denied(self) -> list[LegVerdict]:
        return [v for v in self.verdicts if not v.allowed]

    def denied_regions(self) -> list[str]:
        return sorted({v.leg.region for v in self.denied})

    def denied_legs(self) -> list[Leg]:
        out: list[Leg] = []
        for v in self.denied:
            if v.leg not in out:
                out.append(v.leg)
        return out

    def summary(self) -> str:
        if self.plan.problems:
            return "; ".join(self.plan.problems)
        head = f"{self.plan.model} from {self.plan.source_region}"
        if not self.denied:
            return f"{head}: all {len(self.verdicts)} requests allowed"
        legs = self.denied_legs()
        return (
            f"{head}: {len(legs)} of {len(self.plan.legs)} legs denied "
            f"(region(s) {', '.join(self.denied_regions())}); first: {self.denied[0].describe()}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.plan.model,
            "source_region": self.plan.source_region,
            "account": self.plan.account,
            "allowed": self.allowed,
            "problems": self.plan.problems,
            "notes": self.plan.notes,
            "legs": len(self.plan.legs),
            "denied": [v.to_dict() for v in self.denied[:12]],
            "errors": self.errors,
            "warnings": self.warnings,
        }


def referenced_keys(policies: Iterable[iam.Policy]) -> frozenset[str] | None:
    """Lower-cased context keys the policies read (conditions and ${variables}); None = unknown."""
    keys: set[str] = set()
    try:
        for p in policies:
            sts = p.document.get("Statement", [])
            for st in [sts] if isinstance(sts, dict) else sts:
                cond = next((v for k, v in st.items() if str(k).lower() == "condition"), None) or {}
                for block in cond.values():
                    keys.update(str(k).lower() for k in block)
                keys.update(m.lower() for m in _VAR_RE.findall(repr(st)))
    except (AttributeError, TypeError):
        return None
    return frozenset(keys)


_FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


class MatrixEvaluator:
    """Evaluates plans against identity policies and SCPs with a shared decision cache."""

    def __init__(
        self,
        identity: Sequence[iam.Policy],
        scps: Sequence[iam.Policy] = (),
        actions: Sequence[str] = INVOKE_ACTIONS,
    ) -> None:
        self.identity = list(identity)
        self.scps = list(scps)
        self.notes: list[str] = []
        if self.scps and not any(st.effect == "Allow" for p in self.scps for st in p.statements):
            self.scps.append(ip.parse_policy(_FULL_ACCESS, name="FullAWSAccess (assumed)"))
            self.notes.append(
                "the SCPs given only deny: FullAWSAccess is assumed attached, as AWS does by default"
            )
        self.actions = tuple(actions)
        self._keys = referenced_keys([*self.identity, *self.scps])
        self._cache: dict[tuple[Any, ...], LegVerdict] = {}
        self.evaluations = 0

    def _decide(self, leg: Leg, action: str) -> LegVerdict:
        ctx = leg.context()
        proj = tuple(sorted((k, v) for k, v in ctx.items() if self._keys is None or k.lower() in self._keys))
        key = (action, leg.resource, proj)
        hit = self._cache.get(key)
        if hit is None:
            self.evaluations += 1
            dec = iam.evaluate(
                iam.Request(action, leg.resource, None, ctx), identity=self.identity, scps=self.scps
            )
            hit = _verdict(leg, action, dec)
            self._cache[key] = hit
        if hit.leg != leg:
            hit = LegVerdict(leg, action, hit.allowed, hit.reason, hit.statement, hit.detail)
        return hit

    def evaluate(self, plan: Plan) -> PlanVerdict:
        verdicts = [self._decide(leg, a) for leg in plan.legs for a in self.actions]
        errors = sorted({e for v in verdicts for e in v.detail if e.startswith("error:")})
        warnings = sorted(
            {e[len("warning: ") :] for v in verdicts for e in v.detail if e.startswith("warning:")}
        )
        return PlanVerdict(plan, verdicts, errors, warnings)


def _verdict(leg: Leg, action: str, dec: iam.Decision) -> LegVerdict:
    statement = dec.deciding[0].label if dec.deciding else None
    detail: list[str] = []
    if not dec.allowed and not dec.deciding:
        near = [t for t in dec.traces if t.effect == "Allow" and t.action_matched and not t.applies]
        near.sort(key=lambda t: not t.resource_matched)  # closest first: only a condition failed
        for t in near:
            why = "resource not matched" if not t.resource_matched else "condition failed"
            fails = [
                f"{c.operator} {c.key} expected {c.expected} got {c.actual!r}" for c in t.failed_conditions()
            ]
            detail.append(f"{t.label}: {why}" + (f" ({'; '.join(fails)})" if fails else ""))
        detail = detail[:4]
    detail.extend(f"error: {e}" for e in dec.errors)
    detail.extend(f"warning: {w}" for w in dec.warnings)
    return LegVerdict(leg, action, dec.allowed, dec.reason, statement, detail)


# --------------------------------------------------------------------------------------------
# The full matrix (models x source regions x geographies)


@record
class MatrixCell:
    model: str  # table key or base id
    region: str
    geography: str
    status: str  # allowed | denied | not-offered | unknown-model
    verdict: PlanVerdict | None = None


@record
class MatrixReport:
    cells: list[MatrixCell]
    evaluations: int
    requests: int
    notes: list[str]

    def denied_cells(self) -> list[MatrixCell]:
        return [c for c in self.cells if c.status == "denied"]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.cells:
            out[c.status] = out.get(c.status, 0) + 1
        return out


def evaluate_matrix(
    models: Sequence[str],
    regions: Sequence[str],
    geographies: Sequence[str],
    table: ProfilesTable,
    identity: Sequence[iam.Policy],
    scps: Sequence[iam.Policy] = (),
    account: str | None = None,
) -> MatrixReport:
    ev = MatrixEvaluator(identity, scps)
    cells: list[MatrixCell] = []
    requests = 0
    for key in models:
        found = table.profile(key)
        if key in table.models:
            groups = [(table.models[key], list(geographies))]
        elif found is not None:  # a profile id pins its geography
            groups = [(found[0], [found[1].geography])]
        else:  # a base id: every entry sharing it (commercial and GovCloud)
            groups = [(e, list(geographies)) for e in table.base_models(key)]
        if not groups:
            cells.extend(MatrixCell(key, r, g, "unknown-model") for g in geographies for r in regions)
            continue
        for entry, geos in groups:
            for geo in geos:
                pe = entry.profiles.get(geo)
                for region in regions:
                    if pe is None or region not in pe.sources:
                        cells.append(MatrixCell(entry.key, region, geo, "not-offered"))
                        continue
                    verdict = ev.evaluate(plan_requests(pe.profile_id, region, table, account))
                    requests += len(verdict.verdicts)
                    status = "allowed" if verdict.allowed else "denied"
                    cells.append(MatrixCell(entry.key, region, geo, status, verdict))
    return MatrixReport(cells, ev.evaluations, requests, list(ev.notes))
