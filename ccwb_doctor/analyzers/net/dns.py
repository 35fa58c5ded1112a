"""DNS stage: every A/AAAA answer and the CNAME chain, with NXDOMAIN / SERVFAIL / REFUSED / no answer /
timeout told apart, private-range answers noted. dnspython is imported inside the functions."""

from __future__ import annotations

import ipaddress
import threading
import time
from typing import Any

from ccwb_doctor.analyzers.net.model import FAIL, OK, SKIP, Deadline, ProbeSettings, Stage, ms_since


def resolver_label(settings: ProbeSettings) -> str:
    if settings.nameservers:
        return ", ".join(f"{ip}:{port}" for ip, port in settings.nameservers)
    try:
        import dns.resolver

        r = dns.resolver.Resolver()
        return "system resolver " + ", ".join(str(n) for n in r.nameservers)
    except Exception:  # noqa: BLE001 - no resolv.conf
        return "system resolver"


def _make_resolver(settings: ProbeSettings) -> Any:
    import dns.nameserver
    import dns.resolver

    if settings.nameservers:
        r = dns.resolver.Resolver(configure=False)
        r.nameservers = [dns.nameserver.Do53Nameserver(ip, port) for ip, port in settings.nameservers]
    else:
        r = dns.resolver.Resolver()
    r.retry_servfail = False
    r.cache = None
    return r


def hosts_lookup(host: str, path: str | None) -> list[str]:
    if not path:
        return []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read(1_000_000).splitlines()
    except OSError:
        return []
    out: list[str] = []
    for line in lines:
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and host.lower() in (p.lower() for p in parts[1:]):
            out.append(parts[0])
    return out


def classify_ip(ip: str) -> str:
    a = ipaddress.ip_address(ip)
    if a.is_loopback:
        return "loopback"
    if a.is_link_local:
        return "link-local"
    if a.is_private:
        return "private"
    return "public"


def _query(resolver: Any, host: str, rdtype: str, lifetime: float, out: dict[str, Any]) -> None:
    import dns.resolver

    try:
        ans = resolver.resolve(host, rdtype, lifetime=lifetime, raise_on_no_answer=False, search=False)
        out["addresses"] = [r.to_text() for r in ans.rrset] if ans.rrset is not None else []
        chain = []
        cr = getattr(ans, "chaining_result", None)
        for rr in getattr(cr, "cnames", []) or []:
            for item in rr:
                chain.append([rr.name.to_text().rstrip("."), item.target.to_text().rstrip(".")])
        out["cnames"] = chain
        out["code"] = "answer" if out["addresses"] else "no-answer"
    except dns.resolver.NXDOMAIN:
        out["code"] = "nxdomain"
    except dns.resolver.LifetimeTimeout:
        out["code"] = "timeout"
    except dns.resolver.NoNameservers as exc:
        errors = " ".join(str(e) for e in exc.kwargs.get("errors", []))
        out["code"] = (
            "refused" if "REFUSED" in errors else "servfail" if "SERVFAIL" in errors else "no-nameservers"
        )
        out["error"] = errors[:300]
    except dns.resolver.NoResolverConfiguration:
        out["code"] = "no-resolver"
    except Exception as exc:  # noqa: BLE001 - any other resolver failure is reported, not raised
        out["code"] = "error"
        out["error"] = f"{type(exc).__name__}: {exc}"[:300]


# Once one address family has answered, how long the other may still take (RFC 8305 waits 50 ms for AAAA
# after A; a little more here so IPv6 answers still make it into the evidence on a loaded machine).
FAMILY_GRACE = 0.25

_PRIORITY = (
    "answer",
    "timeout",
    "servfail",
    "refused",
    "nxdomain",
    "no-answer",
    "no-nameservers",
    "no-resolver",
)


def dns_stage(host: str, settings: ProbeSettings, deadline: Deadline) -> tuple[Stage, list[str]]:
    """Resolve ``host``: (stage, addresses). An IP literal skips the stage."""
    t0 = time.monotonic()
    try:
        ipaddress.ip_address(host)
        return Stage("dns", SKIP, 0.0, "literal", f"{host} is an address literal", {"addresses": [host]}), [
            host
        ]
    except ValueError:
        pass
    label = resolver_label(settings)
    if not settings.nameservers:
        hosted = hosts_lookup(host, settings.hosts_file)
        if hosted:
            data = {"addresses": hosted, "source": settings.hosts_file}
            return Stage(
                "dns", OK, ms_since(t0), "hosts-file", f"{host} -> {', '.join(hosted)} (hosts file)", data
            ), hosted
    try:
        resolver = _make_resolver(settings)
    except Exception as exc:  # noqa: BLE001
        return Stage("dns", FAIL, ms_since(t0), "no-resolver", f"no DNS resolver configured: {exc}", {}), []
    live: dict[str, dict[str, Any]] = {"A": {}, "AAAA": {}}
    lifetime = max(0.05, deadline.remaining())
    finished = threading.Event()

    def run(rdtype: str) -> None:
        _query(resolver, host, rdtype, lifetime, live[rdtype])
        finished.set()

    for rdtype in live:
        threading.Thread(target=run, args=(rdtype,), daemon=True, name=f"dns-{rdtype}").start()
    grace_end: float | None = None
    while not deadline.expired:  # bounded by the deadline, and by the grace once one family answered
        done = [r for r in live.values() if "code" in r]
        if len(done) == len(live):
            break
        if grace_end is None and any(r.get("addresses") for r in done):
            grace_end = time.monotonic() + FAMILY_GRACE  # resolvers that drop AAAA must not stall us
        if grace_end is not None and time.monotonic() >= grace_end:
            break
        wait = (
            deadline.remaining()
            if grace_end is None
            else min(deadline.remaining(), grace_end - time.monotonic())
        )
        finished.wait(max(0.001, wait))
        finished.clear()
    results = {t: dict(r) for t, r in live.items()}  # a late reply must not change what we report
    for r in results.values():
        r.setdefault("code", "timeout")
    addresses = [*results["A"].get("addresses", []), *results["AAAA"].get("addresses", [])]
    cnames = results["A"].get("cnames") or results["AAAA"].get("cnames") or []
    data: dict[str, Any] = {"resolver": label, "A": results["A"], "AAAA": results["AAAA"]}
    ms = ms_since(t0)
    if addresses:
        kinds = {ip: classify_ip(ip) for ip in addresses}
        private = [ip for ip, k in kinds.items() if k in ("private", "link-local")]
        data.update(addresses=addresses, cnames=cnames, kinds=kinds)
        chain = " -> ".join([host, *[c[1] for c in cnames]])
        detail = f"{chain} -> {', '.join(addresses)} via {label}"
        if private:
            data["private"] = private
            detail += f"; private address(es) {', '.join(private)} (VPC endpoint or split-horizon DNS)"
        silent = [t for t, r in results.items() if r["code"] == "timeout"]
        if silent:
            detail += f"; no {'/'.join(silent)} reply (the resolver or a middlebox drops those queries)"
        return Stage("dns", OK, ms, "answer", detail, data), addresses
    codes = [results["A"]["code"], results["AAAA"]["code"]]
    code = next((c for c in _PRIORITY if c in codes), codes[0])
    words = {
        "nxdomain": "returns NXDOMAIN (no such name)",
        "servfail": "returns SERVFAIL (the resolver failed to resolve it)",
        "refused": "is REFUSED by the resolver",
        "no-answer": "has no A/AAAA records (NODATA)",
        "timeout": f"timed out after {ms:.0f} ms (no reply)",
        "no-nameservers": "failed on every nameserver",
        "no-resolver": "cannot run: no resolver configured",
    }
    advice = {
        "nxdomain": "check the corporate resolver / split-horizon (VPN connected?)",
        "servfail": "the resolver cannot resolve it upstream: corporate DNS forwarding or DNSSEC",
        "refused": "this resolver will not serve the query: check the nameservers in use",
        "no-answer": "the name exists without addresses: check the record (or split-horizon view)",
        "timeout": "the resolver does not reply: VPN/firewall blocking DNS?",
    }.get(code, "check the resolver configuration")
    detail = f"DNS for {host} {words.get(code, code)} via {label} — {advice}"
    return Stage("dns", FAIL, ms, code, detail, data), []
