"""CONFORM-COLLECTOR-AUTH: the telemetry collector's load balancer listeners authenticate before they
forward (no unauthenticated path to the OTel collector).
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.conform.inputs import ConformInputs
from ccwb_doctor.conform.roles import _as_list, active_resources, ev
from ccwb_doctor.model import Outcome, fail, ok, warn

AUTH_ACTIONS = ("authenticate-oidc", "authenticate-cognito", "jwt-validation")


# ---- CONFORM-COLLECTOR-AUTH ----------------------------------------------------------------------


def _chain(actions: Any) -> list[dict[str, Any]]:
    acts = [a for a in _as_list(actions) if isinstance(a, dict)]
    return sorted(acts, key=lambda a: int(a["Order"]) if str(a.get("Order", "")).isdigit() else 50000)


def _unauth_forward(actions: Any) -> bool:
    authed = False
    for a in _chain(actions):
        t = str(a.get("Type", "")).lower()
        if t in AUTH_ACTIONS:
            authed = True
        elif t == "forward":
            return not authed
        elif t in ("redirect", "fixed-response"):
            return False
    return False


def find_collector_auth(inputs: ConformInputs) -> list[Outcome]:
    out: list[Outcome] = []
    for ti in inputs.templates:
        listeners = ("AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::ListenerRule")
        for res, props in active_resources(ti, listeners, out):
            is_rule = res.type.endswith("ListenerRule")
            key = "Actions" if is_rule else "DefaultActions"
            proto, port = props.get("Protocol", "?"), props.get("Port", "?")
            subj = f"{ti.path}:{res.logical_id}" + ("" if is_rule else f" ({proto}:{port})")
            e = ev(
                ti.path,
                res.line_of(key),
                subj,
                protocol=proto,
                port=port,
                actions=[str(a.get("Type")) for a in _chain(props.get(key))],
            )
            if _unauth_forward(props.get(key)):
                if is_rule:
                    out.append(
                        warn(
                            f"listener rule {res.logical_id} forwards to the collector without authenticating the "
                            "request (only its rule conditions guard it)",
                            fix="Put a jwt-validation (or authenticate-oidc) action before the forward.",
                            evidence=e,
                        )
                    )
                else:
                    out.append(
                        fail(
                            f"listener {res.logical_id} ({proto}:{port}) forwards to the collector without "
                            "authentication: anyone who reaches it can post telemetry as any user",
                            fix="Make port 80 only redirect to HTTPS, and put a jwt-validation action (Issuer, "
                            "JwksEndpoint, aud) before the forward on the HTTPS listener.",
                            evidence=e,
                        )
                    )
            else:
                out.append(ok("no unauthenticated forward: " + " -> ".join(e["actions"]), evidence=e))
    return out
