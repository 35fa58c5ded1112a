"""ELF headers: class, byte order, machine, type, and PT_INTERP (dynamic loader: glibc vs musl)."""

from __future__ import annotations

import struct

from ccwb_doctor.analyzers.binary.types import BinaryInfo, Corrupt, Reader, Slice

MAGIC = b"\x7fELF"
PT_DYNAMIC = 2
PT_INTERP = 3
MAX_PHNUM = 512
MAX_INTERP = 4096

_MACHINES: dict[int, tuple[str, str | None]] = {
    # e_machine -> (name for 32-bit class, name for 64-bit class or None = same)
    0x03: ("i386", None),
    0x28: ("arm", None),
    0x3E: ("x86_64", None),
    0xB7: ("arm64", None),
    0xF3: ("riscv32", "riscv64"),
    0x14: ("ppc", None),
    0x15: ("ppc64", None),  # ppc64le when little-endian
    0x16: ("s390", "s390x"),
    0x08: ("mips", "mips64"),
    0x102: ("loongarch32", "loongarch64"),
    0x02: ("sparc", None),
    0x2B: ("sparc64", None),
}
_TYPES = {1: "object", 2: "exec", 3: "dyn", 4: "core"}
_OSABI = {0: None, 3: "linux", 9: "freebsd", 12: "openbsd", 2: "netbsd", 6: "solaris"}


def elf_arch(machine: int, bits: int, little: bool) -> str:
    names = _MACHINES.get(machine)
    if names is None:
        return f"elf-machine-0x{machine:x}"
    name = names[1] if bits == 64 and names[1] else names[0]
    if name == "ppc64" and little:
        return "ppc64le"
    if name in ("mips", "mips64") and little:
        return name + "el"
    return name


def libc_of(interp: str | None) -> str | None:
    if not interp:
        return None
    base = interp.rsplit("/", 1)[-1]
    if base.startswith("ld-musl"):
        return "musl"
    if interp.startswith("/system/bin/linker"):
        return "bionic"
    if base.startswith(("ld-linux", "ld64.so", "ld.so", "ld-2.")):
        return "glibc"
    return None


def parse_elf(rd: Reader) -> BinaryInfo:
    ident = rd.at(0, 16, "ELF identification")
    ei_class, ei_data, ei_version, ei_osabi = ident[4], ident[5], ident[6], ident[7]
    if ei_class not in (1, 2):
        raise Corrupt(4, f"EI_CLASS {ei_class} is neither 1 (32-bit) nor 2 (64-bit)")
    if ei_data not in (1, 2):
        raise Corrupt(5, f"EI_DATA {ei_data} is neither 1 (little-endian) nor 2 (big-endian)")
    if ei_version != 1:
        raise Corrupt(6, f"EI_VERSION {ei_version} is not 1")
    bits = 64 if ei_class == 2 else 32
    end = "<" if ei_data == 1 else ">"
    if bits == 64:
        fmt, phent_expected = end + "HHIQQQIHHHHHH", 56
    else:
        fmt, phent_expected = end + "HHIIIIIHHHHHH", 32
    hdr = rd.at(16, struct.calcsize(fmt), "ELF header")
    (e_type, e_machine, _ver, _entry, phoff, _shoff, _flags, _ehsize, phentsize, phnum, *_rest) = (
        struct.unpack(fmt, hdr)
    )
    ftype = _TYPES.get(e_type)
    if ftype is None:
        raise Corrupt(16, f"e_type {e_type} is not a known ELF file type")
    interp: str | None = None
    dynamic = False
    if phnum:
        if phnum > MAX_PHNUM:
            raise Corrupt(16 + (40 if bits == 64 else 28), f"e_phnum {phnum} exceeds {MAX_PHNUM}")
        if phentsize != phent_expected:
            raise Corrupt(16 + (38 if bits == 64 else 26), f"e_phentsize {phentsize} is not {phent_expected}")
        table = rd.at(phoff, phnum * phentsize, "ELF program header table")
        for i in range(phnum):
            ent = table[i * phentsize : (i + 1) * phentsize]
            if bits == 64:
                p_type, _pf, p_offset, _va, _pa, p_filesz = struct.unpack_from(end + "IIQQQQ", ent)
            else:
                p_type, p_offset, _va, _pa, p_filesz = struct.unpack_from(end + "IIIII", ent)
            if p_type == PT_DYNAMIC:
                dynamic = True
            elif p_type == PT_INTERP:
                if p_filesz == 0 or p_filesz > MAX_INTERP:
                    raise Corrupt(phoff + i * phentsize, f"PT_INTERP size {p_filesz} is implausible")
                interp = rd.cstring(p_offset, p_filesz, "PT_INTERP path")
    elif e_type in (2, 3):
        raise Corrupt(16 + (40 if bits == 64 else 28), "an executable with no program headers")
    little = ei_data == 1
    arch = elf_arch(e_machine, bits, little)
    if interp:
        linkage = "dynamic"
    elif e_type == 3 and dynamic:
        linkage = "static-pie"
    elif e_type == 2:
        linkage = "static"
    else:
        linkage = None
    os_name = _OSABI.get(ei_osabi, f"osabi-{ei_osabi}")
    libc = libc_of(interp)
    if libc == "bionic":
        os_name = "android"
    elif interp and interp.startswith("/libexec/ld-elf"):
        os_name = "freebsd"
    elif os_name is None:
        os_name = "linux"
    filetype = "pie" if (e_type == 3 and interp) else ftype
    notes: list[str] = []
    if e_type == 3 and not interp and not dynamic:
        notes.append("ELF shared object without an interpreter: a library, not a program")
    sl = Slice(
        arch=arch, bits=bits, endian="little" if little else "big", machine=e_machine, filetype=filetype
    )
    return BinaryInfo(
        format="elf",
        os=os_name,
        slices=(sl,),
        interpreter=interp,
        libc=libc,
        linkage=linkage,
        notes=tuple(notes),
    )
