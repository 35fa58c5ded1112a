"""Fetching the issuer's keys has one overall deadline: a real loopback server that drips its answer a
byte at a time (never idle long enough for a per-read timeout) cannot hold the lookup."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from ccwb_doctor.analyzers.token.jwks import JwksClient, JwksError


@pytest.fixture
def slow_drip() -> Iterator[str]:
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(4096)
                for b in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"a" * 10_000:
                    if stop.wait(0.2):  # one byte every 0.2 s: every read succeeds in time
                        return
                    conn.sendall(bytes([b]))
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    t.join(2)
    srv.close()


def test_slow_drip_issuer_is_cut_at_the_overall_deadline(slow_drip: str) -> None:
    client = JwksClient(None, timeout=1.0, budget=1.5)
    t0 = time.monotonic()
    with pytest.raises(JwksError) as exc:
        client.key_for(slow_drip, "kid-1")
    took = time.monotonic() - t0
    assert took < 4.0, took  # before the fix: a per-read timeout never fires, the drip runs 30+ s
    assert exc.value.code == "discovery-timeout" and "1.5 s" in str(exc.value)


def test_the_fact_bounds_the_budget_by_the_run_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ccwb_doctor.facts import Facts
    from ccwb_doctor.options import OFFLINE, RunOptions

    facts = Facts(RunOptions(mode=OFFLINE, home=tmp_path, timeout=2.0), env={})
    assert facts.jwks_client.budget <= 2.0


@pytest.mark.parametrize("exp", [10**30, 2**62, 10**12 * 1000])
def test_absurd_exp_reads_as_a_year_not_a_minute_count(exp: int) -> None:
    from ccwb_doctor.analyzers.token.jwt import time_verdict

    tv = time_verdict({"exp": exp, "iat": 1_700_000_000}, 1_700_000_100)
    text = " ".join([*tv.implausible, *(p.message for p in tv.problems), str(tv.to_dict())])
    assert "not a plausible time" in text and "exp is in year" in text
    assert not any(len(w) > 12 and w.isdigit() for w in text.replace(",", " ").split()), text
    assert tv.remaining is None


def test_absurd_iat_and_negative_exp_have_sane_messages() -> None:
    from ccwb_doctor.analyzers.token.jwt import time_verdict

    tv = time_verdict({"exp": -(10**30), "iat": 10**30, "nbf": 10**30}, 1_700_000_000)
    text = " ".join([*tv.implausible, *(p.message for p in tv.problems)])
    assert "before 1970" in text and "year 31688" in text
    assert "0000000000" not in text, text
