"""Header analysis: every format and architecture, real executables, corrupt input, the 64 KiB read cap."""

from __future__ import annotations

import io
import json
import os
import platform
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.binary.analyze import (
    READ_BUDGET,
    analyze_bytes,
    analyze_file,
    analyze_path,
    canonical_arch,
)
from ccwb_doctor.fixtures import binaries as B

BINARY_SAMPLES = {k: f() for k, f in B.SAMPLES.items() if not k.startswith("script")}

EXPECTED = {
    "elf-x86_64": ("elf", ("x86_64",)),
    "elf-arm64": ("elf", ("arm64",)),
    "elf-i386": ("elf", ("i386",)),
    "elf-arm": ("elf", ("arm",)),
    "elf-riscv64": ("elf", ("riscv64",)),
    "elf-ppc64le": ("elf", ("ppc64le",)),
    "elf-s390x": ("elf", ("s390x",)),
    "macho-x86_64": ("macho", ("x86_64",)),
    "macho-x86_64h": ("macho", ("x86_64h",)),
    "macho-arm64": ("macho", ("arm64",)),
    "macho-arm64e": ("macho", ("arm64e",)),
    "macho-i386": ("macho", ("i386",)),
    "macho-armv7": ("macho", ("armv7",)),
    "macho-ppc": ("macho", ("ppc",)),
    "fat-x86_64-arm64": ("macho-fat", ("x86_64", "arm64")),
    "fat-i386-x86_64-arm64": ("macho-fat", ("i386", "x86_64", "arm64")),
    "fat64-x86_64-arm64": ("macho-fat", ("x86_64", "arm64")),
    "fat64-x86_64-arm64-arm64e": ("macho-fat", ("x86_64", "arm64", "arm64e")),
    "pe-i386": ("pe", ("i386",)),
    "pe-x86_64": ("pe", ("x86_64",)),
    "pe-arm64": ("pe", ("arm64",)),
    "pe-arm64ec": ("pe", ("arm64ec",)),
    "pe-arm64x": ("pe", ("arm64x",)),
    "pe-arm": ("pe", ("arm",)),
    "pe-arm64ec-image": ("pe", ("arm64ec",)),
    "pe-arm64x-image": ("pe", ("arm64x",)),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_format_and_architecture(name: str) -> None:
    info = analyze_bytes(B.SAMPLES[name]())
    fmt, archs = EXPECTED[name]
    assert (info.status, info.format, info.archs) == ("ok", fmt, archs)
    assert info.os == {"elf": "linux", "macho": "darwin", "macho-fat": "darwin", "pe": "windows"}[fmt]
    json.dumps(info.to_dict())  # evidence must be JSON-serialisable


def test_elf_loader_libc_and_linkage() -> None:
    glibc = analyze_bytes(B.elf("arm64"))
    assert (glibc.interpreter, glibc.libc, glibc.linkage) == (
        "/lib/ld-linux-aarch64.so.1",
        "glibc",
        "dynamic",
    )
    musl = analyze_bytes(B.elf("x86_64", "musl"))
    assert (musl.interpreter, musl.libc) == ("/lib/ld-musl-x86_64.so.1", "musl")
    static = analyze_bytes(B.elf("x86_64", None))
    assert (static.interpreter, static.libc, static.linkage) == (None, None, "static")
    spie = analyze_bytes(B.elf("x86_64", None, "dyn"))
    assert spie.linkage == "static-pie"
    pie = analyze_bytes(B.elf("x86_64", "glibc", "dyn"))
    assert pie.slices[0].filetype == "pie"
    s390 = analyze_bytes(B.elf("s390x"))
    assert (s390.slices[0].endian, s390.slices[0].bits) == ("big", 64)
    i386 = analyze_bytes(B.elf("i386"))
    assert (i386.slices[0].bits, i386.interpreter) == (32, "/lib/ld-linux.so.2")


def test_macho_thin_details() -> None:
    info = analyze_bytes(B.macho("arm64e", min_os=(13, 0)))
    sl = info.slices[0]
    assert (sl.arch, sl.subtype, sl.platform, sl.min_os) == ("arm64e", 2, "macos", "13.0.0")
    assert info.interpreter == "/usr/lib/dyld"
    ppc = analyze_bytes(B.macho("ppc"))
    assert (ppc.slices[0].endian, ppc.slices[0].bits) == ("big", 32)


def test_macho_with_load_commands_beyond_the_first_read_is_still_ok(tmp_path: Path) -> None:
    path = B.write(tmp_path / "big", B.macho("arm64", filler=48 * 1024))
    info = analyze_path(path)
    assert (info.status, info.archs, info.interpreter) == ("ok", ("arm64",), "/usr/lib/dyld")
    assert info.bytes_read <= READ_BUDGET


@pytest.mark.parametrize("wide", [False, True])
@pytest.mark.parametrize("archs", [["x86_64", "arm64"], ["i386", "x86_64", "arm64"]])
def test_fat_every_slice(wide: bool, archs: list[str]) -> None:
    data = B.fat(archs, wide=wide)
    info = analyze_bytes(data)
    assert info.format == "macho-fat" and info.status == "ok"
    assert info.archs == tuple(archs)
    offsets = [s.offset for s in info.slices]
    assert offsets == sorted(offsets) and all(o % 4096 == 0 for o in offsets)
    for s in info.slices:  # every slice offset really holds that slice's Mach-O header
        assert analyze_bytes(data[s.offset :]).archs == (s.arch,)


def test_fat_slice_disagreeing_with_its_header_is_corrupt() -> None:
    data = bytearray(B.fat(["x86_64", "arm64"]))
    data[8:12] = (0x0100000C).to_bytes(4, "big")  # first entry claims arm64, its slice is x86_64
    info = analyze_bytes(bytes(data))
    assert info.status == "corrupt" and info.offset is not None


def test_java_class_file_is_not_a_universal_binary() -> None:
    info = analyze_bytes(b"\xca\xfe\xba\xbe\x00\x00\x00\x41" + b"\0" * 64)  # Java 17 class file
    assert info.status == "corrupt" and "Java" in (info.error or "") and info.offset == 4


def test_pe_subsystem_and_dll() -> None:
    assert analyze_bytes(B.pe("x86_64")).subsystem == "windows-cui"
    gui = analyze_bytes(B.pe("x86_64", subsystem=2))
    assert gui.subsystem == "windows-gui" and any("GUI" in n for n in gui.notes)
    dll = analyze_bytes(B.pe("arm64", dll=True))
    assert dll.slices[0].filetype == "dll"


def test_dos_program_without_pe_header_is_corrupt_at_e_lfanew() -> None:
    data = bytearray(B.pe())
    data[0x80:0x84] = b"NE\0\0"
    info = analyze_bytes(bytes(data))
    assert (info.status, info.offset) == ("corrupt", 0x80)


def test_scripts() -> None:
    sh = analyze_bytes(B.script("/bin/sh"))
    assert (sh.format, sh.interpreter, sh.interpreter_args, sh.problems) == ("script", "/bin/sh", (), ())
    env = analyze_bytes(B.script("/usr/bin/env", "-S python3 -u"))
    assert env.interpreter == "/usr/bin/env" and env.interpreter_args == ("-S python3 -u",)
    assert any("'python3'" in n for n in env.notes)
    crlf = analyze_bytes(B.script("/bin/sh", crlf=True))
    assert crlf.interpreter == "/bin/sh" and "CR" in crlf.problems[0]
    bom = analyze_bytes(B.script("/bin/sh", bom=True))
    assert "byte-order mark" in bom.problems[0]
    long = analyze_bytes(B.script("/usr/bin/" + "x" * 300))
    assert any("only the first" in p for p in long.problems)
    empty = analyze_bytes(b"#!   \n")
    assert (empty.status, empty.offset) == ("corrupt", 2)


def test_windows_scripts_text_and_empty() -> None:
    assert analyze_bytes(b"@echo off\r\n", "helper.CMD").format == "batch"
    assert analyze_bytes(b"Write-Output 1\r\n", "helper.ps1").format == "powershell"
    text = analyze_bytes(b"echo hi\n", "helper")
    assert (text.format, text.status, text.offset) == ("text", "unknown", 0)
    assert analyze_bytes(b"").format == "empty"
    junk = analyze_bytes(b"\x00\x01\x02\x03garbage")
    assert (junk.status, junk.offset, junk.error) == ("unknown", 0, "unrecognised magic 00010203")


def test_canonical_arch_aliases() -> None:
    assert [canonical_arch(a) for a in ("AMD64", "aarch64", "i686", "armv7l", "arm64")] == [
        "x86_64",
        "arm64",
        "i386",
        "arm",
        "arm64",
    ]


# --- real executables on this machine ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/bin/ls", os.path.realpath(sys.executable)])
def test_real_executables(path: str) -> None:
    if not os.path.exists(path):
        pytest.skip(f"{path} not present")
    info = analyze_path(path)
    assert info.status == "ok" and info.format in ("elf", "macho", "macho-fat")
    assert canonical_arch(platform.machine()) in info.archs
    assert info.bytes_read <= READ_BUDGET and info.size == os.path.getsize(path)
    if info.format == "elf" and info.linkage == "dynamic":
        assert info.interpreter and os.path.exists(info.interpreter)


def test_paths_that_are_not_files(tmp_path: Path) -> None:
    assert analyze_path(tmp_path).error == "is a directory"
    missing = analyze_path(tmp_path / "nope")
    assert (missing.format, missing.status, missing.offset) == ("missing", "unknown", 0)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert analyze_path(fifo).error == "not a regular file"  # and it did not block on open()


# --- 64 KiB read cap -----------------------------------------------------------------------------------


class CountingFile(io.RawIOBase):
    """A file object that counts every byte handed out by read()."""

    def __init__(self, path: Path) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self.count += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self._fh.close()
        super().close()


FIFTY_MB = 50 * 1024 * 1024


@pytest.mark.parametrize(
    "kind",
    ["elf", "pe", "macho", "fat3", "fat64-3"],
)
def test_fifty_megabyte_file_reads_at_most_64_kib(tmp_path: Path, kind: str) -> None:
    path = tmp_path / kind
    if kind.startswith("fat"):
        chunks, size = B.fat_chunks(
            ["i386", "x86_64", "arm64"], wide="64" in kind, slice_size=FIFTY_MB // 3 - 65536
        )
        B.write_sparse(path, chunks, size)
    else:
        data = {"elf": B.elf(), "pe": B.pe(), "macho": B.macho()}[kind]
        B.write_sparse(path, B.big(data, FIFTY_MB), FIFTY_MB)
    assert path.stat().st_size >= 48 * 1024 * 1024
    fh = CountingFile(path)
    try:
        info = analyze_file(fh)  # type: ignore[arg-type]
    finally:
        fh.close()
    assert info.status == "ok", info.error
    assert fh.count <= 64 * 1024 and info.bytes_read == fh.count
    if kind.startswith("fat"):
        assert info.archs == ("i386", "x86_64", "arm64")
        assert info.slices[-1].offset > 30 * 1024 * 1024  # the last slice header really is far away


# --- property tests: corrupt input never raises ----------------------------------------------------------


def _check_never_raises(data: bytes, name: str | None = None) -> None:
    from ccwb_doctor.analyzers.binary.hostcap import PRESETS
    from ccwb_doctor.analyzers.binary.verdict import judge

    info = analyze_bytes(data, name)
    json.dumps(info.to_dict())
    if info.status != "ok":
        assert info.status in ("unknown", "corrupt")
        assert isinstance(info.offset, int) and info.offset >= 0
        assert info.error
    else:
        assert all(isinstance(a, str) and a for a in info.archs)
    # and the verdict on every host profile: never an exception; unknown/corrupt cannot run, with the offset
    for host in PRESETS.values():
        v = judge(info, host, which=lambda _p: None, exists=lambda _p: False)
        json.dumps(v.to_dict())
        assert v.message and "\n" not in v.message
        if info.status != "ok":
            assert v.kind == "cannot-run" and f"offset {info.offset}" in v.message and v.fix


SAMPLE_NAMES = sorted(BINARY_SAMPLES)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(SAMPLE_NAMES),
    edits=st.lists(st.tuples(st.integers(0, 1023), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_mutated_headers_never_raise(name: str, edits: list[tuple[int, int]]) -> None:
    data = bytearray(BINARY_SAMPLES[name])
    for pos, val in edits:
        if pos < len(data):
            data[pos] = val
    _check_never_raises(bytes(data))


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(SAMPLE_NAMES), cut=st.floats(0, 1, exclude_max=True))
def test_truncated_headers_are_unknown_or_corrupt_with_offset(name: str, cut: float) -> None:
    full = BINARY_SAMPLES[name]
    whole = analyze_bytes(full)
    n = int(len(full) * cut)
    info = analyze_bytes(full[:n])
    _check_never_raises(full[:n])
    if info.status == "ok":  # truncated only in padding the headers do not use: same answer
        assert info.archs == whole.archs and info.format == whole.format
    else:
        assert info.offset is not None


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_truncation_inside_the_fixed_header_is_always_reported(name: str) -> None:
    full = BINARY_SAMPLES[name]
    fixed = {"elf": 52, "macho": 28, "macho-fat": len(full), "pe": 0x80 + 24 + 70}[analyze_bytes(full).format]
    for n in range(0, fixed, 7):
        info = analyze_bytes(full[:n])
        assert info.status in ("unknown", "corrupt") and isinstance(info.offset, int), (n, info)


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.sampled_from(
        [b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf", b"MZ", b"#!"]
    ),
    rest=st.binary(max_size=2048),
)
def test_random_bytes_after_a_magic_never_raise(prefix: bytes, rest: bytes) -> None:
    _check_never_raises(prefix + rest, "x.cmd")


def test_control_characters_in_the_loader_path_stay_on_one_line() -> None:
    """Found by the mutation property: a newline written into PT_INTERP must not break the verdict line."""
    data = bytearray(B.elf("arm64"))
    at = data.find(b"/lib/ld-linux-aarch64.so.1")
    data[at + 1] = 10  # "/\nib/ld-linux-aarch64.so.1"
    info = analyze_bytes(bytes(data), "helper")
    assert info.status == "ok" and "\\x0a" in json.dumps(info.to_dict())
    _check_never_raises(bytes(data), "helper")  # every host's verdict is one line
