"""PE/COFF headers: DOS stub, PE signature, COFF machine and characteristics, optional-header subsystem."""

from __future__ import annotations

import struct

from ccwb_doctor.analyzers.binary.types import BinaryInfo, Corrupt, Reader, Slice

MACHINES: dict[int, tuple[str, int]] = {
    0x014C: ("i386", 32),
    0x8664: ("x86_64", 64),
    0xAA64: ("arm64", 64),
    0xA641: ("arm64ec", 64),
    0xA64E: ("arm64x", 64),
    0x01C4: ("arm", 32),  # ARMNT (Thumb-2)
    0x0200: ("ia64", 64),
    0x5064: ("riscv64", 64),
}
SUBSYSTEMS = {
    1: "native",
    2: "windows-gui",
    3: "windows-cui",
    5: "os2-cui",
    7: "posix-cui",
    9: "windows-ce-gui",
    10: "efi-application",
    11: "efi-boot-driver",
    12: "efi-runtime-driver",
    13: "efi-rom",
    14: "xbox",
    16: "windows-boot-application",
}
IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002
IMAGE_FILE_DLL = 0x2000


def parse_pe(rd: Reader) -> BinaryInfo:
    (lfanew,) = struct.unpack("<I", rd.at(0x3C, 4, "DOS header e_lfanew"))
    if lfanew < 0x40 or lfanew % 4:
        raise Corrupt(0x3C, f"e_lfanew {lfanew} is not a valid PE header offset")
    sig = rd.at(lfanew, 4, "PE signature")
    if sig != b"PE\0\0":
        raise Corrupt(lfanew, f"no PE signature at e_lfanew (found {sig.hex()}): an MS-DOS program?")
    machine, nsections, _ts, _sym, _nsym, opt_size, chars = struct.unpack(
        "<HHIIIHH", rd.at(lfanew + 4, 20, "COFF file header")
    )
    if machine not in MACHINES:
        raise Corrupt(lfanew + 4, f"COFF machine 0x{machine:04x} not recognised")
    if nsections == 0 or nsections > 96:
        raise Corrupt(lfanew + 6, f"{nsections} sections is outside 1..96")
    if not chars & IMAGE_FILE_EXECUTABLE_IMAGE:
        raise Corrupt(lfanew + 22, "COFF characteristics lack IMAGE_FILE_EXECUTABLE_IMAGE: not an image")
    opt = lfanew + 24
    if opt_size < 70:
        raise Corrupt(lfanew + 20, f"optional header size {opt_size} is too small for an image")
    (magic,) = struct.unpack("<H", rd.at(opt, 2, "optional header magic"))
    if magic not in (0x10B, 0x20B):
        raise Corrupt(opt, f"optional header magic 0x{magic:x} is neither PE32 nor PE32+")
    (subsystem,) = struct.unpack("<H", rd.at(opt + 68, 2, "optional header subsystem"))
    arch, bits = MACHINES[machine]
    notes: list[str] = []
    if magic == 0x20B and machine in (0x8664, 0xAA64):
        try:
            if _is_hybrid(rd, opt, opt_size, nsections):
                arch = "arm64ec" if machine == 0x8664 else "arm64x"
                notes.append(
                    f"hybrid image (CHPE metadata present): {arch}, not plain {MACHINES[machine][0]}"
                )
        except Corrupt as exc:  # past the budget: best effort; past the end of the file: truncated
            if exc.truncated:
                raise
            notes.append(f"load config not examined ({exc.reason})")
    if magic == 0x20B and bits == 32 or magic == 0x10B and bits == 64:
        notes.append(f"optional header is {'PE32+' if magic == 0x20B else 'PE32'} but the machine is {arch}")
    if chars & IMAGE_FILE_DLL:
        notes.append("a DLL, not a program")
    sub = SUBSYSTEMS.get(subsystem, f"subsystem-{subsystem}")
    if sub == "windows-gui":
        notes.append("GUI subsystem: started without a console; stdout works only through inherited handles")
    sl = Slice(
        arch=arch,
        bits=bits,
        endian="little",
        machine=machine,
        offset=lfanew,
        filetype="dll" if chars & IMAGE_FILE_DLL else "exec",
    )
    return BinaryInfo(format="pe", os="windows", slices=(sl,), subsystem=sub, notes=tuple(notes))


LOAD_CONFIG_DIR = 10
CHPE_POINTER_OFFSET = 0xC8  # IMAGE_LOAD_CONFIG_DIRECTORY64.CHPEMetadataPointer


def _is_hybrid(rd: Reader, opt: int, opt_size: int, nsections: int) -> bool:
    """ARM64EC/ARM64X images carry AMD64/ARM64 in the COFF header and a CHPE metadata pointer in their
    load config; find it through the data directory and the section table (a few hundred bytes)."""
    (ndirs,) = struct.unpack("<I", rd.at(opt + 108, 4, "NumberOfRvaAndSizes"))
    if ndirs <= LOAD_CONFIG_DIR or opt_size < 112 + 8 * (LOAD_CONFIG_DIR + 1):
        return False
    rva, size = struct.unpack("<II", rd.at(opt + 112 + 8 * LOAD_CONFIG_DIR, 8, "load config directory"))
    if rva == 0 or size < 4:
        return False
    table = rd.at(opt + opt_size, 40 * nsections, "section table")
    for i in range(nsections):
        vsize, va, raw_size, raw_ptr = struct.unpack_from("<IIII", table, i * 40 + 8)
        if va <= rva < va + max(vsize, raw_size):
            off = raw_ptr + (rva - va)
            (lc_size,) = struct.unpack("<I", rd.at(off, 4, "load config"))
            if lc_size < CHPE_POINTER_OFFSET + 8:
                return False
            (chpe,) = struct.unpack("<Q", rd.at(off + CHPE_POINTER_OFFSET, 8, "CHPE metadata pointer"))
            return chpe != 0
    return False
