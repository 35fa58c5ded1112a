"""Which CA bundles each client of the system trusts, read from the environment Claude Code runs with.

One table for every fact that opens TLS on a client's behalf (network probes, the JWKS fetch, the
test OTLP metric): the IdP is fetched by the credential helper (Python/OpenSSL, requests), STS by the
helper and the AWS SDKs, Bedrock and the collector by Claude Code (Node adds NODE_EXTRA_CA_CERTS to its
roots; the AWS SDK takes AWS_CA_BUNDLE). Bundles are added to the system store, as those clients do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ssl costs ~7 ms to import; an offline run never opens TLS
    import ssl

CLIENT_CA_VARS: dict[str, tuple[str, ...]] = {
    "idp": ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CCWB_CA_BUNDLE"),
    "sts": ("AWS_CA_BUNDLE", "SSL_CERT_FILE"),
    "bedrock": ("NODE_EXTRA_CA_CERTS", "AWS_CA_BUNDLE"),
    "collector": ("NODE_EXTRA_CA_CERTS",),
}


def client_cas(env: Mapping[str, str], kind: str) -> list[tuple[str, str]]:
    """(variable, path) of each existing bundle the ``kind`` client honours."""
    return [(v, env[v]) for v in CLIENT_CA_VARS.get(kind, ()) if env.get(v) and Path(env[v]).is_file()]


def ssl_context(env: Mapping[str, str], kind: str) -> ssl.SSLContext:
    """The system store plus the ``kind`` client's bundles (an unreadable bundle adds nothing)."""
    import ssl

    ctx = ssl.create_default_context()
    for _, path in client_cas(env, kind):
        try:
            ctx.load_verify_locations(cafile=path)
        except (OSError, ssl.SSLError):
            continue
    return ctx
