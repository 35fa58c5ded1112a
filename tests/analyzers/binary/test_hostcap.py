"""Host capability detection and the native / emulated / cannot-run verdicts for every host profile."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccwb_doctor.analyzers.binary.analyze import analyze_bytes, analyze_path, canonical_arch
from ccwb_doctor.analyzers.binary.hostcap import (
    PRESETS,
    detect_host,
    mount_for,
    parse_binfmt_entry,
    parse_mountinfo,
    preset,
    read_xattr,
)
from ccwb_doctor.analyzers.binary.verdict import judge, recommended_build
from ccwb_doctor.fixtures import binaries as B

QEMU_AARCH64 = """enabled
interpreter /usr/bin/qemu-aarch64-static
flags: F
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
"""

# (host preset, sample, expected verdict)
MATRIX = [
    # macOS arm64 with Rosetta: arm64 native, Intel translated, fat picks arm64, 32-bit never
    ("macos-arm64", "macho-arm64", "native"),
    ("macos-arm64", "macho-x86_64", "emulated"),
    ("macos-arm64", "macho-x86_64h", "emulated"),
    ("macos-arm64", "fat-x86_64-arm64", "native"),
    ("macos-arm64", "fat64-x86_64-arm64-arm64e", "native"),
    ("macos-arm64", "macho-arm64e", "uncertain"),
    ("macos-arm64", "macho-i386", "cannot-run"),
    ("macos-arm64", "elf-arm64", "cannot-run"),
    ("macos-arm64", "pe-arm64", "cannot-run"),
    ("macos-arm64-translated", "macho-arm64", "native"),
    # macOS arm64 without Rosetta: Intel-only builds cannot run
    ("macos-arm64-no-rosetta", "macho-x86_64", "cannot-run"),
    ("macos-arm64-no-rosetta", "fat-i386-x86_64-arm64", "native"),
    # macOS Intel: "works on macOS ARM but not macOS Intel"
    ("macos-x86_64", "macho-arm64", "cannot-run"),
    ("macos-x86_64", "macho-x86_64", "native"),
    ("macos-x86_64", "fat-x86_64-arm64", "native"),
    ("macos-x86_64", "macho-ppc", "cannot-run"),
    # Windows on Arm (11): arm64/EC/X native, x64 and x86 emulated
    ("windows-arm64", "pe-arm64", "native"),
    ("windows-arm64", "pe-arm64ec", "native"),
    ("windows-arm64", "pe-arm64x", "native"),
    ("windows-arm64", "pe-x86_64", "emulated"),
    ("windows-arm64", "pe-i386", "emulated"),
    ("windows-arm64", "elf-arm64", "cannot-run"),
    ("windows10-arm64", "pe-x86_64", "cannot-run"),
    # Windows x64
    ("windows-amd64", "pe-x86_64", "native"),
    ("windows-amd64", "pe-i386", "native"),
    ("windows-amd64", "pe-arm64", "cannot-run"),
    ("windows-amd64", "pe-arm64ec", "cannot-run"),
    ("windows-amd64", "pe-arm64ec-image", "cannot-run"),  # AMD64 in the header, but hybrid: Arm only
    ("windows-arm64", "pe-arm64ec-image", "native"),
    ("windows-arm64", "pe-arm64x-image", "native"),
    ("windows-amd64", "script-sh", "cannot-run"),
    # Linux x86_64 (glibc)
    ("linux-x86_64", "elf-x86_64", "native"),
    ("linux-x86_64", "elf-x86_64-static", "native"),
    ("linux-x86_64", "elf-arm64", "cannot-run"),
    ("linux-x86_64", "elf-arm64-static", "cannot-run"),
    ("linux-x86_64", "elf-i386", "cannot-run"),  # dynamic i386: no /lib/ld-linux.so.2 in the profile
    ("linux-x86_64", "elf-x86_64-musl", "cannot-run"),
    ("linux-x86_64", "macho-x86_64", "cannot-run"),
    ("linux-x86_64", "pe-x86_64", "cannot-run"),
    # Linux aarch64 (Graviton, Raspberry Pi OS 64-bit)
    ("linux-aarch64", "elf-arm64", "native"),
    ("linux-aarch64", "elf-arm64-static", "native"),
    ("linux-aarch64", "elf-x86_64", "cannot-run"),
    ("linux-aarch64", "elf-x86_64-static", "cannot-run"),
    # musl (Alpine): glibc builds lack their loader, static Go builds are fine
    ("linux-x86_64-musl", "elf-x86_64", "cannot-run"),
    ("linux-x86_64-musl", "elf-x86_64-static", "native"),
    ("linux-x86_64-musl", "elf-x86_64-static-pie", "native"),
    ("linux-x86_64-musl", "elf-x86_64-musl", "native"),
]


@pytest.mark.parametrize(("host", "sample", "expected"), MATRIX)
def test_verdict_matrix(host: str, sample: str, expected: str) -> None:
    v = judge(analyze_bytes(B.SAMPLES[sample](), sample), PRESETS[host])
    assert v.kind == expected, v.message
    assert v.message
    json.dumps(v.to_dict())
    if expected in ("cannot-run", "emulated"):
        assert v.fix  # always says what to do


def test_rosetta_missing_says_how_to_install_it_or_which_build() -> None:
    v = judge(analyze_bytes(B.macho("x86_64")), PRESETS["macos-arm64-no-rosetta"])
    assert "softwareupdate --install-rosetta" in (v.fix or "")
    assert "credential-process-macos-arm64" in (v.fix or "")


def test_intel_mac_gets_the_intel_build_named_in_both_vocabularies() -> None:
    v = judge(analyze_bytes(B.macho("arm64")), PRESETS["macos-x86_64"])
    assert v.build and v.build.aws == "credential-process-macos-intel"
    assert "ccwb-credential-process" in v.build.reference and "pure Python" in v.build.reference


@pytest.mark.parametrize(
    ("host", "build"),
    [
        ("macos-arm64", "credential-process-macos-arm64"),
        ("macos-x86_64", "credential-process-macos-intel"),
        ("linux-x86_64", "credential-process-linux-x64"),
        ("linux-x86_64-musl", "credential-process-linux-x64"),
        ("linux-aarch64", "credential-process-linux-arm64"),
        ("windows-amd64", "credential-process-windows.exe"),
        ("windows-arm64", "credential-process-windows.exe"),
    ],
)
def test_recommended_build(host: str, build: str) -> None:
    assert recommended_build(PRESETS[host]).aws == build


def test_no_aws_build_for_other_hosts_points_at_reference_helper() -> None:
    b = recommended_build(preset("linux-x86_64", machine="riscv64"))
    assert b.aws is None and "ccwb-credential-process" in b.text()


def test_windows_arm64_x64_emulation_fix_mentions_no_native_aws_build() -> None:
    v = judge(analyze_bytes(B.pe("x86_64")), PRESETS["windows-arm64"])
    assert v.via == "windows-x64-emulation" and "x64 only" in (v.fix or "")


def test_compat32_unknown_is_uncertain_and_known_is_decided() -> None:
    static_arm = analyze_bytes(B.elf("arm", None))
    assert judge(static_arm, PRESETS["linux-aarch64"]).kind == "uncertain"
    assert judge(static_arm, preset("linux-aarch64", compat32=False)).kind == "cannot-run"
    i386 = analyze_bytes(B.elf("i386"))
    host = preset("linux-x86_64", loaders=("/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux.so.2"))
    assert judge(i386, host).kind == "native"


def test_musl_host_explains_glibc_build() -> None:
    v = judge(analyze_bytes(B.elf("x86_64")), PRESETS["linux-x86_64-musl"])
    assert "gcompat" in v.message and "ENOENT" in v.message


# --- binfmt_misc / qemu-user ---------------------------------------------------------------------------


def _fake_root(tmp_path: Path, entries: dict[str, str], status: str = "enabled") -> Path:
    bf = tmp_path / "proc/sys/fs/binfmt_misc"
    bf.mkdir(parents=True)
    (bf / "status").write_text(status + "\n")
    (bf / "register").write_text("")
    for name, text in entries.items():
        (bf / name).write_text(text)
    lib64 = tmp_path / "lib64"
    lib64.mkdir()
    (lib64 / "ld-linux-x86-64.so.2").write_text("")
    return tmp_path


def test_binfmt_qemu_makes_foreign_elf_emulated(tmp_path: Path) -> None:
    root = _fake_root(tmp_path, {"qemu-aarch64": QEMU_AARCH64})
    host = detect_host(root, system="Linux", machine="x86_64")
    assert host.binfmt_enabled and host.binfmt[0].arch == "arm64" and host.binfmt[0].flags == "F"
    assert host.libc == "glibc" and host.loaders == ("/lib64/ld-linux-x86-64.so.2",)
    v = judge(analyze_bytes(B.elf("arm64", None)), host)
    assert (v.kind, v.via) == ("emulated", "binfmt:qemu-aarch64")
    assert host.binfmt[0].matches(B.elf("arm64")) and not host.binfmt[0].matches(B.elf("x86_64"))
    assert judge(analyze_bytes(B.elf("riscv64", None)), host).kind == "cannot-run"


def test_binfmt_disabled_entry_or_subsystem_does_not_count(tmp_path: Path) -> None:
    off = _fake_root(tmp_path / "a", {"qemu-aarch64": QEMU_AARCH64.replace("enabled", "disabled")})
    assert (
        judge(analyze_bytes(B.elf("arm64", None)), detect_host(off, "Linux", "x86_64")).kind == "cannot-run"
    )
    st_off = _fake_root(tmp_path / "b", {"qemu-aarch64": QEMU_AARCH64}, status="disabled")
    assert (
        judge(analyze_bytes(B.elf("arm64", None)), detect_host(st_off, "Linux", "x86_64")).kind
        == "cannot-run"
    )


def test_musl_tree_is_detected(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib/ld-musl-x86_64.so.1").write_text("")
    host = detect_host(tmp_path, system="Linux", machine="x86_64")
    assert host.libc == "musl"
    assert judge(analyze_bytes(B.elf("x86_64")), host).kind == "cannot-run"
    assert judge(analyze_bytes(B.elf("x86_64", "musl")), host).kind == "native"


def test_detect_darwin_rosetta_marker(tmp_path: Path) -> None:
    assert detect_host(tmp_path, system="Darwin", machine="arm64").rosetta is False
    marker = tmp_path / "Library/Apple/usr/libexec/oah/libRosettaRuntime"
    marker.parent.mkdir(parents=True)
    marker.write_text("")
    host = detect_host(tmp_path, system="Darwin", machine="arm64")
    assert (host.os, host.machine, host.rosetta) == ("darwin", "arm64", True)
    assert detect_host(tmp_path, system="Darwin", machine="x86_64").rosetta is None


def test_detect_windows_names_are_canonical(tmp_path: Path) -> None:
    host = detect_host(tmp_path, system="Windows", machine="ARM64")
    assert (host.os, host.machine) == ("windows", "arm64")
    assert detect_host(tmp_path, system="Windows", machine="AMD64").machine == "x86_64"


def test_detect_this_machine() -> None:
    host = detect_host()
    assert host.source == "detected"
    assert host.machine == canonical_arch(platform.machine())
    if host.os == "linux":
        ls = analyze_path("/bin/ls")
        if ls.interpreter:  # the real loader of a real program is among the detected loaders
            assert host.has_loader(ls.interpreter)
            assert any(os.path.realpath(p) == os.path.realpath(ls.interpreter) for p in host.loaders or ())
        assert judge(ls, host).kind == "native"
    json.dumps(host.to_dict())


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_binfmt_parser_never_raises(text: str) -> None:
    parse_binfmt_entry("x", text)


# --- mounts and xattrs ---------------------------------------------------------------------------------

MOUNTINFO = """22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
40 27 0:30 / /tmp rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw
41 27 0:31 / /mnt/my\\040disk rw,relatime - ext4 /dev/sdb1 rw
42 40 0:32 / /tmp/ok rw,relatime - tmpfs tmpfs rw
garbage line
"""


def test_mountinfo_noexec_longest_prefix_and_escapes() -> None:
    mounts = parse_mountinfo(MOUNTINFO)
    assert [m.mount_point for m in mounts] == ["/proc", "/", "/tmp", "/mnt/my disk", "/tmp/ok"]
    assert mount_for("/tmp/helper", mounts).noexec  # type: ignore[union-attr]
    assert not mount_for("/tmp/ok/helper", mounts).noexec  # type: ignore[union-attr]
    assert not mount_for("/tmpfoo/helper", mounts).noexec  # type: ignore[union-attr]
    assert mount_for("/mnt/my disk/x", mounts).fstype == "ext4"  # type: ignore[union-attr]


def test_real_mountinfo_parses() -> None:
    p = Path("/proc/self/mountinfo")
    if not p.exists():
        pytest.skip("no /proc")
    mounts = parse_mountinfo(p.read_text())
    assert mount_for(os.path.realpath("/bin/ls"), mounts) is not None


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_mountinfo_parser_never_raises(text: str) -> None:
    mount_for("/a/b", parse_mountinfo(text))


def test_read_xattr_absent_and_present(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    assert read_xattr(str(f), "user.com.apple.quarantine") is None
    try:
        os.setxattr(f, "user.com.apple.quarantine", b"0083;65000000;Safari;")
    except (OSError, AttributeError):
        pytest.skip("this filesystem has no user xattrs")
    assert read_xattr(str(f), "user.com.apple.quarantine") == b"0083;65000000;Safari;"


def test_detected_host_finds_loaders_outside_the_usual_places(tmp_path: Path) -> None:
    loader = tmp_path / "nix/store/abc-glibc/lib/ld-linux-x86-64.so.2"
    loader.parent.mkdir(parents=True)
    loader.write_text("")
    host = detect_host(tmp_path, system="Linux", machine="x86_64")
    nix = analyze_bytes(B.elf("x86_64", "/nix/store/abc-glibc/lib/ld-linux-x86-64.so.2"))
    assert judge(nix, host).kind == "native"
    assert judge(analyze_bytes(B.elf("x86_64")), host).kind == "cannot-run"  # no /lib64 loader in this tree


def test_wine_binfmt_runs_windows_programs_under_emulation(tmp_path: Path) -> None:
    wine = "enabled\ninterpreter /usr/bin/wine\nflags: \noffset 0\nmagic 4d5a\n"
    host = detect_host(_fake_root(tmp_path, {"wine": wine}), system="Linux", machine="x86_64")
    v = judge(analyze_bytes(B.pe("x86_64")), host)
    assert (v.kind, v.via) == ("emulated", "binfmt:wine") and v.fix


def test_ia32_emulation_off_on_the_kernel_command_line(tmp_path: Path) -> None:
    root = _fake_root(tmp_path, {})
    (root / "lib").mkdir()
    (root / "lib/ld-linux.so.2").write_text("")
    i386 = analyze_bytes(B.elf("i386"))
    assert detect_host(root, system="Linux", machine="x86_64").compat32 is True
    assert judge(i386, detect_host(root, system="Linux", machine="x86_64")).kind == "native"
    (root / "proc/cmdline").write_text("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ia32_emulation=0 quiet\n")
    host = detect_host(root, system="Linux", machine="x86_64")
    assert host.compat32 is False
    v = judge(i386, host)
    assert v.kind == "cannot-run" and "32-bit" in v.message and v.fix
