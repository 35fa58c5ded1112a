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
