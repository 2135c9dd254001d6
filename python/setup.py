"""Builds libdfx (the Rust crate) in release with setuptools-rust and puts
it inside the `dfx` package, so `pip install ./python` is the whole set-up.

The package stays pure ctypes: setuptools-rust builds the crate's cdylib
with no Python binding (Binding.NoBinding) and this file names it as the
loader looks for it (dfx/libdfx.so, dfx/libdfx.dylib, dfx/dfx.dll), not as
a CPython extension module. The wheel is tagged py3-none-PLATFORM: the
library does not depend on the Python version or ABI, only on the platform.

Where the crate is:
- in a checkout, the repository root (../Cargo.toml, the workspace root;
  cargo builds only the dfx package and its target/ is the checkout's);
- in an sdist, rust/: the crate as `cargo package` normalises it (no
  workspace, no dev-dependencies, its own Cargo.lock), cut down to what the
  library build reads (Cargo.toml, Cargo.lock, build.rs, cbindgen.toml,
  src/, include/), with an empty [workspace] table so that it is its own
  workspace wherever it is unpacked. The sdist command writes it.
"""
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.sdist import sdist
from setuptools_rust import Binding, RustExtension
from setuptools_rust.build import build_rust

HERE = Path(__file__).resolve().parent
SDIST_CRATE = "rust"
# What the library build reads from the crate (the rest of the repository,
# tests, docs, sandbox and benchmarks, stays out of the sdist).
CRATE_FILES = ("Cargo.toml", "Cargo.lock", "build.rs", "cbindgen.toml")
CRATE_DIRS = ("src/", "include/")


def crate_manifest():
    for manifest in (HERE / SDIST_CRATE / "Cargo.toml", HERE.parent / "Cargo.toml"):
        if manifest.is_file():
            return manifest
    sys.exit(f"dfx: no Rust crate to build: neither {HERE / SDIST_CRATE} (an sdist) "
             f"nor {HERE.parent} (a checkout) has a Cargo.toml")


def library_file_name(plat_name):
    """The file name dfx._native looks for next to the package."""
    if plat_name.startswith("win"):
        return "dfx.dll"
    if plat_name.startswith("macosx"):
        return "libdfx.dylib"
    return "libdfx.so"


class BuildRust(build_rust):
    def get_dylib_ext_path(self, ext, target_fname):
        extension_path = super().get_dylib_ext_path(ext, target_fname)
        return os.path.join(os.path.dirname(extension_path), library_file_name(self.plat_name))


class BdistWheel(bdist_wheel):
    def get_tag(self):
        _, _, plat = super().get_tag()
        return "py3", "none", plat


def stage_crate(dest):
    """Write the crate's sources for an sdist into `dest`."""
    manifest = crate_manifest()
    if manifest.parent == HERE / SDIST_CRATE:  # an sdist of an sdist
        shutil.copytree(manifest.parent, dest, ignore=shutil.ignore_patterns("target"))
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["cargo", "package", "--manifest-path", str(manifest), "-p", "dfx", "--no-verify",
                        "--allow-dirty", "--quiet", "--target-dir", tmp], check=True)
        crates = list((Path(tmp) / "package").glob("dfx-*.crate"))
        if len(crates) != 1:
            sys.exit(f"dfx: cargo package made {crates}, expected one dfx-*.crate")
        with tarfile.open(crates[0]) as crate:
            for member in crate.getmembers():
                top, _, rel = member.name.partition("/")
                if member.isfile() and (rel in CRATE_FILES or rel.startswith(CRATE_DIRS)):
                    target = dest / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(crate.extractfile(member).read())
                    # The checkout's times (cargo package stamps a fixed
                    # date): cargo then rebuilds what was edited since.
                    original = manifest.parent / rel
                    if original.is_file():
                        os.utime(target, (original.stat().st_mtime,) * 2)
    # Directories too: a build script's rerun-if-changed may name one.
    for directory in sorted((d for d in dest.rglob("*") if d.is_dir()), reverse=True):
        original = manifest.parent / directory.relative_to(dest)
        if original.is_dir():
            os.utime(directory, (original.stat().st_mtime,) * 2)
    for name in CRATE_FILES:
        if not (dest / name).is_file():
            sys.exit(f"dfx: the packaged crate lacks {name}")
    # Its own workspace: unpacked under another workspace (an sdist unpacked
    # inside a checkout), cargo would otherwise take it for a stray member.
    staged = dest / "Cargo.toml"
    stat = staged.stat()
    staged.write_text(staged.read_text().rstrip("\n") +
                      "\n\n# Added by python/setup.py: the crate is built on its own.\n[workspace]\n")
    os.utime(staged, (stat.st_mtime,) * 2)


class Sdist(sdist):
    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        stage_crate(Path(base_dir) / SDIST_CRATE)


setup(
    rust_extensions=[
        RustExtension(
            "dfx.libdfx",
            path=str(crate_manifest()),
            binding=Binding.NoBinding,
            # The wheel carries exactly the versions in Cargo.lock.
            args=["--locked"],
            # No symbol table beyond the exported functions (.dynsym): the
            # linker strips, so cross builds are stripped too.
            rustc_flags=["-C", "strip=symbols"],
        )
    ],
    cmdclass={"build_rust": BuildRust, "bdist_wheel": BdistWheel, "sdist": Sdist},
    zip_safe=False,
)
