"""One endpoint a real caller talks to (:class:`Endpoint`: kind, URL, who calls it, why this URL) and the
kinds the probes group by; ``endpoints`` derives them from the configuration.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

from ccwb_doctor.records import record

IDP, STS, BEDROCK, COLLECTOR, GENERIC = "idp", "sts", "bedrock", "collector", "generic"
KINDS = (IDP, STS, BEDROCK, COLLECTOR)
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
TRUE_WORDS = {"1", "true", "yes", "on"}


@record
class Endpoint:
    """One URL to probe: its kind picks the HTTP expectations (idp discovery, AWS-shaped answer, OTLP)."""

    kind: str
    name: str  # stable label, e.g. "idp", "sts", "bedrock:us-east-1", "collector"
    url: str
    source: str  # where the URL came from (a key or a rule), for evidence
    expect: dict[str, Any] = field(default_factory=dict)  # e.g. {"issuer": ...}, {"region": ...}

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        try:
            explicit = parts.port
        except ValueError:
            explicit = None
        return explicit or (443 if parts.scheme == "https" else 80)

    @property
    def display(self) -> str:
        """The URL with any password in it masked, for messages and evidence."""
        return safe_url(self.url)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "url": self.display,
            "source": self.source,
            "expect": self.expect,
        }


def safe_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username or ''}:****@{host}").geturl()


def _s(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def _https(host_or_url: str) -> str:
    v = host_or_url.strip()
    return v if "://" in v else f"https://{v}"
