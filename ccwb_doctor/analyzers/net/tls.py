"""TLS stage: handshake against the system store, protocol version, certificate subject/issuer/SAN/expiry,
hostname match, and interception detection (valid for the system store but not the public CA bundle)."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

from ccwb_doctor.analyzers.net.model import (
    FAIL,
    OK,
    SKIP,
    WARN,
    Deadline,
    ProbeSettings,
    SocketTracker,
    Stage,
    ms_since,
)
from ccwb_doctor.records import record

Opener = Callable[[], socket.socket]


@record
class TLSContexts:
    system: ssl.SSLContext  # verifies against the machine's store (or the injected bundle)
    public: ssl.SSLContext  # verifies against the public CA bundle (certifi), no hostname check
    insecure: ssl.SSLContext  # reads the certificate of a server we do not trust
    trusted_via: tuple[str, ...] = ()  # the client's extra CA variables loaded into ``system``

    @classmethod
    def build(cls, settings: ProbeSettings, extra: list[tuple[str, str]] | None = None) -> TLSContexts:
        """``extra``: (variable, path) CA bundles the endpoint's client adds to the system store
        (NODE_EXTRA_CA_CERTS for Claude Code, AWS_CA_BUNDLE for the SDKs, SSL_CERT_FILE for OpenSSL)."""
        system = ssl.create_default_context(cafile=settings.cafile)
        loaded: list[str] = []
        for var, path in extra or []:
            try:
                system.load_verify_locations(cafile=path)
                loaded.append(var)
            except (OSError, ssl.SSLError):
                continue  # an unreadable bundle adds nothing; the client would fail the same way
        cafile = settings.public_cafile
        if not cafile:
            import certifi

            cafile = certifi.where()
        public = ssl.create_default_context(cafile=cafile)
        public.check_hostname = False
        insecure = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # loads no CA store: only reads certificates
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        return cls(system, public, insecure, tuple(loaded))


VERIFY_CODES = {
    9: "not-yet-valid",
    10: "expired",
    62: "hostname-mismatch",
    18: "self-signed",
    19: "self-signed-chain",
    20: "untrusted",
    21: "untrusted",
    2: "untrusted",
}


def cert_info(der: bytes | None) -> dict[str, Any]:
    if not der:
        return {}
    import datetime as dt

    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return {"error": "unparseable certificate"}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [
            *san.get_values_for_type(x509.DNSName),
            *[str(i) for i in san.get_values_for_type(x509.IPAddress)],
        ]
    except x509.ExtensionNotFound:
        names = []
    after = cert.not_valid_after_utc
    now = dt.datetime.now(dt.UTC)

    def short(name: x509.Name) -> str:
        for oid in (x509.NameOID.COMMON_NAME, x509.NameOID.ORGANIZATION_NAME):
            attrs = name.get_attributes_for_oid(oid)
            if attrs:
                return str(attrs[0].value)
        return name.rfc4514_string()

    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "issuer_name": short(cert.issuer),
        "san": names[:20],
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": after.isoformat(),
        "days_left": int((after - now).total_seconds() // 86400),
        "self_signed": cert.subject == cert.issuer,
    }


class _Inner:
    """TLS inside an already-TLS socket (an https:// proxy's tunnel), driven through memory BIOs."""

    def __init__(self, obj: ssl.SSLObject, sock: socket.socket) -> None:
        self.obj, self.sock = obj, sock

    def getpeercert(self, binary_form: bool = False) -> Any:
        return self.obj.getpeercert(binary_form)

    def version(self) -> str | None:
        return self.obj.version()

    def cipher(self) -> Any:
        return self.obj.cipher()

    def close(self) -> None:
        self.sock.close()


def _handshake_in_tls(ctx: ssl.SSLContext, sock: ssl.SSLSocket, host: str, deadline: Deadline) -> _Inner:
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=host)
    for _ in range(64):  # bounded: a handshake is a handful of round trips
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = outgoing.read()
            if pending:
                sock.sendall(pending)
            sock.settimeout(max(0.01, deadline.remaining()))
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("connection closed during the TLS handshake") from None
            incoming.write(chunk)
    else:
        raise TimeoutError("TLS handshake did not converge")
    pending = outgoing.read()
    if pending:
        sock.sendall(pending)
    return _Inner(obj, sock)


def _handshake(
    ctx: ssl.SSLContext, opener: Opener, host: str, deadline: Deadline, tracker: SocketTracker
) -> Any:
    raw = opener()
    raw.settimeout(max(0.01, deadline.remaining()))
    if isinstance(raw, ssl.SSLSocket):
        return _handshake_in_tls(ctx, raw, host, deadline)
    return tracker.add(ctx.wrap_socket(raw, server_hostname=host))


def tls_stage(
    opener: Opener,
    host: str,
    ctxs: TLSContexts,
    deadline: Deadline,
    tracker: SocketTracker,
    private_peer: bool = False,
) -> tuple[Stage, dict[str, Any]]:
    """Handshake against the system store, read the certificate, and compare with the public bundle.

    ``private_peer``: the connection goes straight to a loopback/private address (no proxy). A chain
    that only a configured private root validates is then the organisation's internal PKI; for a
    public peer, or through a proxy, it is TLS interception."""
    t0 = time.monotonic()
    data: dict[str, Any] = {}
    try:
        ssock = _handshake(ctxs.system, opener, host, deadline, tracker)
    except ssl.SSLCertVerificationError as exc:
        code = VERIFY_CODES.get(exc.verify_code, "verify-failed")
        data["verify_error"] = exc.verify_message
        try:
            insecure = _handshake(ctxs.insecure, opener, host, deadline, tracker)
            data["cert"] = cert_info(insecure.getpeercert(binary_form=True))
            data["version"] = insecure.version()
            insecure.close()
        except (OSError, ssl.SSLError) as exc2:
            data["cert_error"] = str(exc2)[:200]
        return _verify_failure(host, code, data, ms_since(t0)), data
    except ssl.SSLError as exc:
        detail = (
            f"TLS handshake with {host} failed: {exc.reason or exc} — protocol/cipher mismatch or not TLS"
        )
        return Stage("tls", FAIL, ms_since(t0), "handshake-failed", detail, data), data
    except (OSError, TimeoutError) as exc:
        code = "timeout" if isinstance(exc, TimeoutError | socket.timeout) or deadline.expired else "reset"
        what = (
            "never completed (the peer accepted TCP but did not answer TLS)"
            if code == "timeout"
            else "was cut"
        )
        detail = f"TLS handshake with {host} {what}: {exc or code}"
        return Stage("tls", FAIL, ms_since(t0), code, detail, data), data
    cert = cert_info(ssock.getpeercert(binary_form=True))
    data.update(version=ssock.version(), cipher=(ssock.cipher() or ("",))[0], cert=cert)
    ssock.close()
    # Is the chain also valid for the public CA bundle? If not, something re-signs traffic.
    public_ok: bool | None
    try:
        pub = _handshake(ctxs.public, opener, host, deadline, tracker)
        pub.close()
        public_ok = True
    except ssl.SSLCertVerificationError:
        public_ok = False
    except (OSError, ssl.SSLError):
        public_ok = None
    data["public_ca"] = public_ok
    ms = ms_since(t0)
    issuer = cert.get("issuer_name", "?")
    if public_ok is False and private_peer and ctxs.trusted_via:
        data["private_ca"] = True
        data["trusted_via"] = list(ctxs.trusted_via)
        detail = (
            f"{data['version']}, certificate for {host} issued by the private CA '{issuer}' (internal PKI), "
            f"trusted through {' / '.join(ctxs.trusted_via)}"
        )
        return Stage("tls", OK, ms, "private-ca", detail, data), data
    if public_ok is False:
        data["interception"] = True
        detail = (
            f"TLS interception: {host} presents a certificate issued by '{issuer}', trusted by this "
            "machine's store but not by the public CA bundle (a TLS-inspecting proxy) — tools with their own "
            "CA bundle need that root: NODE_EXTRA_CA_CERTS for Claude Code, AWS_CA_BUNDLE for the SDKs"
        )
        return Stage("tls", WARN, ms, "interception", detail, data), data
    days = cert.get("days_left")
    if isinstance(days, int) and days < 14:
        detail = f"{data['version']} ok but the certificate for {host} expires in {days} day(s) (issuer '{issuer}')"
        return Stage("tls", WARN, ms, "expiring", detail, data), data
    detail = f"{data['version']}, certificate for {host} issued by '{issuer}', {days} days left"
    return Stage("tls", OK, ms, "verified", detail, data), data


def _verify_failure(host: str, code: str, data: dict[str, Any], ms: float) -> Stage:
    cert = data.get("cert", {})
    issuer = cert.get("issuer_name", "?")
    if code == "expired":
        detail = (
            f"TLS certificate for {host} expired on {cert.get('not_after', '?')} (issuer '{issuer}') — "
            "the server (or the proxy re-signing it) must renew it; check the system clock too"
        )
    elif code == "not-yet-valid":
        detail = (
            f"TLS certificate for {host} is not valid before {cert.get('not_before', '?')} — check the clock"
        )
    elif code == "hostname-mismatch":
        detail = (
            f"TLS certificate does not cover {host} (SAN: {', '.join(cert.get('san', [])) or 'none'}) — wrong "
            "endpoint URL, or a proxy/load balancer answering with another certificate"
        )
    else:
        detail = (
            f"TLS certificate for {host} issued by '{issuer}' is not trusted ({data.get('verify_error')}) — "
            "a private CA or TLS-inspecting proxy: install its root in the system store / AWS_CA_BUNDLE / "
            "NODE_EXTRA_CA_CERTS"
        )
        data["interception_suspected"] = True
    return Stage("tls", FAIL, ms, code, detail, data)


def skip_tls(reason: str) -> Stage:
    return Stage("tls", SKIP, 0.0, "n/a", reason)
