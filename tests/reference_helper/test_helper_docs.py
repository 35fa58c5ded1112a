"""docs/helper.md names every config.json key and environment variable the reference helper reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = sorted((ROOT / "reference_helper").glob("*.py"))
DOC = ROOT / "docs" / "helper.md"


def _read() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in CODE)


def test_every_config_key_documented() -> None:
    source = _read()
    keys = set(re.findall(r'cfg(?:\.get\(|\[)"([a-z_]+)"', source))
    keys |= set(
        re.findall(r'"([a-z_]+)": "[a-z_]+",?\n', source.split("_ALIASES = {", 1)[1].split("}", 1)[0])
    )
    assert len(keys) > 20
    doc = DOC.read_text(encoding="utf-8")
    missing = sorted(k for k in keys if f"`{k}`" not in doc)
    assert not missing, f"config keys not in docs/helper.md: {missing}"


def test_every_environment_variable_documented() -> None:
    source = _read()
    names = set(re.findall(r'(?:environ|env)(?:\.get\(|\[)"([A-Z][A-Z0-9_]+)"', source))
    names |= set(re.findall(r'ca_env="([A-Z_]+)"', source))
    assert {"CCWB_CA_BUNDLE", "CCWB_LOGIN_TIMEOUT", "AWS_CA_BUNDLE"} <= names
    doc = DOC.read_text(encoding="utf-8")
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"environment variables not in docs/helper.md: {missing}"
