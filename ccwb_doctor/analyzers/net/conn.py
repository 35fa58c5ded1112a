"""TCP and proxy stages: connect to every address (refused vs timed out vs unreachable), and CONNECT
through a proxy (proxy DNS/connect, 407, refusal)."""

from __future__ import annotations

import base64
import errno
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from ccwb_doctor.analyzers.net.dns import dns_stage
from ccwb_doctor.analyzers.net.model import (
    FAIL,
    OK,
    WARN,
    Deadline,
    ProbeSettings,
    SocketTracker,
    Stage,
    ms_since,
)

Opener = Callable[[], socket.socket]


# ------------------------------------------------------------------------------------------- TCP
def _errcode(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    no = getattr(exc, "errno", None)
    if no in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        return "unreachable"
    if no == errno.ECONNRESET:
        return "reset"
    return errno.errorcode.get(no, type(exc).__name__) if isinstance(no, int) else type(exc).__name__


def connect(ip: str, port: int, deadline: Deadline, tracker: SocketTracker) -> socket.socket:
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock = tracker.add(socket.socket(family, socket.SOCK_STREAM))
    sock.settimeout(max(0.01, deadline.remaining()))
    try:
        sock.connect((ip, port))
    except BaseException:
        sock.close()
        raise
    return sock


def tcp_stage(
    addresses: list[str], port: int, settings: ProbeSettings, deadline: Deadline, tracker: SocketTracker
) -> tuple[Stage, socket.socket | None, str | None]:
    """Connect to every address in parallel; keep the first (in answer order) that connected."""
    t0 = time.monotonic()
    addrs = addresses[: settings.max_addresses]
    per: dict[str, dict[str, Any]] = {ip: {} for ip in addrs}
    socks: dict[str, socket.socket] = {}

    def one(ip: str) -> None:
        t1 = time.monotonic()
        try:
            socks[ip] = connect(ip, port, deadline, tracker)
            per[ip].update(code="connected", ms=round(ms_since(t1), 1))
        except Exception as exc:  # noqa: BLE001 - every failure is a verdict
            per[ip].update(code=_errcode(exc), ms=round(ms_since(t1), 1), error=str(exc)[:200])

    threads = [threading.Thread(target=one, args=(ip,), daemon=True) for ip in addrs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=deadline.remaining(0.01))
    for v in per.values():
        v.setdefault("code", "timeout")
    winner = next((ip for ip in addrs if ip in socks and per[ip]["code"] == "connected"), None)
    for ip, s in socks.items():
        if ip != winner:
            s.close()
    data = {"port": port, "addresses": per}
    ms = ms_since(t0)
    if winner:
        bad = [ip for ip in addrs if per[ip]["code"] != "connected"]
        status = WARN if bad else OK
        failed = ", ".join(f"{ip}={per[ip]['code']}" for ip in bad)
        detail = f"connected to {winner}:{port}" + (
            f"; {len(bad)} other address(es) failed: {failed}" if bad else ""
        )
        return Stage("tcp", status, ms, "connected", detail, data), socks[winner], winner
    codes = {v["code"] for v in per.values()}
    code = "timeout" if "timeout" in codes else "refused" if codes == {"refused"} else sorted(codes)[0]
    words = {
        "refused": "refused (nothing listens there, or a firewall rejects it)",
        "timeout": "timed out (a firewall drops the packets, or the host is down)",
        "unreachable": "unreachable (no route: VPN/proxy required?)",
    }
    listed = ", ".join(f"{ip}={per[ip]['code']}" for ip in addrs)
    detail = f"TCP connect to port {port} {words.get(code, code)}: {listed}"
    return Stage("tcp", FAIL, ms, code, detail, data), None, None


# ------------------------------------------------------------------------------------------ proxy
def proxy_parts(proxy_url: str) -> tuple[str, int, str, tuple[str, str] | None]:
    p = urlsplit(proxy_url)
    auth = (unquote(p.username or ""), unquote(p.password or "")) if p.username else None
    return p.hostname or "", p.port or (443 if p.scheme == "https" else 80), p.scheme, auth


def _read_head(sock: socket.socket, deadline: Deadline) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        sock.settimeout(max(0.01, deadline.remaining()))
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


def open_tunnel(
    sock: socket.socket, host: str, port: int, auth: tuple[str, str] | None, deadline: Deadline
) -> tuple[int, str]:
    lines = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}"]
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        lines.append(f"Proxy-Authorization: Basic {token}")
    sock.settimeout(max(0.01, deadline.remaining()))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = _read_head(sock, deadline)
    first = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = first.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return 0, first[:100]
    return int(parts[1]), first[:100]


def proxy_stage(
    proxy_url: str,
    host: str,
    port: int,
    tunnel: bool,
    settings: ProbeSettings,
    deadline: Deadline,
    tracker: SocketTracker,
) -> tuple[Stage, Opener | None, str | None]:
    """Resolve and connect to the proxy; open a CONNECT tunnel for https targets.

    Returns (stage, opener of fresh tunnels/connections, proxy IP used).
    """
    t0 = time.monotonic()
    phost, pport, scheme, auth = proxy_parts(proxy_url)
    shown = f"{phost}:{pport}"
    data: dict[str, Any] = {"proxy": f"{scheme}://{shown}", "auth": bool(auth), "tunnel": tunnel}
    dstage, addrs = dns_stage(phost, settings, deadline)
    data["dns"] = dstage.to_dict()
    if not addrs:
        detail = f"proxy {shown}: {dstage.detail} — check HTTPS_PROXY / the proxy host name"
        return Stage("proxy", FAIL, ms_since(t0), f"proxy-dns-{dstage.code}", detail, data), None, None
    tstage, sock, ip = tcp_stage(addrs, pport, settings, deadline, tracker)
    data["tcp"] = tstage.to_dict()
    if sock is None or ip is None:
        detail = f"cannot connect to proxy {shown}: {tstage.code} — is the proxy up, is HTTPS_PROXY right?"
        return Stage("proxy", FAIL, ms_since(t0), f"proxy-connect-{tstage.code}", detail, data), None, None
    proxy_ip: str = ip

    def fresh_proxy_socket() -> socket.socket:
        s = connect(proxy_ip, pport, deadline, tracker)
        if scheme == "https":
            ctx = ssl.create_default_context(cafile=settings.cafile)
            s = tracker.add(ctx.wrap_socket(s, server_hostname=phost))
        return s

    if scheme == "https":
        sock.close()
        try:
            sock = fresh_proxy_socket()
        except (OSError, ssl.SSLError) as exc:
            detail = f"TLS to the https proxy {shown} failed: {exc}"
            return Stage("proxy", FAIL, ms_since(t0), "proxy-tls", detail, data), None, None
    if not tunnel:
        first = sock

        def plain_opener() -> socket.socket:
            nonlocal first
            if first is not None:
                s, first = first, None
                return s
            return fresh_proxy_socket()

        detail = f"connected to proxy {shown} ({proxy_ip}); plain HTTP goes through it"
        return Stage("proxy", OK, ms_since(t0), "connected", detail, data), plain_opener, proxy_ip
    try:
        status, line = open_tunnel(sock, host, port, auth, deadline)
    except (OSError, TimeoutError) as exc:
        code = _errcode(exc)
        detail = f"proxy {shown} did not answer CONNECT {host}:{port} ({code})"
        return Stage("proxy", FAIL, ms_since(t0), f"connect-{code}", detail, data), None, None
    data["connect_status"] = status
    data["connect_reply"] = line
    ms = ms_since(t0)
    if status == 200:
        first_tunnel: socket.socket | None = sock

        def opener() -> socket.socket:
            nonlocal first_tunnel
            if first_tunnel is not None:
                s, first_tunnel = first_tunnel, None
                return s
            s = fresh_proxy_socket()
            st, ln = open_tunnel(s, host, port, auth, deadline)
            if st != 200:
                raise OSError(f"CONNECT refused: {ln}")
            return s

        detail = f"proxy {shown} tunnelled CONNECT {host}:{port}"
        return Stage("proxy", OK, ms, "tunnel", detail, data), opener, proxy_ip
    sock.close()
    if status == 407:
        how = "the credentials in the proxy URL were rejected" if auth else "no credentials were sent"
        detail = (
            f"proxy {shown} demands authentication (407) for CONNECT {host}:{port}; {how} — "
            "put user:password in HTTPS_PROXY (http://user:pass@host:port) or get an exemption"
        )
        return Stage("proxy", FAIL, ms, "proxy-auth-407", detail, data), None, None
    if status in (502, 503, 504):
        detail = f"proxy {shown} could not reach {host}:{port} ({line}) — the proxy's own DNS/egress fails"
        return Stage("proxy", FAIL, ms, f"connect-upstream-{status}", detail, data), None, None
    detail = (
        f"proxy {shown} refused CONNECT {host}:{port} ({line or 'no reply'}) — ask for {host} to be "
        "allow-listed, or add it to NO_PROXY if it is reachable directly"
    )
    return Stage("proxy", FAIL, ms, f"connect-refused-{status}", detail, data), None, None
