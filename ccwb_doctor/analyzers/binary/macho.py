"""Mach-O headers: thin (32/64-bit, either byte order) and universal/fat (32- and 64-bit fat headers)."""

from __future__ import annotations

import struct

from ccwb_doctor.analyzers.binary.types import BinaryInfo, Corrupt, Reader, Slice

THIN_MAGICS: dict[bytes, tuple[int, str]] = {
    b"\xcf\xfa\xed\xfe": (64, "<"),
    b"\xce\xfa\xed\xfe": (32, "<"),
    b"\xfe\xed\xfa\xcf": (64, ">"),
    b"\xfe\xed\xfa\xce": (32, ">"),
}
FAT_MAGIC = b"\xca\xfe\xba\xbe"
FAT_MAGIC_64 = b"\xca\xfe\xba\xbf"
MAX_FAT_ARCH = 32  # CAFEBABE with more "slices" than this is a Java class file (major version >= 45)
MAX_NCMDS = 4096

CPU_ARCH_ABI64 = 0x01000000
CPU_ARCH_ABI64_32 = 0x02000000
CPU_SUBTYPE_MASK = 0xFF000000
CPU_TYPE_X86, CPU_TYPE_ARM, CPU_TYPE_PPC = 7, 12, 18
CPU_TYPE_X86_64 = CPU_TYPE_X86 | CPU_ARCH_ABI64
CPU_TYPE_ARM64 = CPU_TYPE_ARM | CPU_ARCH_ABI64
CPU_TYPE_ARM64_32 = CPU_TYPE_ARM | CPU_ARCH_ABI64_32
CPU_TYPE_PPC64 = CPU_TYPE_PPC | CPU_ARCH_ABI64
CPU_SUBTYPE_ARM64E = 2
CPU_SUBTYPE_X86_64_H = 8

LC_LOAD_DYLINKER = 0x0E
LC_VERSION_MIN_MACOSX = 0x24
LC_BUILD_VERSION = 0x32
_FILETYPES = {
    1: "object",
    2: "exec",
    3: "fvmlib",
    4: "core",
    5: "preload",
    6: "dylib",
    7: "dylinker",
    8: "bundle",
}
_PLATFORMS = {
    1: "macos",
    2: "ios",
    3: "tvos",
    4: "watchos",
    5: "bridgeos",
    6: "maccatalyst",
    7: "ios-simulator",
}
_ARM_SUBTYPES = {5: "armv4t", 6: "armv6", 7: "armv5", 9: "armv7", 11: "armv7s", 12: "armv7k", 14: "armv6m"}


def macho_arch(cputype: int, subtype: int) -> str:
    sub = subtype & ~CPU_SUBTYPE_MASK & 0xFFFFFFFF
    if cputype == CPU_TYPE_X86_64:
        return "x86_64h" if sub == CPU_SUBTYPE_X86_64_H else "x86_64"
    if cputype == CPU_TYPE_ARM64:
        return "arm64e" if sub == CPU_SUBTYPE_ARM64E else "arm64"
    if cputype == CPU_TYPE_ARM64_32:
        return "arm64_32"
    if cputype == CPU_TYPE_X86:
        return "i386"
    if cputype == CPU_TYPE_ARM:
        return _ARM_SUBTYPES.get(sub, "arm")
    if cputype == CPU_TYPE_PPC:
        return "ppc"
    if cputype == CPU_TYPE_PPC64:
        return "ppc64"
    return f"macho-cputype-0x{cputype & 0xFFFFFFFF:x}"


def _version(v: int) -> str:
    return f"{v >> 16}.{(v >> 8) & 0xFF}.{v & 0xFF}"


def _thin(rd: Reader, base: int, commands: bool) -> tuple[Slice, str | None]:
    magic = rd.at(base, 4, "Mach-O magic")
    if magic not in THIN_MAGICS:
        raise Corrupt(base, f"Mach-O magic {magic.hex()} not recognised")
    bits, end = THIN_MAGICS[magic]
    hsize = 32 if bits == 64 else 28
    cputype, subtype, filetype, ncmds, sizeofcmds, _flags = struct.unpack(
        end + "iiIIII", rd.at(base + 4, 24, "Mach-O header")
    )
    cputype &= 0xFFFFFFFF
    subtype &= 0xFFFFFFFF
    if filetype not in _FILETYPES:
        raise Corrupt(base + 12, f"Mach-O filetype {filetype} not recognised")
    dylinker = min_os = platform = None
    if commands and ncmds:
        if ncmds > MAX_NCMDS or sizeofcmds < 8 * ncmds:
            raise Corrupt(base + 16, f"{ncmds} load commands in {sizeofcmds} bytes is implausible")
        if base + hsize + sizeofcmds > rd.size:
            raise Corrupt(base + 20, f"sizeofcmds {sizeofcmds} runs past the end of the file")
        # Parse the load commands that sit in the first read; huge command areas are not chased.
        blob = rd.at(
            base + hsize, min(sizeofcmds, max(0, len(rd.head) - base - hsize)), "Mach-O load commands"
        )
        partial = len(blob) < sizeofcmds
        pos = 0
        for _ in range(ncmds):
            if partial and (
                pos + 8 > len(blob) or pos + struct.unpack_from(end + "II", blob, pos)[1] > len(blob)
            ):
                break
            if pos + 8 > len(blob):
                raise Corrupt(base + hsize + pos, "load command runs past sizeofcmds")
            cmd, cmdsize = struct.unpack_from(end + "II", blob, pos)
            if cmdsize < 8 or pos + cmdsize > len(blob):
                raise Corrupt(base + hsize + pos, f"load command size {cmdsize} is invalid")
            body = blob[pos : pos + cmdsize]
            if cmd == LC_LOAD_DYLINKER and cmdsize >= 12:
                (str_off,) = struct.unpack_from(end + "I", body, 8)
                raw = body[str_off:].split(b"\0", 1)[0] if 12 <= str_off < cmdsize else b""
                if not raw:
                    raise Corrupt(base + hsize + pos, "LC_LOAD_DYLINKER has no path")
                dylinker = raw.decode("utf-8", "replace")
            elif cmd == LC_BUILD_VERSION and cmdsize >= 16:
                plat, minos = struct.unpack_from(end + "II", body, 8)
                platform, min_os = _PLATFORMS.get(plat, f"platform-{plat}"), _version(minos)
            elif cmd == LC_VERSION_MIN_MACOSX and cmdsize >= 12:
                platform, min_os = "macos", _version(struct.unpack_from(end + "I", body, 8)[0])
            pos += cmdsize
    sl = Slice(
        arch=macho_arch(cputype, subtype),
        bits=bits,
        endian="little" if end == "<" else "big",
        machine=cputype,
        subtype=subtype & ~CPU_SUBTYPE_MASK & 0xFFFFFFFF,
        offset=base,
        filetype=_FILETYPES[filetype],
        min_os=min_os,
        platform=platform,
    )
    return sl, dylinker


def parse_macho(rd: Reader) -> BinaryInfo:
    sl, dylinker = _thin(rd, 0, commands=True)
    return BinaryInfo(
        format="macho",
        os="darwin" if sl.platform in (None, "macos", "maccatalyst") else sl.platform,
        slices=(sl,),
        interpreter=dylinker,
        linkage="dynamic" if dylinker else "static",
    )


def parse_fat(rd: Reader) -> BinaryInfo:
    wide = rd.at(0, 4) == FAT_MAGIC_64
    (nfat,) = struct.unpack(">I", rd.at(4, 4, "fat header"))
    if nfat == 0:
        raise Corrupt(4, "universal binary with zero slices")
    if nfat > MAX_FAT_ARCH:
        raise Corrupt(4, f"{nfat} slices: CAFEBABE with this count is a Java class file, not a Mach-O")
    entsize = 32 if wide else 20
    table_end = 8 + nfat * entsize
    slices: list[Slice] = []
    seen: set[tuple[int, int]] = set()
    for i in range(nfat):
        at = 8 + i * entsize
        ent = rd.at(at, entsize, f"fat_arch[{i}]")
        if wide:
            cputype, subtype, offset, size, align, _res = struct.unpack(">IIQQII", ent)
        else:
            cputype, subtype, offset, size, align = struct.unpack(">IIIII", ent)
        if align > 15 or offset < table_end or size < 28 or offset % (1 << align):
            raise Corrupt(at, f"fat_arch[{i}] offset {offset}/size {size}/align 2^{align} is invalid")
        if offset + size > rd.size:
            raise Corrupt(
                at, f"fat_arch[{i}] slice ends at {offset + size}, past the end of the file ({rd.size})"
            )
        key = (cputype, subtype & ~CPU_SUBTYPE_MASK & 0xFFFFFFFF)
        if key in seen:
            raise Corrupt(at, f"fat_arch[{i}] repeats architecture {macho_arch(cputype, subtype)}")
        seen.add(key)
        inner, _dyl = _thin(rd, offset, commands=False)
        if inner.machine != cputype:
            raise Corrupt(
                offset, f"slice {i} says {inner.arch} but the fat header says {macho_arch(cputype, subtype)}"
            )
        slices.append(
            Slice(
                arch=macho_arch(cputype, subtype),
                bits=inner.bits,
                endian=inner.endian,
                machine=cputype,
                subtype=key[1],
                offset=offset,
                size=size,
                filetype=inner.filetype,
            )
        )
    return BinaryInfo(format="macho-fat", os="darwin", slices=tuple(slices), interpreter=None)
