"""ccwb_doctor.analyzers.botocore_lite: the installed botocore's splitter and data, same results, no botocore.compat."""

from __future__ import annotations

import subprocess
import sys

import pytest
from botocore.compat import compat_shell_split as real

from ccwb_doctor.analyzers.botocore_lite import compat_shell_split as ours

CASES = [
    "",
    "/a/b --profile X",
    '"/home/ana smith/cp" --profile X',
    "/home/ana smith/cp --profile X",
    r"C:\Users\ana\claude-code-with-bedrock\credential-process.exe --profile ClaudeCode",
    r'"C:\Program Files\x\cp.exe" --p "a b"',
    r'a\\"b c" d\\\\"e f"\ ',
    "C:/Users/ana/cp.exe\t--profile  X",
    r'x "y\"z" \\\\server\share',
    "'single quoted' x",
]


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
@pytest.mark.parametrize("line", CASES)
def test_same_as_botocore(line: str, platform: str) -> None:
    def run(fn):  # type: ignore[no-untyped-def]
        try:
            return fn(line, platform)
        except ValueError as exc:
            return ("error", type(exc))

    assert run(ours) == run(real)


def test_unbalanced_quote_raises_like_botocore() -> None:
    for platform in ("linux", "win32"):
        with pytest.raises(ValueError):
            ours('"a b', platform)


def test_does_not_import_botocore_compat() -> None:
    code = (
        "import sys; from ccwb_doctor.analyzers.botocore_lite import compat_shell_split as s; "
        "assert s('a b', 'win32') == ['a', 'b']; print('botocore.compat' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_partitions_data_is_botocores() -> None:
    import botocore.loaders

    from ccwb_doctor.analyzers.botocore_lite import load_data

    assert load_data("partitions") == botocore.loaders.create_loader().load_data("partitions")


INI_CASES = {
    "profile": "[default]\nregion = us-east-1\n\n[profile ClaudeCode]\ncredential_process = /x/cp --profile C\n",
    "nested": "[profile a]\ns3 =\n  addressing_style = path\n  signature_version = s3v4\n",
    "bad-nested": "[profile a]\ns3 =\n  no equals sign here\n",
    "services": "[services dev]\nbedrock-runtime =\n  endpoint_url = http://127.0.0.1:1\n[sso-session s]\nx = 1\n",
    "glued": "[default]\nregion = us-east-1[profile ClaudeCode]\nregion = us-west-2\n",
    "duplicate-key": "[profile a]\nregion = us-east-1\nregion = us-west-2\n",
    "duplicate-section": "[profile a]\nx = 1\n[profile a]\ny = 2\n",
    "no-section": "region = us-east-1\n",
    "bom": "\ufeff[default]\nregion = us-east-1\n",
    "colon": "[profile a]\nregion: us-east-1\n",
    "empty": "",
    "comments": "# c\n[profile a] ; x\nregion = us-east-1 ; not a comment\n",
}


@pytest.mark.parametrize("name", sorted(INI_CASES))
def test_configloader_is_botocores(tmp_path, name: str) -> None:  # type: ignore[no-untyped-def]
    """Same profile map, same sections, and a rejection exactly where botocore rejects (same message)."""
    import botocore.configloader as real_cl
    import botocore.exceptions

    from ccwb_doctor.analyzers.botocore_lite import configloader

    lite = configloader()
    load_config, raw_config_parse, parse_error = (
        lite.load_config,
        lite.raw_config_parse,
        lite.ConfigParseError,
    )
    path = tmp_path / "config"
    path.write_text(INI_CASES[name], encoding="utf-8")

    def run(fn, error):  # type: ignore[no-untyped-def]
        try:
            return fn(str(path))
        except error as exc:
            return ("rejected", str(exc))

    assert run(load_config, parse_error) == run(real_cl.load_config, botocore.exceptions.ConfigParseError)
    assert run(raw_config_parse, parse_error) == run(
        real_cl.raw_config_parse, botocore.exceptions.ConfigParseError
    )


def test_configloader_does_not_import_botocore(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ini = tmp_path / "config"
    ini.write_text("[default]\nregion = x\n", encoding="utf-8")
    code = (
        "import sys; from ccwb_doctor.analyzers.botocore_lite import configloader\n"
        f"print(configloader().load_config({str(ini)!r})['profiles'])\n"
        "print(sorted(m for m in sys.modules if m == 'botocore' or m.startswith('botocore.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.splitlines() == ["{'default': {'region': 'x'}}", "[]"]
