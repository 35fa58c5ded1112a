"""botocore's own credential_process splitter and INI loader, without importing botocore.

``botocore.compat.compat_shell_split`` is ~20 lines, but importing ``botocore.compat`` pulls in urllib3,
http.client, email and dateutil (40-60 ms, most of an offline run's budget); ``botocore.configloader``
pulls in ``botocore``, ``botocore.exceptions`` and ``logging`` (~5 ms). This module reads the functions'
source from the installed botocore (``compat_shell_split`` and ``_windows_shell_split``; ``load_config``,
``raw_config_parse`` and their helpers) and executes just those, so the doctor splits command lines and
parses ~/.aws files with exactly the installed client's code. If the source cannot be found or has changed
shape, it falls back to importing the botocore module.
"""

from __future__ import annotations

import shlex
import sys
import threading
from collections.abc import Callable
from math import floor
from typing import Any

_NAMES = ("compat_shell_split", "_windows_shell_split")
_lock = threading.Lock()
_split: Callable[..., list[str]] | None = None


def _function_source(text: str, names: tuple[str, ...]) -> str:
    """The source of the named top-level functions, at their own line numbers (other lines blank).

    Compiling only these lines costs a tenth of parsing the whole module. A function runs from its
    ``def`` line to the next line that starts in column 0 (a comment, decorator or statement).
    """
    lines = text.splitlines()
    keep = [False] * len(lines)
    found: set[str] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        name = line[4:].split("(", 1)[0] if line.startswith("def ") else ""
        if name in names:
            found.add(name)
            keep[i] = True
            i += 1
            while i < len(lines) and (not lines[i] or lines[i][0] in " \t"):
                keep[i] = True
                i += 1
            continue
        i += 1
    if found != set(names):
        raise ImportError(f"functions not found: {sorted(set(names) - found)}")
    return "\n".join(line if k else "" for line, k in zip(lines, keep, strict=True)) + "\n"


def _exec_functions(module: str, names: tuple[str, ...], ns: dict[str, object]) -> dict[str, object]:
    """Execute the named top-level functions of the installed ``botocore/<module>.py`` in ``ns``."""
    from importlib.util import find_spec

    spec = find_spec("botocore")
    origin = spec.origin if spec else None
    if not origin:
        raise ImportError("botocore not found")
    path = origin.rsplit("__init__.py", 1)[0] + module + ".py"
    with open(path, encoding="utf-8") as fh:
        code = compile(_function_source(fh.read(), names), path, "exec")
    exec(code, ns)  # noqa: S102 - botocore's own code
    missing = [n for n in names if not callable(ns.get(n))]
    if missing:
        raise ImportError(f"botocore.{module} has changed shape: {missing}")
    return ns


def _load() -> Callable[..., list[str]]:
    try:
        ns = _exec_functions("compat", _NAMES, {"shlex": shlex, "sys": sys, "floor": floor})
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


class _BotoCoreError(Exception):
    """``botocore.exceptions.BotoCoreError``'s shape: a ``fmt`` filled from keyword arguments."""

    fmt = "An unspecified error occurred"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(self.fmt.format(**kwargs))
        self.kwargs = kwargs


class ConfigParseError(_BotoCoreError):
    fmt = "Unable to parse config file: {path}"


class ConfigNotFound(_BotoCoreError):
    fmt = "The specified config file ({path}) could not be found."


_LOADER_NAMES = (
    "load_config",
    "raw_config_parse",
    "_unicode_path",
    "_parse_nested",
    "_parse_section",
    "build_profile_map",
)
_loader: Any = None


def _load_configloader() -> Any:
    import configparser
    import copy
    import os
    from types import SimpleNamespace

    exceptions = SimpleNamespace(ConfigParseError=ConfigParseError, ConfigNotFound=ConfigNotFound)
    ns: dict[str, Any] = {
        "configparser": configparser,
        "copy": copy,
        "os": os,
        "shlex": shlex,
        "sys": sys,
        "botocore": SimpleNamespace(exceptions=exceptions),
    }
    try:
        _exec_functions("configloader", _LOADER_NAMES, ns)
        error: type[Exception] = ConfigParseError
    except (ImportError, OSError, SyntaxError, ValueError):
        import botocore.configloader
        import botocore.exceptions

        ns = vars(botocore.configloader)
        error = botocore.exceptions.ConfigParseError
    return SimpleNamespace(
        load_config=ns["load_config"],
        raw_config_parse=ns["raw_config_parse"],
        build_profile_map=ns["build_profile_map"],
        parse_nested=ns["_parse_nested"],
        ConfigParseError=error,
    )


def configloader() -> Any:
    """botocore.configloader's ``load_config`` (~/.aws/config as a profile map), ``raw_config_parse``
    (~/.aws/credentials as sections), ``build_profile_map``, ``parse_nested`` (``_parse_nested``), and the
    ``ConfigParseError`` the first two raise on a file botocore rejects."""
    global _loader
    if _loader is None:
        with _lock:
            if _loader is None:
                _loader = _load_configloader()
    return _loader
