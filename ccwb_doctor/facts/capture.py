"""Captured HOMEs and the platform a run judges.

``--home DIR`` may hold a copy of another person's machine: its files still name the original home
(``/home/ana``, ``/Users/ana``, ``C:\\Users\\ana``). ``capture`` finds that original home in the files the
installers write (``~/.aws/config`` credential_process lines, the Claude Code settings commands and env)
and ``map_path`` rewrites a path under it onto DIR, so a copy is judged by what it holds.

``judged_platform`` is the OS and CPU the verdicts are for: ``--platform OS-ARCH`` when given, else inferred
from a capture (the original home's form, the helper binary's format and architecture, where the
managed settings sit), else this host. Binary verdicts use the matching host-capability preset
(``analyzers/hostcap.PRESETS``) instead of the running machine whenever the judged platform is not this host.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import field
from pathlib import Path
from typing import Any

from ccwb_doctor.facts import Facts, fact
from ccwb_doctor.records import record

INSTALL_DIR = "claude-code-with-bedrock"
_WIN_HOME = re.compile(r"(?i)([a-z]):[\\/]+users[\\/]+([^\\/\"'\r\n]+?)(?=[\\/])")
_MAC_HOME = re.compile(r"(?<![\w.])/Users/([^/\"'\s]+)(?=/)")
_LINUX_HOME = re.compile(r"(?<![\w.])(/home/[^/\"'\s]+|/root)(?=/)")
_OS_ALIASES = {
    "linux": "linux",
    "darwin": "darwin",
    "macos": "darwin",
    "mac": "darwin",
    "osx": "darwin",
    "windows": "windows",
    "win": "windows",
    "win32": "windows",
}
_ARCH_ALIASES = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "intel": "x86_64",
    "arm64": "arm64",
    "aarch64": "arm64",
}
SYS_PLATFORM = {"linux": "linux", "darwin": "darwin", "windows": "win32"}
PRESET_FOR = {
    ("linux", "x86_64"): "linux-x86_64",
    ("linux", "arm64"): "linux-aarch64",
    ("darwin", "arm64"): "macos-arm64",
    ("darwin", "x86_64"): "macos-x86_64",
    ("windows", "x86_64"): "windows-amd64",
    ("windows", "arm64"): "windows-arm64",
}


def parse_platform(value: str) -> tuple[str, str]:
    """``OS-ARCH`` (linux-x86_64, macos-arm64, windows-amd64, darwin-aarch64, ...) → (os, arch); ValueError."""
    text = value.strip().lower().replace("_", "-")
    for os_key, os_name in _OS_ALIASES.items():
        if text.startswith(os_key + "-"):
            arch = _ARCH_ALIASES.get(text[len(os_key) + 1 :].replace("-", "_"))
            if arch:
                return os_name, arch
    known = ", ".join(sorted({f"{o}-{a}" for o, a in PRESET_FOR}))
    raise ValueError(f"--platform {value}: expected OS-ARCH, one of {known} (aliases: macos, amd64, aarch64)")


def platform_label(os_name: str, arch: str) -> str:
    return f"{'macos' if os_name == 'darwin' else os_name}-{arch}"


@record(frozen=True)
class Capture:
    """A HOME copied from another machine: ``original`` (as the files spell it) now lives at ``root``."""

    original: str
    root: Path
    style: str  # windows | darwin | linux: the form of the original home
    found_in: str  # which file named it

    def maps(self, value: str) -> bool:
        return _strip_prefix(value, self.original, self.style) is not None

    def map(self, value: str) -> str:
        rest = _strip_prefix(value, self.original, self.style)
        if rest is None:
            return value
        if self.style == "windows":
            rest = rest.replace("\\", "/")
        return str(self.root) + rest if rest else str(self.root)

    def to_dict(self) -> dict[str, str]:
        return {"original_home": self.original, "mapped_to": str(self.root), "found_in": self.found_in}


def _strip_prefix(value: str, prefix: str, style: str) -> str | None:
    if style == "windows":
        norm_v, norm_p = value.replace("/", "\\").lower(), prefix.replace("/", "\\").lower()
        if norm_v == norm_p or norm_v.startswith(norm_p + "\\"):
            return value[len(prefix) :]
        return None
    if value == prefix or value.startswith(prefix + "/"):
        return value[len(prefix) :]
    return None


def map_path(facts: Facts, value: str) -> str:
    """``value`` with a captured original home rewritten onto --home (unchanged when not a capture)."""
    cap: Capture | None = facts.peek("capture")
    return cap.map(value) if cap is not None else value


def _home_in(text: str) -> tuple[str, str] | None:
    """The home directory a command line or path names: before ``/claude-code-with-bedrock`` when present
    (this keeps a home with spaces whole), else the first /home/X, /Users/X or C:\\Users\\X."""
    text = text.strip().strip("\"'")
    for sep in ("/", "\\"):
        i = text.find(sep + INSTALL_DIR)
        if i > 0:
            head = text[:i]
            for m in re.finditer(r"\"|'", head):
                head = head[m.end() :]
            if re.match(r"(?i)[a-z]:[\\/]", head):
                return head, "windows"
            if head.startswith("/"):
                return head, "darwin" if head.startswith("/Users/") else "linux"
    m = _WIN_HOME.search(text)
    if m:
        return text[m.start() : m.end()], "windows"
    m = _MAC_HOME.search(text)
    if m:
        return m.group(0), "darwin"
    m = _LINUX_HOME.search(text)
    if m:
        return m.group(1), "linux"
    return None


def _candidates(facts: Facts) -> list[tuple[str, str]]:
    """(text, file) pairs where an installer wrote absolute paths under the home, most telling first."""
    out: list[tuple[str, str]] = []
    paths = facts.peek("paths")
    if paths is not None:
        from ccwb_doctor.facts.config import read_file
        from ccwb_doctor.model import InputError

        try:  # read_file: a FIFO or device in its place is not read (it would block)
            text = (read_file(Path(paths.aws_config)) or b"").decode("utf-8", "replace")[:200_000]
        except InputError:
            text = ""
        for line in text.splitlines():
            key, eq, value = line.partition("=")
            if eq and key.strip().lower() == "credential_process":
                out.append((value, str(paths.aws_config)))
    settings: Any = facts.peek("claude_settings")
    for f in getattr(settings, "files", []) or []:
        data = getattr(f, "data", None)
        if not isinstance(data, dict):
            continue
        for key in ("awsAuthRefresh", "awsCredentialExport", "otelHeadersHelper", "apiKeyHelper"):
            if isinstance(data.get(key), str):
                out.append((data[key], str(getattr(f, "path", "settings"))))
        env = data.get("env")
        if isinstance(env, dict):
            for value in env.values():
                if isinstance(value, str) and ("/" in value or "\\" in value):
                    out.append((value, str(getattr(f, "path", "settings"))))
    return out


@fact("capture")
def _capture(facts: Facts) -> Capture | None:
    if not facts.options.home:
        return None
    root = Path(facts.options.home).absolute()
    for text, where in _candidates(facts):
        found = _home_in(text)
        if found is None:
            continue
        original, style = found
        if style != "windows" and (original == str(root) or original == str(root.resolve())):
            return None  # written for this very directory: not a copy
        return Capture(original, root, style, where)
    return None


@record(frozen=True)
class JudgedPlatform:
    """The platform binaries and command lines are judged for, and why that one."""

    os: str  # linux | darwin | windows
    arch: str  # x86_64 | arm64
    source: str  # "--platform" | "inferred" | "this host"
    reasons: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return platform_label(self.os, self.arch)

    @property
    def sys_platform(self) -> str:
        return SYS_PLATFORM.get(self.os, self.os)

    @property
    def foreign(self) -> bool:
        """Judged for another machine than this one: nothing found in the HOME is run here."""
        return self.source != "this host"

    def describe(self) -> str:
        why = f" from {', '.join(self.reasons)}" if self.reasons else ""
        return f"judged for {self.label} ({self.source}{why})"

    def to_dict(self) -> dict[str, Any]:
        return {"platform": self.label, "source": self.source, "reasons": list(self.reasons)}


def _this_host() -> tuple[str, str]:
    import platform as _platform

    from ccwb_doctor.analyzers.binary.types import canonical_arch

    os_name = {"win32": "windows"}.get(sys.platform, sys.platform)
    return os_name, canonical_arch(_platform.machine() or "x86_64")


def _binary_platform(path: Path) -> tuple[str, str] | None:
    from ccwb_doctor.analyzers.binary.analyze import analyze_path

    if not path.is_file():
        return None
    info = analyze_path(path)
    os_name = {"macho": "darwin", "macho-fat": "darwin", "pe": "windows", "elf": "linux"}.get(info.format)
    if os_name is None:
        return None
    archs = [s.arch for s in info.slices if getattr(s, "arch", None)]
    arch = "arm64" if "arm64" in archs and os_name == "darwin" else (archs[0] if archs else "")
    arch = _ARCH_ALIASES.get(arch, arch)
    return (os_name, arch) if arch in ("x86_64", "arm64") else (os_name, "")


def _helper_binary(facts: Facts, cap: Capture) -> Path | None:
    root = cap.root / INSTALL_DIR
    for name in ("credential-process.exe", "credential-process", "otel-helper.exe", "otel-helper"):
        p = root / name
        if p.is_file():
            return p
    return None


def _managed_os(root: Path) -> str | None:
    from ccwb_doctor.facts.config import MANAGED_SETTINGS

    for os_key, p in MANAGED_SETTINGS.items():
        rel = p.replace("C:/", "C/").lstrip("/")
        if (root / rel).is_file():
            return {"win32": "windows"}.get(os_key, os_key)
    return None


@fact("judged_platform")
def _judged_platform(facts: Facts) -> JudgedPlatform:
    given = facts.options.extra.get("platform_arg") or getattr(facts.options, "platform", None)
    if given:
        os_name, arch = parse_platform(str(given))
        return JudgedPlatform(os_name, arch, "--platform")
    cap: Capture | None = facts.peek("capture")
    if cap is None:
        os_name, arch = _this_host()
        return JudgedPlatform(os_name, arch, "this host")
    reasons = [f"home {cap.original} in {Path(cap.found_in).name}"]
    os_name, arch = cap.style, ""
    binary = _helper_binary(facts, cap)
    found = _binary_platform(binary) if binary is not None else None
    if found is not None:
        os_name = found[0]
        arch = found[1] or arch
        kind = {"windows": "PE", "darwin": "Mach-O"}.get(os_name, "ELF")
        reasons.append(f"{binary.name} is {kind}" + (f" {arch}" if arch else ""))
    managed = _managed_os(cap.root) if facts.options.home else None
    if managed is not None and found is None:
        os_name = managed
        reasons.append("managed settings location")
    if not arch:
        arch = "arm64" if os_name == "darwin" else "x86_64"
        reasons.append(f"{arch} assumed")
    return JudgedPlatform(os_name, arch, "inferred", tuple(reasons))


def judged_host(facts: Facts):  # type: ignore[no-untyped-def]
    """The HostProfile binary verdicts are for: this machine, or the preset of the judged platform."""
    from dataclasses import replace

    from ccwb_doctor.analyzers.binary.hostcap import PRESETS, detect_host

    jp: JudgedPlatform = facts.judged_platform
    if not jp.foreign:
        return detect_host()
    preset = PRESETS.get(PRESET_FOR.get((jp.os, jp.arch), ""), None)
    if preset is None:
        return detect_host()
    return replace(preset, source=jp.describe())


def settings_json(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
