"""facts.castore: the CA bundles each client of the system honours, added to the system store."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme

from ccwb_doctor.facts.castore import CLIENT_CA_VARS, client_cas, ssl_context
from ccwb_doctor.fixtures.collector import FixtureCollector


def test_each_client_honours_only_its_own_variables(tmp_path: Path) -> None:
    bundle = tmp_path / "corp.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    env = {v: str(bundle) for names in CLIENT_CA_VARS.values() for v in names}
    env["AWS_CA_BUNDLE"] = str(tmp_path / "missing.pem")  # a dangling variable adds nothing
    assert [v for v, _ in client_cas(env, "collector")] == [
        "NODE_EXTRA_CA_CERTS"
    ]  # Node ignores SSL_CERT_FILE
    assert [v for v, _ in client_cas(env, "bedrock")] == ["NODE_EXTRA_CA_CERTS"]
    assert [v for v, _ in client_cas(env, "idp")] == ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CCWB_CA_BUNDLE"]
    assert client_cas(env, "unknown-kind") == []


def test_context_trusts_the_clients_private_root_and_nothing_else_extra(tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    ca = trustme.CA(organization_name="Internal Issuing CA")
    bundle = tmp_path / "internal.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with FixtureCollector(tls=ca) as col:
        req = urllib.request.Request(col.signal_url(), data=b"", method="POST")
        for kind, ok in (("collector", True), ("sts", False)):
            ctx = ssl_context({"NODE_EXTRA_CA_CERTS": str(bundle)}, kind)
            try:
                urllib.request.urlopen(req, timeout=5, context=ctx).close()
                verified = True
            except urllib.error.HTTPError:
                verified = True  # TLS verified; the collector answered (415: no content type)
            except urllib.error.URLError as exc:
                assert isinstance(exc.reason, ssl.SSLCertVerificationError)
                verified = False
            assert verified is ok, kind
