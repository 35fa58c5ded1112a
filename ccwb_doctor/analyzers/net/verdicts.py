"""The verdict of one probed endpoint (NET-* checks and ``ccwb-doctor net``): the outcome naming the failing
stage, with the fix for that stage.
"""

from __future__ import annotations

from typing import Any

from ccwb_doctor.model import Outcome, fail, ok, warn

FIXES = {
    "dns": "Fix name resolution: check the resolver in use (VPN connected? split-horizon view?) and the hostname.",
    "tcp": "Open the path: firewall / VPN / security group, or configure HTTPS_PROXY if egress must use a proxy.",
    "tls": "Fix the certificate chain or install the corporate root CA (NODE_EXTRA_CA_CERTS, AWS_CA_BUNDLE).",
    "http": "Check the URL (path, issuer, endpoint override) and the server behind it.",
    "proxy": "Fix HTTPS_PROXY (host, port, user:pass) or NO_PROXY; ask the proxy team to allow the host.",
}


STALL_FIXES = {
    "dns": "The resolver never answers: check VPN/firewall rules for DNS (udp/tcp 53) and the resolver address.",
    "tcp": "Packets are dropped: open the path (firewall, security group, VPN) or set HTTPS_PROXY for egress.",
    "tls": "Something accepts the connection but never speaks TLS: a middlebox or wrong port; try HTTPS_PROXY.",
    "http": "The server stalls mid-answer: check the server/load balancer, or a proxy buffering the response.",
    "proxy": "The proxy does not answer: check HTTPS_PROXY host/port and that the proxy is up.",
}


def fix_for(result: Any) -> str:
    stage = next((s for s in result.stages if s.status in ("fail", "warn")), None)
    if stage is None:
        return ""
    if stage.code in ("deadline", "timeout") and stage.stage in STALL_FIXES:
        return STALL_FIXES[stage.stage]
    if stage.code.startswith("proxy-") and " — " not in stage.detail:
        return FIXES["proxy"]
    if " — " in stage.detail:
        line = stage.detail.split(" — ", 1)[1].rstrip(".") + "."
        return line[:1].upper() + line[1:]
    return FIXES.get(stage.stage, FIXES["http"])


def outcome_for(result: Any) -> Outcome:
    """One Outcome per probed endpoint; evidence carries the URL and every stage's outcome and ms."""
    ev = result.to_dict()
    ev["timeline"] = {s.stage: f"{s.status} {s.ms:.0f} ms" for s in result.stages}
    label = f"{result.endpoint.name} {result.endpoint.display}"
    if result.status == "fail":
        return fail(f"{label}: {result.message}", fix=fix_for(result), evidence=ev)
    if result.status == "warn":
        return warn(f"{label}: {result.message}", fix=fix_for(result), evidence=ev)
    return ok(f"{label}: {result.message}", evidence=ev)
