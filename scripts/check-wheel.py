#!/usr/bin/env python3
"""Check a dfx wheel's tag and contents (scripts/test-packaging.sh, and
scripts/cross-build.sh for wheels it cannot run).

    check-wheel.py WHEEL ARCH       ARCH: x86_64 or aarch64

- the file name's tag is py3-none-PLATFORM, PLATFORM a manylinux or linux
  tag for ARCH, and the WHEEL metadata says the same, not purelib;
- it holds exactly the package's modules (python/dfx/*.py), dfx/libdfx.so
  and its .dist-info: no Rust sources, no grafted libraries;
- libdfx.so is a shared library for ARCH whose dynamic symbols are exactly
  the functions include/dfx.h declares.

Needs pyelftools (auditwheel's dependency) to read the ELF file.
"""
import io
import re
import sys
import zipfile
from pathlib import Path

from elftools.elf.elffile import ELFFile

ROOT = Path(__file__).resolve().parents[1]
MACHINES = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}


def fail(message):
    sys.exit(f"check-wheel: {message}")


def header_functions():
    code = "\n".join(line for line in (ROOT / "include" / "dfx.h").read_text().splitlines()
                     if not re.match(r"\s*(/\*|\*)", line))
    return set(re.findall(r"\b(dfx_[a-z0-9_]+)\(", code))


def main(wheel, arch):
    wheel = Path(wheel)
    name, version, python, abi, plat = wheel.name[:-len(".whl")].split("-")
    tag = f"{python}-{abi}-{plat}"
    if (python, abi) != ("py3", "none"):
        fail(f"{wheel.name}: tagged {python}-{abi}; the library does not depend on Python's version or ABI")
    if not re.fullmatch(rf"(manylinux_\d+_\d+|manylinux\d+|linux)_{arch}", plat):
        fail(f"{wheel.name}: platform tag {plat} is not a Linux {arch} one")
    with zipfile.ZipFile(wheel) as z:
        names = {n for n in z.namelist() if not n.endswith("/")}  # files, not directory entries
        info = f"{name}-{version}.dist-info/"
        meta = z.read(info + "WHEEL").decode()
        library = z.read("dfx/libdfx.so") if "dfx/libdfx.so" in names else fail("no dfx/libdfx.so")
    if f"Tag: {tag}" not in meta.splitlines() or "Root-Is-Purelib: false" not in meta.splitlines():
        fail(f"WHEEL metadata does not say Tag: {tag} and Root-Is-Purelib: false:\n{meta}")
    # The modules, the typing stub and its marker, and the library.
    expected = {f"dfx/{p.name}" for p in (ROOT / "python" / "dfx").glob("*.py")} | {
        "dfx/libdfx.so", "dfx/_operations.pyi", "dfx/py.typed"}
    extra = {n for n in names - expected if not n.startswith(info)}
    if extra or expected - names:
        fail(f"contents differ: unexpected {sorted(extra)}, missing {sorted(expected - names)}")

    elf = ELFFile(io.BytesIO(library))
    if elf["e_type"] != "ET_DYN" or elf["e_machine"] != MACHINES[arch]:
        fail(f"dfx/libdfx.so is {elf['e_type']} for {elf['e_machine']}, expected ET_DYN for {MACHINES[arch]}")
    exported = {s.name for s in elf.get_section_by_name(".dynsym").iter_symbols()
                if s["st_shndx"] != "SHN_UNDEF" and s["st_info"]["bind"] == "STB_GLOBAL"
                and s["st_info"]["type"] == "STT_FUNC"}
    declared = header_functions()
    if exported != declared:
        fail(f"libdfx.so exports {sorted(exported - declared)} beyond the header and lacks {sorted(declared - exported)}")
    print(f"{wheel.name}: tag {tag}; dfx/libdfx.so ({len(library)} bytes, {elf['e_machine']}, "
          f"{len(exported)} functions = include/dfx.h) and {len(expected) - 1} modules, nothing else")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in MACHINES:
        sys.exit(__doc__)
    main(*sys.argv[1:])
