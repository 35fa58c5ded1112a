"""Executable header analysis: ELF, Mach-O (thin and universal), PE/COFF and scripts.

Pure: reads at most 64 KiB of a file (headers only, never the whole file), prints nothing, imports
nothing heavy. Built on ``struct`` rather than pyelftools/macholib/pefile: we need a few fixed-layout
fields from the first bytes of each header, those libraries parse (and some read) far more than that,
and none covers all three formats, so they would add three dependencies for less control over how much
is read and how corrupt input is reported. Every parse failure becomes a BinaryInfo with status
``unknown`` or ``corrupt`` and the byte offset where parsing stopped; nothing raises.
"""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path
from typing import IO

from ccwb_doctor.analyzers.binary.elf import MAGIC as ELF_MAGIC
from ccwb_doctor.analyzers.binary.elf import parse_elf
from ccwb_doctor.analyzers.binary.macho import FAT_MAGIC, FAT_MAGIC_64, THIN_MAGICS, parse_fat, parse_macho
from ccwb_doctor.analyzers.binary.pe import parse_pe
from ccwb_doctor.analyzers.binary.script import BOM, looks_like_text, parse_shebang, windows_script
from ccwb_doctor.analyzers.binary.types import (
    HEAD_BYTES,
    READ_BUDGET,
    BinaryInfo,
    Corrupt,
    Reader,
    Slice,
    canonical_arch,
)

__all__ = [
    "HEAD_BYTES",
    "READ_BUDGET",
    "BinaryInfo",
    "Slice",
    "analyze_bytes",
    "analyze_file",
    "analyze_path",
    "canonical_arch",
    "sniff",
]


def sniff(head: bytes) -> str:
    """The format family the first bytes announce (before any validation)."""
    if head.startswith(ELF_MAGIC):
        return "elf"
    if head[:4] in THIN_MAGICS:
        return "macho"
    if head[:4] in (FAT_MAGIC, FAT_MAGIC_64):
        return "macho-fat"
    if head.startswith(b"MZ"):
        return "pe"
    if head.startswith(b"#!") or head.startswith(BOM + b"#!"):
        return "script"
    return "unknown"


_PARSERS = {
    "elf": parse_elf,
    "macho": parse_macho,
    "macho-fat": parse_fat,
    "pe": parse_pe,
    "script": parse_shebang,
}


def _analyze(rd: Reader, name: str | None) -> BinaryInfo:
    kind = sniff(rd.head)
    extra: dict[str, object] = {"size": rd.size, "path": name}
    if kind == "unknown":
        if rd.size == 0:
            info = BinaryInfo(format="empty", status="unknown", error="the file is empty", offset=0)
        elif name and (ws := windows_script(name)) is not None:
            info = ws
        elif looks_like_text(rd.head):
            info = BinaryInfo(
                format="text",
                status="unknown",
                error="plain text without a #! line: exec fails with ENOEXEC",
                offset=0,
            )
        else:
            magic = rd.head[:4].hex()
            info = BinaryInfo(
                format="unknown", status="unknown", error=f"unrecognised magic {magic}", offset=0
            )
    else:
        try:
            info = _PARSERS[kind](rd)
        except Corrupt as exc:
            info = BinaryInfo(format=kind, status="corrupt", error=exc.reason, offset=exc.offset)
        except (struct.error, ValueError, IndexError, OverflowError) as exc:  # defensive: never raise
            info = BinaryInfo(format=kind, status="corrupt", error=f"unparseable header ({exc})", offset=0)
    return _with(info, bytes_read=rd.bytes_read, **extra)


def _with(info: BinaryInfo, **changes: object) -> BinaryInfo:
    from dataclasses import replace

    return replace(info, **changes)  # type: ignore[arg-type]


def analyze_bytes(data: bytes, name: str | None = None) -> BinaryInfo:
    """Analyse an in-memory prefix of a file (``len(data)`` is taken as the file size)."""
    return _analyze(Reader.from_bytes(data), name)


def analyze_file(fh: IO[bytes], size: int | None = None, name: str | None = None) -> BinaryInfo:
    """Analyse an open, seekable binary file object; reads at most READ_BUDGET bytes."""
    if size is None:
        size = fh.seek(0, os.SEEK_END)
    return _analyze(Reader.from_file(fh, size), name)


def analyze_path(path: str | os.PathLike[str]) -> BinaryInfo:
    """Analyse a file on disk. Missing/unreadable paths come back as status 'unknown' with the reason."""
    p = Path(path)
    try:
        st = os.stat(p)
        if not stat.S_ISREG(st.st_mode):
            what = "is a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            return BinaryInfo(format="unknown", status="unknown", error=what, offset=0, path=str(p))
        with open(p, "rb") as fh:
            return analyze_file(fh, os.fstat(fh.fileno()).st_size, str(p))
    except FileNotFoundError:
        return BinaryInfo(format="missing", status="unknown", error="no such file", offset=0, path=str(p))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return BinaryInfo(
            format="unknown", status="unknown", error=f"cannot read: {reason}", offset=0, path=str(p)
        )
