#!/usr/bin/env bash
# Install dfx into a prefix: headers, the shared and static libraries, a
# pkg-config file and a CMake package configuration.
#
#   scripts/install.sh [--prefix DIR] [--libdir DIR] [--profile release|debug]
#                      [--target TRIPLE] [--destdir DIR] [--no-build] [--strip]
#
#   --prefix   where to install (default /usr/local)
#   --libdir   where the libraries go (default PREFIX/lib)
#   --profile  which cargo build (default release: lto, one codegen unit;
#              several minutes on 2 cores)
#   --target   a cargo target triple, for a cross build (default: this machine)
#   --destdir  staging root for packagers: files go to DESTDIR/PREFIX, the
#              installed files still name PREFIX
#   --no-build install what target/ holds; do not run cargo
#   --strip    strip the installed libraries (STRIP=... to name the tool)
#
# CARGO_TARGET_DIR is honoured: CARGO_TARGET_DIR=target/cross scripts/install.sh
# --target aarch64-unknown-linux-gnu --no-build installs a scripts/cross-build.sh build.
#
# Installs (Linux):
#   PREFIX/include/dfx.h, dfx.hpp
#   LIBDIR/libdfx.so.X.Y.Z, libdfx.so.X -> libdfx.so.X.Y.Z, libdfx.so -> libdfx.so.X
#   LIBDIR/libdfx.a
#   LIBDIR/pkgconfig/dfx.pc
#   LIBDIR/cmake/dfx/dfxConfig.cmake, dfxConfigVersion.cmake
# Windows targets (x86_64-pc-windows-gnu) get PREFIX/bin/dfx.dll,
# LIBDIR/libdfx.dll.a (import library) and LIBDIR/libdfx.a instead.
# `make install PREFIX=...` runs this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

prefix=/usr/local
libdir=
profile=release
target=
destdir=${DESTDIR:-}
build=1
strip=0
while [ $# -gt 0 ]; do
    case $1 in
        --prefix) prefix=$2; shift 2 ;;
        --libdir) libdir=$2; shift 2 ;;
        --profile) profile=$2; shift 2 ;;
        --target) target=$2; shift 2 ;;
        --destdir) destdir=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --strip) strip=1; shift ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case $prefix in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
libdir=${libdir:-$prefix/lib}
case $libdir in /*) ;; *) libdir=$(pwd)/$libdir ;; esac
case $profile in
    release) cargo_profile=(--release) ;;
    debug) cargo_profile=() ;;
    *) echo "install.sh: --profile is release or debug" >&2; exit 2 ;;
esac

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
major=${version%%.*}
minor=${version#*.}; minor=${minor%%.*}
# What libdfx.a needs from the system (cargo rustc -- --print native-static-libs).
static_libs=${STATIC_LIBS:--lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}

triple=${target:-$(rustc -vV | sed -n 's/^host: //p')}
out=${CARGO_TARGET_DIR:-$root/target}/${target:+$target/}$profile
if [ "$build" = 1 ]; then
    (cd "$root" && cargo build -p dfx "${cargo_profile[@]}" ${target:+--target "$target"})
fi

case $triple in
    *-windows-*)
        shared_src=dfx.dll shared_dest=bin/dfx.dll implib=libdfx.dll.a soname=
        static_libs="-lbcrypt -ladvapi32 -lkernel32 -lntdll -luserenv -lws2_32 -ldbghelp"
        ;;
    *-apple-*)
        shared_src=libdfx.dylib shared_dest=lib/libdfx.dylib implib= soname= ;;
    *)
        shared_src=libdfx.so shared_dest=lib/libdfx.so.$version implib= soname=libdfx.so.$major ;;
esac
[[ $triple == i686-* || $triple == armv7-* || $triple == thumbv7* ]] && pointer=4 || pointer=8
for f in "$out/$shared_src" "$out/libdfx.a"; do
    [ -f "$f" ] || { echo "install.sh: $f is missing (build it, or drop --no-build)" >&2; exit 1; }
done

# Paths as installed (under PREFIX) and where they are written (under DESTDIR).
rel_libdir=$(realpath -m --relative-to="$prefix" "$libdir")
shared_dest=${shared_dest/#lib\//$rel_libdir/}
stage() { echo "$destdir$1"; }
install -d "$(stage "$prefix/include")" "$(stage "$libdir/pkgconfig")" "$(stage "$libdir/cmake/dfx")" \
    "$(stage "$(dirname "$prefix/$shared_dest")")"

install -m 644 "$root/include/dfx.h" "$root/include/dfx.hpp" "$(stage "$prefix/include")/"
install -m 755 "$out/$shared_src" "$(stage "$prefix/$shared_dest")"
install -m 644 "$out/libdfx.a" "$(stage "$libdir")/libdfx.a"
if [ "$strip" = 1 ]; then
    "${STRIP:-strip}" --strip-unneeded "$(stage "$prefix/$shared_dest")"
    "${STRIP:-strip}" --strip-debug "$(stage "$libdir")/libdfx.a"
fi
if [ -n "$soname" ]; then
    ln -sfn "libdfx.so.$version" "$(stage "$libdir")/$soname"
    ln -sfn "$soname" "$(stage "$libdir")/libdfx.so"
fi
if [ -n "$implib" ]; then
    install -m 644 "$out/$implib" "$(stage "$libdir")/$implib"
    implib=$rel_libdir/$implib
fi

subst() {
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" -e "s|@VERSION@|$version|g" \
        -e "s|@MAJOR@|$major|g" -e "s|@MINOR@|$minor|g" -e "s|@STATIC_LIBS@|$static_libs|g" \
        -e "s|@STATIC_LIBS_CMAKE@|$(echo $static_libs | sed 's/-l//g; s/ /;/g')|g" \
        -e "s|@PREFIX_FROM_CONFIG@|$(realpath -m --relative-to="$libdir/cmake/dfx" "$prefix")|g" \
        -e "s|@SHARED_LIB@|$shared_dest|g" -e "s|@IMPORT_LIB@|$implib|g" -e "s|@SONAME@|$soname|g" \
        -e "s|@STATIC_LIB@|$rel_libdir/libdfx.a|g" -e "s|@SIZEOF_VOID_P@|$pointer|g" "$1"
}
# pkg-config: libdir relative to ${exec_prefix} when it is under the prefix.
subst "$root/dfx.pc.in" | sed "s|^libdir=$prefix/|libdir=\${exec_prefix}/|" \
    > "$(stage "$libdir/pkgconfig")/dfx.pc"
subst "$root/cmake/dfxConfig.cmake.in" > "$(stage "$libdir/cmake/dfx")/dfxConfig.cmake"
subst "$root/cmake/dfxConfigVersion.cmake.in" > "$(stage "$libdir/cmake/dfx")/dfxConfigVersion.cmake"

echo "installed dfx $version ($triple, $profile) into $destdir$prefix"
