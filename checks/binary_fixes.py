"""The fix for BINARY-ARCH (``ccwb-doctor fix``): a credential helper built for another OS or CPU is replaced
by the right build when that build is on disk in the installation bundle (the guidance ships every build as
``credential-process-<macos-arm64|macos-intel|linux-x64|linux-arm64|windows.exe>``); otherwise the advice
names the build to fetch. The replacement must itself be judged native here (or a #! script whose
interpreter is), or nothing is proposed.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path
from typing import Any

from ccwb_doctor.model import Advice, FileEdit
from ccwb_doctor.registry import fixer


def _runs_here(path: Path, host: Any) -> bool:
    from ccwb_doctor.analyzers.binary.analyze import analyze_path
    from ccwb_doctor.analyzers.binary.verdict import NATIVE, judge, script_interpreter

    try:
        info = analyze_path(path)
    except OSError:
        return False
    if info.format == "script":
        interp = script_interpreter(info, shutil.which)
        if not interp:
            return False
        try:
            info = analyze_path(interp)
        except OSError:
            return False
    return judge(info, host, which=shutil.which).kind == NATIVE


def bundle_dirs(helper: Path, ccwb_dir: Path) -> list[Path]:
    """Where an installation keeps the builds it came with: beside the helper, the install dir, a dist/."""
    dirs = [helper.parent, helper.parent / "dist", ccwb_dir, ccwb_dir / "dist", ccwb_dir / "bundle"]
    return list(dict.fromkeys(dirs))


@fixer("BINARY-ARCH")
def install_right_build(facts: Any) -> list[Any]:
    from ccwb_doctor.analyzers.binary.verdict import AWS_SUFFIX, CANNOT, EMULATED, recommended_build

    host = facts.host
    if str(getattr(host, "source", "detected")).startswith("judged for"):
        return [
            Advice("the binaries are judged for another machine (--platform/captured HOME): not replaced")
        ]
    out: list[Any] = []
    for a in facts.binary_analyses:
        path = a.target.path
        if a.verdict is None or path is None or "credential_process" not in a.target.used_by:
            continue
        if a.verdict.kind not in (CANNOT, EMULATED) or (a.info is not None and a.info.format == "script"):
            continue
        suffix = AWS_SUFFIX.get((host.os, host.machine))
        if suffix is None:
            out.append(Advice(f"{path}: {recommended_build(host).text()}"))
            continue
        names = [f"{stem}-{suffix}" for stem in dict.fromkeys((path.name, "credential-process"))]
        found = None
        for d in bundle_dirs(Path(path), Path(facts.paths.ccwb_dir)):
            for n in names:
                cand = d / n
                if cand.is_file() and cand.resolve() != Path(path).resolve() and _runs_here(cand, host):
                    found = cand
                    break
            if found:
                break
        if found is None:
            out.append(
                Advice(
                    f"{path} is built for another CPU/OS: fetch {names[-1]} from your installation package "
                    f"(put it beside the helper as {path.parent / names[0]} and run fix again)"
                )
            )
            continue
        mode = stat.S_IMODE(Path(path).stat().st_mode)
        mode |= (mode & 0o444) >> 2
        out.append(
            FileEdit(
                str(path),
                f"replace {path.name} with the {suffix} build {found}",
                content=found.read_bytes(),
                mode=mode,
            )
        )
    return out


QUARANTINE = "com.apple.quarantine"


def _judged_path(facts: Any, path: Path) -> str:
    """``path`` as the judged machine spells it (a captured HOME's original home), for advice."""
    import posixpath

    from ccwb_doctor.facts.consumers import judged_home

    try:
        rel = Path(path).relative_to(Path(facts.home))
    except ValueError:
        return str(path)
    return posixpath.join(judged_home(facts), *rel.parts)


@fixer("BINARY-EXEC")
def fix_exec(facts: Any) -> list[Any]:
    """For each helper program BINARY-EXEC judged: the exec bit (``chmod +x``: execute added where read is
    allowed, every other mode bit kept) and, on macOS, the quarantine attribute (``xattr -d
    com.apple.quarantine PATH``, undone with ``xattr -w`` and the old value). For a captured HOME or
    ``--platform`` (judged for another machine) both are advice naming the exact command: nothing is run."""
    import os
    import shlex

    from ccwb_doctor.analyzers.binary.hostcap import read_xattr
    from ccwb_doctor.model import RunCommand

    host = facts.host
    foreign = str(getattr(host, "source", "detected")).startswith("judged for")
    out: list[Any] = []
    seen: set[str] = set()
    for a in facts.binary_analyses:
        path = a.target.path
        if path is None or not Path(path).is_file() or str(path) in seen:
            continue
        seen.add(str(path))
        if os.name != "nt" and host.os != "windows" and not os.access(path, os.X_OK):
            mode = stat.S_IMODE(Path(path).stat().st_mode)
            new = mode | ((mode & 0o444) >> 2)
            if foreign:
                out.append(Advice(f"on that machine: chmod +x {shlex.quote(_judged_path(facts, path))}"))
            elif new != mode:
                out.append(FileEdit(str(path), f"chmod +x {path} ({mode:o} -> {new:o})", mode=new))
        if host.os != "darwin":
            continue
        old = read_xattr(str(path), host.quarantine_attr)
        if old is None:
            continue
        if foreign:
            there = shlex.join(["xattr", "-d", QUARANTINE, _judged_path(facts, path)])
            out.append(Advice(f"on that Mac: {there} (judged from a copy: nothing is run here)"))
            continue
        try:
            text: str | None = old.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and text.isprintable():
            undo = ("xattr", "-w", QUARANTINE, text, str(path))
        else:  # not printable text: written back as hex
            undo = ("xattr", "-wx", QUARANTINE, old.hex(), str(path))
        out.append(
            RunCommand(
                ("xattr", "-d", QUARANTINE, str(path)),
                f"clear the macOS quarantine attribute of {path} (Gatekeeper blocks the downloaded helper)",
                str(path),
                undo=undo,
                xattr=(host.quarantine_attr, old),
            )
        )
    return out
