"""The fleet HTML page in headless Chromium (Debian package ``chromium``): it renders, both charts are
there, and no request leaves the page (a CSP of default-src 'none', no URL anywhere in the DOM, and a
proxy socket that no connection reaches)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccwb_doctor.cli import main
from ccwb_doctor.fixtures.fleet_corpus import NOW, write_corpus

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter",
]


@pytest.fixture(scope="session")
def chromium() -> str:
    """The chromium binary; installed with apt-get (Debian package) only when absent, else skip."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and cannot be (apt-get needs root): apt-get install chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        proc = subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        if proc.returncode != 0:
            subprocess.run(
                ["apt-get", "update", "-q"], capture_output=True, timeout=300, env=env, check=False
            )
            proc = subprocess.run(
                ["apt-get", "install", "-y", "-q", "chromium"],
                capture_output=True,
                text=True,
                timeout=600,
                env=env,
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"chromium could not be installed: {exc}")
    found = shutil.which("chromium")
    if proc.returncode != 0 or not found:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        pytest.skip(f"chromium could not be installed with apt-get: {tail[0]}")
    return found


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet-html")
    write_corpus(root / "corpus", 300, seed=18)
    (root / "corpus" / "broken.json").write_text("{", encoding="utf-8")
    out = root / "fleet.html"
    stamp = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    code = main(
        [
            "fleet",
            str(root / "corpus"),
            "--now",
            stamp,
            "--format",
            "html",
            "--output",
            str(out),
            "--workers",
            "1",
        ]
    )
    assert code == 1 and out.exists()
    return out


class Trap:
    """A proxy that refuses everything (403 at once, so the browser never waits) and records each request."""

    def __init__(self) -> None:
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.srv.settimeout(0.1)
        self.port = self.srv.getsockname()[1]
        self.seen: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.srv.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    self.seen.append(conn.recv(300))
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    self.seen.append(b"?")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.srv.close()

    def page_requests(self) -> list[bytes]:
        """Requests that are not Chromium's own: a connection that sent no bytes at all (a speculative
        preconnect to the proxy, seen once in CI) carries no request and is not counted."""
        return [r for r in self.seen if r not in (b"", b"?") and not BROWSER_HOSTS.match(r)]


@pytest.fixture
def trap() -> Iterator[Trap]:
    t = Trap()
    yield t
    t.close()


# the browser's own services (time, component updates) that it calls whatever page it shows
BROWSER_HOSTS = re.compile(
    rb"^([A-Z]+ http://|CONNECT )[a-z0-9.-]*\.(google\.com|googleapis\.com|gvt1\.com)[:/]"
)


def _chromium(binary: str, tmp: Path, proxy: int, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [
        binary,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--proxy-server=http://127.0.0.1:{proxy}",
        "--proxy-bypass-list=<-loopback>",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_page_is_self_contained(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert not re.search(r"(?i)(https?:|ftp:|//[a-z0-9])", html.replace("<!DOCTYPE html>", ""))
    assert not re.search(r"(?i)\b(src|href|srcset|action|xlink:href)\s*=", html)


def test_chromium_renders_the_page_and_the_charts_without_any_request(
    chromium: str, page: Path, tmp_path: Path, trap: Trap
) -> None:
    port = trap.port
    proc = _chromium(chromium, tmp_path, port, "--dump-dom", page.as_uri())
    dom = proc.stdout
    assert proc.returncode == 0 and "<body" in dom, proc.stderr[-2000:]
    assert "ccwb-doctor fleet summary" in dom
    for chart in ("chart-checks", "chart-platforms"):
        m = re.search(rf'<svg id="{chart}"[^>]*>(.*?)</svg>', dom, re.S)
        assert m, f"{chart} missing from the rendered DOM"
        assert len(re.findall(r"<rect ", m.group(1))) >= 5
    assert "TRUST-AUDIENCE" in dom and "windows/x86_64" in dom and "broken.json" in dom
    # nothing in the rendered DOM can fetch: no URL, no src/href
    assert not re.search(r"(?i)(https?:|ftp:|wss?:)", dom)
    assert not re.search(r"(?i)\b(src|href|srcset|action)\s*=", dom)
    png = tmp_path / "shot.png"
    proc = _chromium(
        chromium, tmp_path, port, f"--screenshot={png}", "--window-size=1200,1600", page.as_uri()
    )
    assert png.exists() and png.stat().st_size > 10_000, proc.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert trap.page_requests() == []  # no request left the page


def test_the_proxy_trap_would_catch_a_page_request(chromium: str, tmp_path: Path, trap: Trap) -> None:
    """Control: the same browser and trap do see a request from a page that makes one."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><img src="http://fleet-leak.invalid/pixel.png">', encoding="utf-8")
    _chromium(chromium, tmp_path, trap.port, "--dump-dom", leaky.as_uri())
    assert any(b"fleet-leak.invalid" in r for r in trap.page_requests())
