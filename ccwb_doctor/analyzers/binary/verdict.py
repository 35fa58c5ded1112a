"""Verdicts: can this host run that file natively, under emulation, or not at all — and what to install.

Pure: combines a BinaryInfo with a HostProfile. ``which`` (PATH lookup), ``exists`` and ``is_script`` are
injectable for the one place that touches the filesystem: resolving a script's interpreter.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import field
from typing import Any

from ccwb_doctor.analyzers.binary.hostcap import HostProfile
from ccwb_doctor.analyzers.binary.script import env_program
from ccwb_doctor.analyzers.binary.types import BinaryInfo
from ccwb_doctor.records import record

NATIVE, EMULATED, UNCERTAIN, CANNOT = "native", "emulated", "uncertain", "cannot-run"
_RANK = {NATIVE: 0, UNCERTAIN: 1, EMULATED: 2, CANNOT: 3}

AWS_SUFFIX = {
    ("darwin", "arm64"): "macos-arm64",
    ("darwin", "x86_64"): "macos-intel",
    ("linux", "x86_64"): "linux-x64",
    ("linux", "arm64"): "linux-arm64",
    ("windows", "x86_64"): "windows.exe",
    ("windows", "arm64"): "windows.exe",  # amd64 only: runs under x64 emulation on Windows 11 on Arm
}
ROSETTA_INSTALL = "softwareupdate --install-rosetta --agree-to-license"
COMPAT32 = {"x86_64": "i386", "arm64": "arm"}
OS_OF_FORMAT = {"elf": "linux", "macho": "darwin", "macho-fat": "darwin", "pe": "windows"}
OS_NAMES = {"linux": "Linux", "darwin": "macOS", "windows": "Windows"}
FORMAT_NAMES = {
    "elf": "ELF program",
    "macho": "Mach-O program",
    "macho-fat": "universal Mach-O program",
    "pe": "PE program",
}


@record(frozen=True)
class Build:
    """The build to install instead: the AWS guidance's name for it and ours."""

    aws: str | None  # the AWS guidance's build name, or None when it ships none for this host
    reference: str  # our reference helper, in words

    def text(self) -> str:
        if self.aws:
            return f"install {self.aws} (AWS guidance build for this host), or {self.reference}"
        return f"the AWS guidance ships no build for this host; use {self.reference}"


def recommended_build(host: HostProfile, tool: str = "credential-process") -> Build:
    suffix = AWS_SUFFIX.get((host.os, host.machine))
    aws = f"{tool}-{suffix}" if suffix else None
    if tool == "otel-helper":
        ref = "the reference OTel headers helper from `pip install ccwb-doctor` (pure Python, any OS/architecture)"
    else:
        ref = (
            "the reference helper `ccwb-credential-process` from `pip install ccwb-doctor` "
            "(pure Python: the same install runs on every OS and architecture with Python 3.11+)"
        )
    return Build(aws, ref)


@record(frozen=True)
class Verdict:
    """Whether a binary can run on the judged host, and how (native, emulated, not at all)."""

    kind: str  # native | emulated | uncertain | cannot-run
    message: str
    arch: str | None = None  # the slice the OS would pick
    via: str | None = None  # rosetta | windows-x64-emulation | windows-x86-emulation | wow64 | binfmt:NAME
    slices: tuple[tuple[str, str], ...] = ()  # (arch, kind) for every slice
    build: Build | None = None
    fix: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"verdict": self.kind, "message": self.message}
        if self.arch:
            out["selected_arch"] = self.arch
        if self.via:
            out["via"] = self.via
        if self.slices:
            out["slices"] = [{"arch": a, "verdict": k} for a, k in self.slices]
        if self.build:
            out["install"] = {"aws_guidance": self.build.aws, "reference_helper": self.build.reference}
        if self.fix:
            out["fix"] = self.fix
        if self.notes:
            out["notes"] = list(self.notes)
        return out


# --- per-architecture rules ------------------------------------------------------------------------------


def _darwin(arch: str, host: HostProfile) -> tuple[str, str | None, str]:
    hw = host.machine
    if arch in ("arm64", "arm64e"):
        if hw != "arm64":
            what = "an Intel Mac" if hw == "x86_64" else f"a {hw} Mac"
            return CANNOT, None, f"{arch} code needs Apple silicon; this is {what}"
        if arch == "arm64e":
            return (
                UNCERTAIN,
                None,
                "arm64e: macOS runs third-party arm64e code only with the arm64e preview ABI",
            )
        return NATIVE, None, "runs natively on this Apple silicon Mac"
    if arch in ("x86_64", "x86_64h"):
        if hw == "x86_64":
            return NATIVE, None, "runs natively on this Intel Mac"
        if hw == "arm64":
            if host.rosetta is False:
                return CANNOT, None, "Intel code on Apple silicon needs Rosetta 2, which is not installed"
            unsure = "" if host.rosetta else " (if Rosetta 2 is installed: not confirmed)"
            return EMULATED, "rosetta", f"Intel code runs under Rosetta 2 translation{unsure}"
    if arch in ("i386", "ppc", "ppc64") or arch.startswith("arm"):
        return CANNOT, None, f"{arch}: macOS 10.15 and later run no 32-bit or PowerPC code"
    return CANNOT, None, f"{arch} is not an architecture macOS runs"


def _windows(arch: str, host: HostProfile) -> tuple[str, str | None, str]:
    hw = host.machine
    if arch == hw:
        return NATIVE, None, f"runs natively on this {hw} Windows"
    if hw == "x86_64":
        if arch == "i386":
            return NATIVE, "wow64", "32-bit x86 runs natively under WOW64"
        return CANNOT, None, f"{arch} code needs Windows on Arm; this PC is x64"
    if hw == "arm64":
        if arch in ("arm64ec", "arm64x"):
            return NATIVE, None, f"{arch}: Arm64 native code with x64 interoperability"
        if arch == "x86_64":
            if host.windows_x64_emulation is False:
                return CANNOT, None, "x64 emulation needs Windows 11 on Arm; this is an older Windows on Arm"
            if host.windows_x64_emulation is None:
                return (
                    UNCERTAIN,
                    "windows-x64-emulation",
                    "x64 code runs under emulation on Windows 11 on Arm only",
                )
            return EMULATED, "windows-x64-emulation", "x64 code runs under Windows on Arm emulation"
        if arch == "i386":
            return EMULATED, "windows-x86-emulation", "32-bit x86 runs under Windows on Arm emulation"
        if arch == "arm":
            return UNCERTAIN, None, "32-bit Arm apps are not supported by current Windows 11 on Arm"
    return CANNOT, None, f"{arch} is not an architecture this Windows runs"


def _linux(arch: str, host: HostProfile) -> tuple[str, str | None, str]:
    hw = host.machine
    if arch == hw:
        return NATIVE, None, f"runs natively on this {hw} {OS_NAMES.get(host.os, host.os)} host"
    if COMPAT32.get(hw) == arch:
        if host.compat32 is True:
            return NATIVE, None, f"32-bit {arch} runs through the kernel's compat layer"
        if host.compat32 is False:
            return CANNOT, None, f"this {hw} kernel/CPU does not run 32-bit {arch} code"
        return (
            UNCERTAIN,
            None,
            f"32-bit {arch} on {hw}: many CPUs/kernels (e.g. Graviton3) lack 32-bit support",
        )
    if host.binfmt_enabled:
        for e in host.binfmt:
            if e.enabled and e.arch == arch:
                return (
                    EMULATED,
                    f"binfmt:{e.name}",
                    f"runs under binfmt_misc handler {e.name} ({e.interpreter})",
                )
    return CANNOT, None, f"{arch} code on a {hw} host: exec fails with ENOEXEC (Exec format error)"


_RULES: dict[str, Callable[[str, HostProfile], tuple[str, str | None, str]]] = {
    "darwin": _darwin,
    "windows": _windows,
    "linux": _linux,
}


def _tool_of(path: str | None) -> str:
    base = os.path.basename(path or "").lower()
    return "otel-helper" if "otel" in base else "credential-process"


def starts_with_shebang(path: str) -> bool:
    """Whether the regular file at ``path`` begins with ``#!`` (a FIFO or device is never opened)."""
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as fh:
            return fh.read(2) == b"#!"
    except (OSError, ValueError):
        return False


def judge(
    info: BinaryInfo,
    host: HostProfile,
    which: Callable[[str], str | None] | None = None,
    exists: Callable[[str], bool] = os.path.exists,
    is_script: Callable[[str], bool] = starts_with_shebang,
) -> Verdict:
    """The verdict for ``info`` on ``host``; never raises."""
    build = recommended_build(host, _tool_of(info.path))
    if info.status != "ok":
        msg = f"{info.format} file: {info.error} (parsing stopped at offset {info.offset})"
        return Verdict(CANNOT, f"not a runnable program: {msg}", build=build, fix=build.text())
    if info.format in ("script", "batch", "powershell"):
        return _script(info, host, build, which or shutil.which, exists, is_script)
    want = OS_OF_FORMAT.get(info.format)
    if info.os in ("android", "freebsd", "openbsd", "netbsd", "solaris"):
        want = info.os
    if want != host.os:
        if host.os == "linux" and info.format == "pe" and host.binfmt_enabled:
            for e in host.binfmt:
                if e.enabled and e.arch == "pe":
                    return Verdict(
                        EMULATED,
                        f"a Windows program run through binfmt_misc {e.name} ({e.interpreter})",
                        via=f"binfmt:{e.name}",
                        build=build,
                        fix=build.text(),
                    )
        what = OS_NAMES.get(want or "", want or "?")
        kind = FORMAT_NAMES.get(info.format, info.format)
        msg = f"a {what} {kind} ({'+'.join(info.archs)}) cannot run on {OS_NAMES.get(host.os, host.os)}"
        return Verdict(CANNOT, msg, build=build, fix=build.text())
    rule = _RULES.get(host.os, _linux)
    judged = [(s.arch, *rule(s.arch, host)) for s in info.slices]
    if not judged:
        return Verdict(CANNOT, f"{info.format} file without any architecture", build=build, fix=build.text())
    best = min(judged, key=lambda j: _RANK[j[1]])
    arch, kind, via, why = best
    slices = tuple((a, k) for a, k, _v, _w in judged)
    notes = list(info.notes)
    if kind != CANNOT and info.format == "elf" and info.interpreter:
        if kind == EMULATED:
            notes.append(f"the emulator also needs {info.interpreter} for {arch} (QEMU_LD_PREFIX)")
        elif not host.has_loader(info.interpreter):
            return _missing_loader(info, host, build, arch, slices)
    if info.format == "macho-fat" and len(slices) > 1:
        pick = f"macOS picks {arch}" if kind != CANNOT else "no slice runs here"
        why = f"universal binary ({'+'.join(info.archs)}): {pick}; {why}"
    if kind == NATIVE:
        return Verdict(NATIVE, why, arch, via, slices, build, None, tuple(notes))
    if kind == EMULATED:
        fix = f"for native speed {build.text()}" if build.aws or host.os != "windows" else build.text()
        if host.os == "windows" and host.machine == "arm64":
            fix = "the AWS guidance ships Windows x64 only; for native Arm64 use " + build.reference
        return Verdict(EMULATED, why, arch, via, slices, build, fix, tuple(notes))
    fix = build.text()
    if kind == CANNOT and host.os == "darwin" and host.machine == "arm64" and "Rosetta" in why:
        fix = f"run `{ROSETTA_INSTALL}`, or {build.text()}"
    return Verdict(kind, why, arch if kind != CANNOT else None, via, slices, build, fix, tuple(notes))


def _missing_loader(
    info: BinaryInfo, host: HostProfile, build: Build, arch: str, slices: tuple[tuple[str, str], ...]
) -> Verdict:
    interp = info.interpreter or "?"
    msg = f"its dynamic loader {interp} is missing here: exec fails with ENOENT (No such file or directory)"
    if info.libc == "glibc" and host.libc == "musl":
        msg += "; it is a glibc build on a musl system (Alpine): install gcompat or use a static build"
    elif info.libc == "musl" and host.libc == "glibc":
        msg += "; it is a musl build on a glibc system"
    elif arch != host.machine:
        msg += f"; install the 32-bit {arch} C library"
    return Verdict(CANNOT, msg, None, None, slices, build, build.text(), info.notes)


def _script(
    info: BinaryInfo,
    host: HostProfile,
    build: Build,
    which: Callable[[str], str | None],
    exists: Callable[[str], bool],
    is_script: Callable[[str], bool] = starts_with_shebang,
) -> Verdict:
    if info.format in ("batch", "powershell"):
        if host.os != "windows":
            return Verdict(
                CANNOT,
                f"a Windows {info.format} script cannot run on {host.os}",
                build=build,
                fix=build.text(),
            )
        if info.format == "powershell":
            return Verdict(
                CANNOT,
                "a .ps1 file cannot be started directly (CreateProcess runs .exe, .cmd and .bat only)",
                build=build,
                fix=f'run it as `powershell -NoProfile -ExecutionPolicy Bypass -File "{info.path}"`, or {build.text()}',
            )
        return Verdict(NATIVE, "a batch file, run by cmd.exe", build=build)
    if host.os == "windows":
        return Verdict(CANNOT, "Windows does not run #! scripts directly", build=build, fix=build.text())
    if info.problems:
        return Verdict(CANNOT, info.problems[0], build=build, fix=build.text(), notes=info.problems[1:])
    interp = info.interpreter or ""
    if not exists(interp):
        msg = f"interpreter {interp} not found: exec fails with ENOENT (No such file or directory) though the script exists"
        return Verdict(
            CANNOT, msg, build=build, fix=f"install {interp} or fix the #! line; or {build.text()}"
        )
    prog = env_program(interp, info.interpreter_args)
    if prog:
        found = which(prog)
        if not found:
            return Verdict(
                CANNOT,
                f"`env` cannot find {prog!r} on PATH: the script fails with 'No such file or directory'",
                build=build,
                fix=f"install {prog} or put it on the PATH Claude Code runs with; or {build.text()}",
            )
        nested = _nested_script(found, host, build, info) if is_script(found) else None
        return nested or Verdict(NATIVE, f"`env` finds {prog} at {found}", build=build, notes=info.notes)
    nested = _nested_script(interp, host, build, info) if is_script(interp) else None
    return nested or Verdict(NATIVE, f"the interpreter {interp} exists", build=build, notes=info.notes)


def _nested_script(interp: str, host: HostProfile, build: Build, info: BinaryInfo) -> Verdict:
    """A #! interpreter that is itself a #! script: not "native". Linux runs the chain (up to 4 levels),
    macOS does not run a script as another script's interpreter."""
    if host.os == "darwin":
        return Verdict(
            CANNOT,
            f"the interpreter {interp} is itself a #! script; macOS does not run a script as another "
            "script's interpreter (exec fails)",
            build=build,
            fix=f"point the #! line at the program {interp} runs; or {build.text()}",
        )
    return Verdict(
        UNCERTAIN,
        f"the interpreter {interp} is itself a #! script: Linux runs such a chain (up to 4 levels); "
        "what finally runs is judged from that script's own interpreter",
        build=build,
        notes=info.notes,
    )


def script_interpreter(
    info: BinaryInfo,
    which: Callable[[str], str | None] | None = None,
    exists: Callable[[str], bool] = os.path.exists,
) -> str | None:
    """The file a #! script actually runs (``env``'s PATH lookup resolved), when it exists."""
    if info.format != "script" or info.status != "ok" or not info.interpreter:
        return None
    prog = env_program(info.interpreter, info.interpreter_args)
    if prog:
        return (which or shutil.which)(prog)
    return info.interpreter if exists(info.interpreter) else None
