"""The facts index (which module provides each fact) equals what the @fact decorators register, and a run
imports only the provider modules its checks read."""

from __future__ import annotations

import json
import subprocess
import sys

from ccwb_doctor import facts as F


def test_index_names_every_provider_and_its_module() -> None:
    F._load_providers()
    registered = {name: fn.__module__.rsplit(".", 1)[1] for name, fn in F.PROVIDERS.items()}
    assert registered == F.INDEX


def test_a_fact_loads_only_its_module() -> None:
    code = (
        "import json, sys\n"
        "from ccwb_doctor.facts import Facts\n"
        "from ccwb_doctor.options import RunOptions\n"
        "Facts(RunOptions(), env={}).get('profile_name')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('ccwb_doctor.facts.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(json.loads(out.stdout))
    assert "ccwb_doctor.facts.config" in loaded
    for other in ("live", "trust", "network", "token", "provider", "conform"):
        assert f"ccwb_doctor.facts.{other}" not in loaded


def test_an_unknown_fact_is_an_attribute_error() -> None:
    f = F.Facts(env={})
    try:
        f.get("no_such_fact")
    except AttributeError as exc:
        assert "no_such_fact" in str(exc)
    else:
        raise AssertionError("an unknown fact must raise AttributeError")
    assert f.peek("no_such_fact", "default") == "default"
