"""Materialise credential cases as real files, run both real clients on them in batches, and predict them.

A case is ``{"config": str|None, "credentials": str|None, "env": {...}}`` where ``@HOME@`` stands for the
case's home directory; file text is written as UTF-8 (a BOM is just U+FEFF in the text). Stub helpers
print known keys: the access key id names the stub, the session token carries the argv it received.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ccwb_doctor.analyzers.clientconfig.consumers import aws_cli, claude_code

HERE = Path(__file__).parent
STUBS = {"bin/helper": "ASIASTUBPLAIN", "my tools/helper": "ASIASTUBSPACE"}
STUB = """#!/bin/sh
printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"stub","SessionToken":"%s' "{ID}" "$#"
for a in "$@"; do printf '|%s' "$a"; done
printf '"}\\n'
"""
BASE_ENV = {"AWS_EC2_METADATA_DISABLED": "true", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def materialise(root: Path, idx: int, case: dict[str, Any]) -> dict[str, Any]:
    home = root / f"c{idx}" / "home"
    (home / ".aws").mkdir(parents=True)
    for rel, ident in STUBS.items():
        p = home / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(STUB.replace("{ID}", ident))
        p.chmod(0o755)
    for key, name in (("config", "config"), ("credentials", "credentials")):
        text = case.get(key)
        if text is not None:
            (home / ".aws" / name).write_bytes(text.replace("@HOME@", str(home)).encode("utf-8"))
    env = {**BASE_ENV, "HOME": str(home)}
    env.update({k: v.replace("@HOME@", str(home)) for k, v in case.get("env", {}).items()})
    return {"id": idx, "env": env, "home": str(home)}


def stub_id(path: str) -> str | None:
    for rel, ident in STUBS.items():
        if path.endswith("/" + rel):
            return ident
    return None


def token(args: list[str]) -> str:
    return str(len(args)) + "".join("|" + a for a in args)


def _read(path: str) -> bytes | None:
    try:
        return Path(path).read_bytes() if Path(path).is_file() else None
    except OSError:
        return None


def _is_exec(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def predict(mat: dict[str, Any]) -> dict[str, Any]:
    """The model's prediction in the drivers' vocabulary, per client."""
    out: dict[str, Any] = {}
    for name, fn in (("js", claude_code), ("boto", aws_cli)):
        c = fn(mat["env"], "linux", _read, _is_exec)
        if c.ok is None:
            out[name] = {"ok": None, "why": c.error}
            continue
        pred: dict[str, Any] = {"ok": bool(c.ok), "region": c.region}
        if c.ok and c.source == "credential_process":
            assert c.argv is not None
            pred["akid"] = stub_id(os.path.realpath(c.argv[0]))
            pred["token"] = token(c.argv[1:])
        elif c.ok:
            pred["akid"] = c.access_key_id
            pred["token"] = None
        out[name] = pred
    return out


def observe(node_modules: Path | None, cases: list[dict[str, Any]], work: Path) -> dict[str, list[dict]]:
    """Run the batch through botocore (a child Python) and, if given, the JS SDK (one Node process)."""
    payload = work / "cases.json"
    payload.write_text(json.dumps([{"id": c["id"], "env": c["env"]} for c in cases]))
    res: dict[str, list[dict]] = {}
    cmds = {"boto": [sys.executable, str(HERE / "boto_driver.py"), str(payload)]}
    if node_modules is not None:
        cmds["js"] = ["node", str(HERE / "js_driver.js"), str(node_modules), str(payload)]
    procs = {
        k: subprocess.Popen(v, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work)
        for k, v in cmds.items()
    }
    for k, p in procs.items():
        try:
            so, se = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise
        if p.returncode != 0:
            raise RuntimeError(f"{k} driver failed ({p.returncode}): {se[-2000:]}")
        res[k] = json.loads(so)
    return res


def compare(pred: dict[str, Any], obs: dict[str, Any]) -> dict[str, Any]:
    """What the client did, in the prediction's shape (only the fields the prediction states)."""
    got: dict[str, Any] = {"ok": bool(obs.get("ok")), "region": obs.get("region")}
    if obs.get("ok"):
        got["akid"] = obs.get("akid")
        got["token"] = obs.get("token")
    return got
