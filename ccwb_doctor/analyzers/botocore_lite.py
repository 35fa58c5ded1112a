"""botocore's own credential_process splitter, without importing ``botocore.compat``.

``botocore.compat.compat_shell_split`` is ~20 lines, but importing ``botocore.compat`` pulls in urllib3,
http.client, email and dateutil (40-60 ms, most of an offline run's budget). This module reads the two
functions' source from the installed botocore (``compat_shell_split`` and ``_windows_shell_split``) and
executes just those, so the doctor splits with exactly the installed client's code. If the source cannot be
found or has changed shape, it falls back to importing ``botocore.compat``.
"""

from __future__ import annotations

import ast
import shlex
import sys
import threading
from collections.abc import Callable
from math import floor

_NAMES = ("compat_shell_split", "_windows_shell_split")
_lock = threading.Lock()
_split: Callable[..., list[str]] | None = None


def _load() -> Callable[..., list[str]]:
    try:
        from importlib.util import find_spec

        spec = find_spec("botocore")
        origin = spec.origin if spec else None
        if not origin:
            raise ImportError("botocore not found")
        path = origin.rsplit("__init__.py", 1)[0] + "compat.py"
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), path)
        funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in _NAMES]
        if sorted(f.name for f in funcs) != sorted(_NAMES):
            raise ImportError("botocore.compat has changed shape")
        ns: dict[str, object] = {"shlex": shlex, "sys": sys, "floor": floor}
        exec(compile(ast.Module(body=funcs, type_ignores=[]), path, "exec"), ns)  # noqa: S102 - botocore's code
        return ns["compat_shell_split"]  # type: ignore[return-value]
    except (ImportError, OSError, SyntaxError, ValueError):
        from botocore.compat import compat_shell_split

        return compat_shell_split


def compat_shell_split(s: str, platform: str | None = None) -> list[str]:
    global _split
    if _split is None:
        with _lock:
            if _split is None:
                _split = _load()
    return _split(s, platform)


def load_data(name: str) -> object:
    """``botocore.loaders.create_loader().load_data(name)`` for a top-level data file (``partitions``), read
    directly from the loader's search path (AWS_DATA_PATH, ~/.aws/models, botocore/data; ``.json`` or
    ``.json.gz``) without importing botocore.loaders (which imports botocore.compat). Falls back to it."""
    import gzip
    import json
    import os
    from importlib.util import find_spec

    spec = find_spec("botocore")
    dirs = [p for p in os.environ.get("AWS_DATA_PATH", "").split(os.pathsep) if p]
    dirs.append(os.path.join(os.path.expanduser("~"), ".aws", "models"))
    if spec and spec.origin:
        dirs.append(os.path.join(os.path.dirname(spec.origin), "data"))
    for d in dirs:
        for ext, opener in ((".json", open), (".json.gz", gzip.open)):
            path = os.path.join(os.path.expanduser(d), name + ext)
            if os.path.isfile(path):
                try:
                    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
                        return json.load(fh)
                except (OSError, ValueError):
                    break
    import botocore.loaders

    return botocore.loaders.create_loader().load_data(name)
