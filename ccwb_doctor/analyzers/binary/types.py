"""Value types shared by the header parsers: slices, the analysis result and a budgeted reader.

Architecture names are canonical across formats: x86_64, x86_64h, arm64, arm64e, arm64ec, arm64x,
arm64_32, i386, arm, riscv64, ppc64le, ppc64, ppc, s390x, mips, mips64, loongarch64 (ELF ``aarch64``,
PE ``AMD64``/``ARM64`` and Mach-O cputypes all map onto these).
"""

from __future__ import annotations

from dataclasses import asdict, field
from typing import IO, Any

from ccwb_doctor.records import record

HEAD_BYTES = 32 * 1024  # first read: every header we parse normally sits in the first pages
READ_BUDGET = 64 * 1024  # hard cap on bytes read from one file, whatever its headers claim

# Aliases users, `uname -m`, platform.machine() and Windows use for the canonical names above.
ARCH_ALIASES: dict[str, str] = {
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv8": "arm64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "x86_64": "x86_64",
    "x86-64": "x86_64",
    "i386": "i386",
    "i486": "i386",
    "i586": "i386",
    "i686": "i386",
    "x86": "i386",
    "armv7l": "arm",
    "armv7": "arm",
    "armv6l": "arm",
    "arm": "arm",
    "riscv64": "riscv64",
    "ppc64le": "ppc64le",
    "ppc64": "ppc64",
    "s390x": "s390x",
}


def canonical_arch(name: str) -> str:
    return ARCH_ALIASES.get(name.strip().lower(), name.strip().lower())


class Corrupt(Exception):
    """A header field is missing or impossible; ``offset`` is where parsing stopped."""

    def __init__(self, offset: int, reason: str, truncated: bool = False) -> None:
        self.offset = offset
        self.reason = reason
        self.truncated = truncated  # the data lies past the end of the file (as opposed to past the budget)
        super().__init__(f"offset {offset}: {reason}")


@record(frozen=True)
class Slice:
    """One architecture the file carries (a thin binary has one; a universal binary one per slice)."""

    arch: str
    bits: int
    endian: str  # little | big
    machine: int  # raw e_machine / cputype / COFF Machine value
    subtype: int | None = None  # Mach-O cpusubtype (without capability bits)
    offset: int = 0  # file offset of this slice's header
    size: int | None = None  # slice size (fat Mach-O)
    filetype: str | None = None  # exec | dyn | pie | dylib | bundle | object | core ...
    min_os: str | None = None  # Mach-O LC_BUILD_VERSION / LC_VERSION_MIN_MACOSX minimum OS
    platform: str | None = None  # Mach-O build platform (macos, ios, ...)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@record(frozen=True)
class BinaryInfo:
    """What the headers say. ``status`` is ok | unknown | corrupt; unknown/corrupt carry ``offset``."""

    format: str  # elf | macho | macho-fat | pe | script | batch | powershell | text | empty | unknown
    status: str = "ok"
    os: str | None = None  # linux | darwin | windows | freebsd | android | None (scripts, unknown)
    slices: tuple[Slice, ...] = ()
    interpreter: str | None = None  # ELF PT_INTERP, Mach-O LC_LOAD_DYLINKER, or a script's #! program
    interpreter_args: tuple[str, ...] = ()  # the rest of a #! line
    libc: str | None = None  # glibc | musl | bionic | None
    linkage: str | None = None  # static | dynamic | static-pie
    subsystem: str | None = None  # PE subsystem (windows-cui = console, windows-gui, ...)
    problems: tuple[str, ...] = ()  # header-level reasons the OS will refuse it (CRLF #!, BOM, ...)
    notes: tuple[str, ...] = ()
    error: str | None = None  # why status is unknown/corrupt
    offset: int | None = None  # byte offset where parsing stopped (unknown/corrupt)
    size: int | None = None  # file size in bytes
    bytes_read: int = 0
    path: str | None = None

    @property
    def archs(self) -> tuple[str, ...]:
        return tuple(s.arch for s in self.slices)

    def describe(self) -> str:
        if self.status != "ok":
            return f"{self.status} {self.format} ({self.error}) at offset {self.offset}"
        if self.format in ("script", "batch", "powershell"):
            cmd = " ".join([self.interpreter or "?", *self.interpreter_args])
            return f"{self.format} run by {cmd}"
        parts = [self.format]
        if self.slices:
            parts.append("+".join(self.archs))
        if self.os:
            parts.append(f"for {self.os}")
        if self.linkage:
            parts.append(self.linkage)
        if self.libc:
            parts.append(self.libc)
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": self.format,
            "status": self.status,
            "os": self.os,
            "architectures": list(self.archs),
            "slices": [s.to_dict() for s in self.slices],
            "interpreter": self.interpreter,
            "interpreter_args": list(self.interpreter_args),
            "libc": self.libc,
            "linkage": self.linkage,
            "subsystem": self.subsystem,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "error": self.error,
            "offset": self.offset,
            "size": self.size,
            "bytes_read": self.bytes_read,
        }
        return {k: v for k, v in out.items() if v not in (None, [], ())}


@record
class Reader:
    """Random access to a file's headers within a fixed byte budget.

    The first ``HEAD_BYTES`` are read once; reads beyond them (fat Mach-O slice headers) seek and read
    only what they need. Anything that would exceed ``READ_BUDGET`` raises Corrupt instead of reading.
    """

    fh: IO[bytes] | None
    size: int
    head: bytes = b""
    bytes_read: int = 0
    budget: int = READ_BUDGET
    extra: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def from_file(cls, fh: IO[bytes], size: int) -> Reader:
        rd = cls(fh, size)
        fh.seek(0)
        rd.head = fh.read(min(size, HEAD_BYTES)) if size > 0 else b""
        rd.bytes_read = len(rd.head)
        return rd

    @classmethod
    def from_bytes(cls, data: bytes) -> Reader:
        return cls(None, len(data), bytes(data[:HEAD_BYTES]), min(len(data), HEAD_BYTES))

    def at(self, offset: int, n: int, what: str = "header") -> bytes:
        """Exactly ``n`` bytes at ``offset``, or Corrupt naming ``what`` and the offset."""
        if offset < 0 or n < 0:
            raise Corrupt(max(offset, 0), f"{what}: negative offset or length")
        end = offset + n
        if end > self.size:
            raise Corrupt(offset, f"{what}: needs bytes {offset}..{end} but the file has {self.size}", True)
        if end <= len(self.head):
            return self.head[offset:end]
        if self.bytes_read + n > self.budget:
            raise Corrupt(offset, f"{what}: beyond the {self.budget // 1024} KiB header read budget")
        if self.fh is None:
            raise Corrupt(offset, f"{what}: beyond the bytes given")
        self.fh.seek(offset)
        data = self.fh.read(n)
        self.bytes_read += len(data)
        if len(data) < n:
            raise Corrupt(offset, f"{what}: file ended early")
        return data

    def cstring(self, offset: int, limit: int, what: str) -> str:
        """A NUL-terminated string of at most ``limit`` bytes (the NUL may be the last byte)."""
        raw = self.at(offset, min(limit, max(0, self.size - offset)), what)
        end = raw.find(b"\0")
        if end < 0:
            raise Corrupt(offset, f"{what}: string is not NUL-terminated")
        if end == 0:
            raise Corrupt(offset, f"{what}: empty string")
        # control characters (newline included) are escaped: the string reaches one-line verdicts and a
        # mangled header can hold any byte; a real loader path never has one
        text = raw[:end].decode("utf-8", "replace")
        return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
