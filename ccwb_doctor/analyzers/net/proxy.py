"""Proxy selection from the environment, the way the AWS SDKs do it (pure).

HTTPS_PROXY / https_proxy for https URLs, HTTP_PROXY / http_proxy for http URLs; NO_PROXY / no_proxy is a
comma list of host suffixes (leading dot optional), IPs, CIDRs, optional ``:port``, or ``*``. Loopback
destinations are never proxied. When the upper- and lower-case spellings disagree the SDKs disagree too
(Go prefers upper case, Python lower case): that is reported as a conflict.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import field
from urllib.parse import urlsplit

from ccwb_doctor.records import record


@record
class ProxyChoice:
    proxy: str | None  # proxy URL (credentials stripped) or None for a direct connection
    variable: str | None  # which variable supplied it
    bypassed_by: str | None = None  # the NO_PROXY entry that matched
    conflicts: list[str] = field(default_factory=list)  # upper/lower spellings that disagree
    proxy_raw: str | None = None  # the URL with credentials, never put in evidence

    def to_dict(self) -> dict[str, object]:
        return {
            "proxy": self.proxy,
            "variable": self.variable,
            "bypassed_by": self.bypassed_by,
            "conflicts": self.conflicts,
        }


def _pick(env: Mapping[str, str], name: str) -> tuple[str | None, str | None, list[str]]:
    upper, lower = env.get(name.upper(), "").strip(), env.get(name.lower(), "").strip()
    conflicts = [f"{name.upper()} and {name.lower()} differ"] if upper and lower and upper != lower else []
    if lower:
        return lower, name.lower(), conflicts
    if upper:
        return upper, name.upper(), conflicts
    return None, None, conflicts


def strip_credentials(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def no_proxy_match(host: str, port: int, no_proxy: str) -> str | None:
    """The NO_PROXY entry that makes ``host:port`` go direct, or None."""
    host = host.lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return entry
        name, eport = entry, None
        if entry.startswith("[") and "]" in entry:
            name, rest = entry[1:].split("]", 1)
            eport = rest[1:] if rest.startswith(":") else None
        elif entry.count(":") == 1:
            name, eport = entry.split(":", 1)
        if eport and eport.isdigit() and int(eport) != port:
            continue
        if ip is not None:
            try:
                if ip in ipaddress.ip_network(name, strict=False):
                    return raw.strip()
            except ValueError:
                pass
            continue
        name = name.lstrip("*").lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return raw.strip()
    return None


def proxy_for(url: str, env: Mapping[str, str]) -> ProxyChoice:
    """Which proxy (if any) an AWS SDK would use for ``url`` given ``env``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 443
    var = "https_proxy" if parts.scheme == "https" else "http_proxy"
    raw, name, conflicts = _pick(env, var)
    no_proxy, _, np_conf = _pick(env, "no_proxy")
    conflicts += np_conf
    if not raw:
        return ProxyChoice(None, None, None, conflicts)
    if _is_loopback(host):
        return ProxyChoice(None, name, "loopback", conflicts)
    if no_proxy:
        hit = no_proxy_match(host, port, no_proxy)
        if hit:
            return ProxyChoice(None, name, hit, conflicts)
    full = raw if "://" in raw else f"http://{raw}"
    return ProxyChoice(strip_credentials(full), name, None, conflicts, full)
