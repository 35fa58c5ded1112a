"""Host capability: which executables this machine can run, natively or under emulation.

``HostProfile`` is a plain value (tests build one per platform, see PRESETS); ``detect_host`` fills it
from the running system, reading files under ``root`` (``/proc/sys/fs/binfmt_misc``, loader paths, the
Rosetta runtime) so that it too can be pointed at a fake tree.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from ccwb_doctor.analyzers.binary.elf import elf_arch
from ccwb_doctor.analyzers.binary.types import canonical_arch
from ccwb_doctor.records import record

ROSETTA_MARKERS = (
    "Library/Apple/usr/libexec/oah/libRosettaRuntime",
    "Library/Apple/usr/share/rosetta/rosetta",
)
LOADER_GLOBS = ("lib/ld-*", "lib64/ld-*", "lib/*/ld-*", "lib32/ld-*", "usr/lib/ld-*", "usr/lib64/ld-*")
WIN_MACHINES = {0x014C: "i386", 0x8664: "x86_64", 0xAA64: "arm64", 0x01C4: "arm"}


@record(frozen=True)
class BinfmtEntry:
    """One /proc/sys/fs/binfmt_misc registration (e.g. qemu-aarch64 for foreign ELF)."""

    name: str
    enabled: bool
    interpreter: str
    flags: str = ""
    offset: int = 0
    magic: bytes = b""
    mask: bytes | None = None
    extension: str | None = None
    arch: str | None = None  # decoded from an ELF magic: what this handler runs

    def matches(self, head: bytes, name: str = "") -> bool:
        """The kernel's test: (head[offset:] & mask) == magic, or the file extension."""
        if self.extension is not None:
            return name.endswith("." + self.extension)
        chunk = head[self.offset : self.offset + len(self.magic)]
        if len(chunk) < len(self.magic):
            return False
        mask = self.mask or b"\xff" * len(self.magic)
        return all((c & m) == (g & m) for c, m, g in zip(chunk, mask, self.magic, strict=False))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "enabled": self.enabled,
            "interpreter": self.interpreter,
            "arch": self.arch,
        }


@record(frozen=True)
class HostProfile:
    """What the judged host can execute: OS, architecture, translation layers, loaders."""

    os: str  # linux | darwin | windows | ...
    machine: str  # hardware architecture (canonical: x86_64, arm64, ...)
    process_machine: str | None = None  # this process's architecture when it differs (translated)
    translated: bool = False  # this process runs under Rosetta / Windows x64 emulation
    rosetta: bool | None = None  # macOS arm64: Rosetta 2 installed (None: unknown)
    windows_x64_emulation: bool | None = None  # Windows on Arm can run x64 (Windows 11)
    windows_build: int | None = None
    binfmt_enabled: bool = False
    binfmt: tuple[BinfmtEntry, ...] = ()
    compat32: bool | None = None  # 64-bit Linux kernel runs 32-bit binaries of its family
    libc: str | None = None  # glibc | musl (Linux)
    loaders: tuple[str, ...] | None = None  # dynamic loaders present; None = ask the filesystem
    quarantine_attr: str = "com.apple.quarantine"
    root: str | None = None  # filesystem root of a detected host (None: injected, answer from fields only)
    source: str = "injected"
    notes: tuple[str, ...] = ()

    def has_loader(self, path: str) -> bool:
        """Is this dynamic loader present? Injected profiles answer from ``loaders``; detected ones also ask
        the filesystem (under ``root``), since loaders live in distribution-specific places (NixOS, /usr)."""
        if self.loaders is not None and path in self.loaders:
            return True
        if self.root is not None:
            return os.path.exists(os.path.join(self.root, path.lstrip("/")))
        return self.loaders is None and os.path.exists(path)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["binfmt"] = [b.to_dict() for b in self.binfmt]
        d["loaders"] = list(self.loaders) if self.loaders is not None else None
        d["notes"] = list(self.notes)
        return {k: v for k, v in d.items() if v not in (None, (), [])}


_GLIBC_X64 = "/lib64/ld-linux-x86-64.so.2"
_GLIBC_A64 = "/lib/ld-linux-aarch64.so.1"
PRESETS: dict[str, HostProfile] = {
    "macos-arm64": HostProfile("darwin", "arm64", rosetta=True),
    "macos-arm64-no-rosetta": HostProfile("darwin", "arm64", rosetta=False),
    "macos-arm64-translated": HostProfile("darwin", "arm64", "x86_64", translated=True, rosetta=True),
    "macos-x86_64": HostProfile("darwin", "x86_64"),
    "windows-arm64": HostProfile("windows", "arm64", windows_x64_emulation=True, windows_build=22631),
    "windows10-arm64": HostProfile("windows", "arm64", windows_x64_emulation=False, windows_build=19045),
    "windows-amd64": HostProfile("windows", "x86_64", windows_build=22631),
    "linux-x86_64": HostProfile("linux", "x86_64", compat32=True, libc="glibc", loaders=(_GLIBC_X64,)),
    "linux-aarch64": HostProfile("linux", "arm64", compat32=None, libc="glibc", loaders=(_GLIBC_A64,)),
    "linux-x86_64-musl": HostProfile(
        "linux", "x86_64", compat32=True, libc="musl", loaders=("/lib/ld-musl-x86_64.so.1",)
    ),
}


def preset(name: str, **changes: Any) -> HostProfile:
    return replace(PRESETS[name], **changes)


# --- binfmt_misc -------------------------------------------------------------------------------------


def parse_binfmt_entry(name: str, text: str) -> BinfmtEntry:
    enabled, interp, flags, offset = False, "", "", 0
    magic, mask, ext = b"", None, None
    for line in text.splitlines():
        key, _, val = line.strip().partition(" ")
        if line.strip() == "enabled":
            enabled = True
        elif key == "interpreter":
            interp = val.strip()
        elif key == "flags:":
            flags = val.strip()
        elif key == "offset":
            offset = int(val) if val.strip().isdigit() else 0
        elif key == "magic":
            magic = _unhex(val.strip())
        elif key == "mask":
            mask = _unhex(val.strip())
        elif key == "extension":
            ext = val.strip().lstrip(".")
    arch = None
    if offset == 0 and len(magic) >= 20 and magic.startswith(b"\x7fELF"):
        little = magic[5] == 1
        machine = int.from_bytes(magic[18:20], "little" if little else "big")
        arch = elf_arch(machine, 64 if magic[4] == 2 else 32, little)
    elif offset == 0 and magic.startswith(b"MZ"):
        arch = "pe"  # e.g. wine registered for Windows programs
    return BinfmtEntry(name, enabled, interp, flags, offset, magic, mask, ext, arch)


def _unhex(s: str) -> bytes:
    try:
        return bytes.fromhex(s)
    except ValueError:
        return b""


def read_binfmt(root: Path) -> tuple[bool, tuple[BinfmtEntry, ...]]:
    base = root / "proc/sys/fs/binfmt_misc"
    try:
        status = (base / "status").read_text().strip() == "enabled"
    except OSError:
        return False, ()
    entries: list[BinfmtEntry] = []
    try:
        names = sorted(p.name for p in base.iterdir())
    except OSError:
        names = []
    for n in names:
        if n in ("status", "register"):
            continue
        try:
            entries.append(parse_binfmt_entry(n, (base / n).read_text(errors="replace")))
        except OSError:
            continue
    return status, tuple(entries)


# --- detection -----------------------------------------------------------------------------------------


def _loaders(root: Path) -> tuple[str, ...]:
    found: set[str] = set()
    for pattern in LOADER_GLOBS:
        for p in root.glob(pattern):
            if p.exists() and ".so" in p.name:
                found.add("/" + str(p.relative_to(root)))
    return tuple(sorted(found))


def _libc(loaders: tuple[str, ...]) -> str | None:
    names = [p.rsplit("/", 1)[-1] for p in loaders]
    if any(n.startswith(("ld-linux", "ld64.so")) for n in names):
        return "glibc"
    if any(n.startswith("ld-musl") for n in names):
        return "musl"
    return None


def _darwin_sysctl_int(name: str) -> int | None:
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        val = ctypes.c_int(0)
        size = ctypes.c_size_t(ctypes.sizeof(val))
        if libc.sysctlbyname(name.encode(), ctypes.byref(val), ctypes.byref(size), None, 0) != 0:
            return None
        return int(val.value)
    except Exception:  # noqa: BLE001 - best effort on a platform we may not be on
        return None


def _windows_machines() -> tuple[str | None, str | None]:
    try:
        import ctypes

        k32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        proc, native = ctypes.c_ushort(0), ctypes.c_ushort(0)
        if not k32.IsWow64Process2(k32.GetCurrentProcess(), ctypes.byref(proc), ctypes.byref(native)):
            return None, None
        return WIN_MACHINES.get(proc.value), WIN_MACHINES.get(native.value)
    except Exception:  # noqa: BLE001
        return None, None


def detect_host(root: Path = Path("/"), system: str | None = None, machine: str | None = None) -> HostProfile:
    """The running host (or the tree at ``root`` with the given system/machine names)."""
    if hasattr(os, "uname"):  # what platform.system()/machine() say, without importing platform (~3 ms)
        uname = os.uname()
        host_system, host_machine = uname.sysname, uname.machine
    else:
        import platform

        host_system, host_machine = platform.system(), platform.machine()
    os_name = (system or host_system).lower()
    proc_machine = canonical_arch(machine or host_machine or "unknown")
    hw = proc_machine
    notes: list[str] = []
    if os_name == "darwin":
        rosetta = any((root / m).exists() for m in ROSETTA_MARKERS)
        translated = system is None and _darwin_sysctl_int("sysctl.proc_translated") == 1
        if translated or (system is None and _darwin_sysctl_int("hw.optional.arm64") == 1):
            hw = "arm64"
        if translated:
            notes.append(f"this process runs under Rosetta as {proc_machine}; the hardware is arm64")
        return HostProfile(
            "darwin",
            hw,
            proc_machine if hw != proc_machine else None,
            translated=translated,
            rosetta=rosetta if hw == "arm64" else None,
            source="detected",
            notes=tuple(notes),
        )
    if os_name == "windows":
        proc_arch, native = _windows_machines() if system is None else (None, None)
        hw = native or proc_machine
        build = sys.getwindowsversion().build if hasattr(sys, "getwindowsversion") else None  # type: ignore[attr-defined]
        x64 = build >= 22000 if hw == "arm64" and build is not None else None
        translated = bool(proc_arch and native and proc_arch != native)
        return HostProfile(
            "windows",
            hw,
            proc_arch if translated else None,
            translated=translated,
            windows_x64_emulation=x64,
            windows_build=build,
            source="detected",
        )
    loaders = _loaders(root)
    status, entries = read_binfmt(root)
    compat32: bool | None = None
    if hw == "x86_64":
        # IA32 emulation is on in mainstream kernels unless booted with ia32_emulation=0 (Linux 6.7+);
        # dynamic i386 programs also need /lib/ld-linux.so.2 (checked with the loaders)
        compat32 = _ia32_emulation(root)
    return HostProfile(
        os_name,
        hw,
        binfmt_enabled=status,
        binfmt=entries,
        compat32=compat32,
        libc=_libc(loaders),
        loaders=loaders,
        root=str(root),
        source="detected",
    )


def _ia32_emulation(root: Path) -> bool:
    try:
        words = (root / "proc/cmdline").read_text(errors="replace").split()
    except OSError:
        return True
    for w in words:
        if w.startswith("ia32_emulation="):
            return w.split("=", 1)[1].strip().lower() not in ("0", "n", "no", "false", "off")
    return True


# --- mounts and extended attributes -----------------------------------------------------------------


@record(frozen=True)
class Mount:
    """One mount from /proc/self/mountinfo (noexec matters to an executable's verdict)."""

    mount_point: str
    options: tuple[str, ...]
    fstype: str = ""
    source: str = ""

    @property
    def noexec(self) -> bool:
        return "noexec" in self.options


def _unescape(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 3 < len(s) and s[i + 1 : i + 4].isdigit():
            out.append(chr(int(s[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[Mount]:
    """/proc/self/mountinfo lines -> mounts (malformed lines are skipped, never raised)."""
    mounts: list[Mount] = []
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) < 7 or "-" not in parts[6:]:
            continue
        sep = parts.index("-", 6)
        tail = parts[sep + 1 :]
        mounts.append(
            Mount(
                mount_point=_unescape(parts[4]),
                options=tuple(parts[5].split(",")),
                fstype=tail[0] if tail else "",
                source=_unescape(tail[1]) if len(tail) > 1 else "",
            )
        )
    return mounts


def mount_for(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount that holds ``path`` (the last-mounted longest prefix, as the kernel resolves it)."""
    best: Mount | None = None
    for m in mounts:
        mp = m.mount_point.rstrip("/") or "/"
        if (path == mp or path.startswith(mp + "/") or mp == "/") and (
            best is None or len(mp) >= len(best.mount_point.rstrip("/") or "/")
        ):
            best = m
    return best


def read_xattr(path: str, name: str) -> bytes | None:
    """An extended attribute's value, or None when absent or unsupported (os.getxattr or libc on macOS)."""
    getx = getattr(os, "getxattr", None)
    if getx is not None:
        try:
            return bytes(getx(path, name))
        except OSError:
            return None
    if sys.platform != "darwin":
        return None
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        buf = ctypes.create_string_buffer(4096)
        n = libc.getxattr(os.fsencode(path), name.encode(), buf, 4096, 0, 0)
        return buf.raw[:n] if n >= 0 else None
    except Exception:  # noqa: BLE001
        return None
