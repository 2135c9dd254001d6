#!/usr/bin/env bash
# Cross builds of libdfx for kiosks and phones, from an x86-64 Debian/Ubuntu
# machine. See docs/cross-builds.md for what each needs and what cannot be
# built here.
#
#   scripts/cross-build.sh [--profile release|debug] [--check] [--no-default-features] [--python-wheel] [TARGET...]
#
# --no-default-features builds the size-tuned library (no `proxy` feature:
# environment proxies ignored, reqwest not linked).
#
# --python-wheel also builds the Python package's wheel for the Linux
# targets (aarch64-unknown-linux-gnu), with libdfx (release) inside, into
# target/cross/dist/TARGET/, tags it with auditwheel's manylinux tag and
# checks its tag and contents (scripts/check-wheel.py). It is built, not
# run: that needs a Python for the target.
#
# TARGETs (default: all of them):
#   aarch64-unknown-linux-gnu   ARM64 Linux (Raspberry Pi 4/5-class kiosks): libdfx.so + libdfx.a
#   x86_64-pc-windows-gnu       Windows kiosks: dfx.dll + libdfx.dll.a (import library) + libdfx.a
#   aarch64-linux-android       Android phones (arm64-v8a): libdfx.a; libdfx.so with an NDK
#   armv7-linux-androideabi     older Android phones (armeabi-v7a): libdfx.a; libdfx.so with an NDK
#   aarch64-apple-ios           iPhones: libdfx.a (the XCFramework step needs macOS)
#
# Each target's files are staged, stripped, in target/cross/dist/TARGET/ and
# their sizes listed in target/cross/dist/sizes.txt. Builds run under
# `nice -n 19` with their own CARGO_TARGET_DIR (target/cross), so they
# neither slow down nor invalidate the ordinary build. They are not part of
# `make test`. --check also runs the C tests of aarch64 under qemu-user and
# links the C quickstart for Windows (with the DLL and statically).
#
# Needs: `rustup target add TARGET` for each, and (Debian packages)
# gcc-aarch64-linux-gnu libc6-dev-arm64-cross, gcc-mingw-w64-x86-64,
# clang lld llvm, and for --check qemu-user. ANDROID_NDK_HOME, when set,
# points at an Android NDK (r25 or later) and enables the Android .so files.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

profile=release
check=0
python_wheel=0
features=()
targets=()
while [ $# -gt 0 ]; do
    case $1 in
        --profile) profile=$2; shift 2 ;;
        --check) check=1; shift ;;
        --no-default-features) features=(--no-default-features); shift ;;
        --python-wheel) python_wheel=1; shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "cross-build.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(aarch64-unknown-linux-gnu x86_64-pc-windows-gnu aarch64-linux-android
                                     armv7-linux-androideabi aarch64-apple-ios)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/cross}
dist=$CARGO_TARGET_DIR/dist
mkdir -p "$dist"
[ "$profile" = release ] && cargo_profile=(--release) || cargo_profile=()
android_api=21

need() {  # need COMMAND HOW-TO-GET-IT
    command -v "$1" >/dev/null && return 0
    echo "  missing $1: $2"
    return 1
}

# Set the C compiler (for ring's C and assembly), archiver and linker of a target.
setup() {
    local t=$1 u=${1//-/_}
    local U=${u^^}
    case $t in
        aarch64-unknown-linux-gnu)
            need aarch64-linux-gnu-gcc "apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross" || return 1
            export "CC_$u=aarch64-linux-gnu-gcc" "AR_$u=aarch64-linux-gnu-ar"
            export "CARGO_TARGET_${U}_LINKER=aarch64-linux-gnu-gcc" ;;
        x86_64-pc-windows-gnu)
            need x86_64-w64-mingw32-gcc "apt-get install gcc-mingw-w64-x86-64" || return 1
            export "CC_$u=x86_64-w64-mingw32-gcc" "AR_$u=x86_64-w64-mingw32-ar"
            export "CARGO_TARGET_${U}_LINKER=x86_64-w64-mingw32-gcc" ;;
        aarch64-linux-android|armv7-linux-androideabi)
            local clang_target=${t/armv7-linux-androideabi/armv7a-linux-androideabi}$android_api
            if [ -n "${ANDROID_NDK_HOME:-}" ]; then
                local bin=$ANDROID_NDK_HOME/toolchains/llvm/prebuilt/linux-x86_64/bin
                export "CC_$u=$bin/$clang_target-clang" "AR_$u=$bin/llvm-ar"
                export "CARGO_TARGET_${U}_LINKER=$bin/$clang_target-clang"
            else
                # No NDK: clang and LLVM's archiver compile ring's C and
                # assembly without a sysroot, as ring does for musl and wasm
                # (-nostdlibinc, RING_CORE_NOSTDLIBINC); the static library
                # needs nothing else.
                need clang "apt-get install clang" && need llvm-ar "apt-get install llvm" || return 1
                export "CC_$u=clang" "AR_$u=llvm-ar" \
                    "CFLAGS_$u=--target=$clang_target -nostdlibinc -DRING_CORE_NOSTDLIBINC=1"
            fi ;;
        aarch64-apple-ios)
            need clang "apt-get install clang" && need llvm-ar "apt-get install llvm" || return 1
            # No Xcode: clang compiles ring's C and assembly for iOS without a
            # sysroot, as above. cc-rs must not ask xcrun for the SDK, so
            # SDKROOT names an empty one; the one SDK header ring reads,
            # TargetConditionals.h, is stood in for by its iOS values.
            local sdk=$CARGO_TARGET_DIR/no-sdk
            mkdir -p "$sdk/include"
            printf '%s\n' '/* Stand-in for the iOS SDK header (scripts/cross-build.sh). */' \
                '#define TARGET_OS_MAC 1' '#define TARGET_OS_OSX 0' '#define TARGET_OS_IPHONE 1' \
                '#define TARGET_OS_IOS 1' '#define TARGET_OS_SIMULATOR 0' > "$sdk/include/TargetConditionals.h"
            export SDKROOT=$sdk IPHONEOS_DEPLOYMENT_TARGET=13.0
            export "CC_$u=clang" "AR_$u=llvm-ar" \
                "CFLAGS_$u=--target=arm64-apple-ios13.0 -nostdlibinc -DRING_CORE_NOSTDLIBINC=1 -I$sdk/include" ;;
        *) echo "  unknown target $t"; return 1 ;;
    esac
}

# Which crate types can be linked for a target here.
crate_types() {
    case $1 in
        aarch64-linux-android|armv7-linux-androideabi)
            [ -n "${ANDROID_NDK_HOME:-}" ] && echo "staticlib,cdylib" || echo staticlib ;;
        aarch64-apple-ios) echo staticlib ;;
        *) echo "staticlib,cdylib" ;;
    esac
}

strip_tool() {
    case $1 in
        aarch64-unknown-linux-gnu) echo aarch64-linux-gnu-strip ;;
        x86_64-pc-windows-gnu) echo x86_64-w64-mingw32-strip ;;
        *) command -v llvm-strip >/dev/null && echo llvm-strip || echo "" ;;
    esac
}

build() {
    local t=$1
    echo "=== $t"
    if ! rustup target list --installed | grep -qx "$t"; then
        echo "  target not installed: rustup target add $t"
        return 1
    fi
    (
        setup "$t" || exit 1
        # `cargo rustc` builds only the requested crate types; --print shows
        # what the static library needs from the system.
        if ! nice -n 19 cargo rustc -p dfx --lib "${cargo_profile[@]}" "${features[@]}" --target "$t" \
                --crate-type "$(crate_types "$t")" -- --print native-static-libs >"$dist/$t.log" 2>&1; then
            grep -E "^error" -A5 "$dist/$t.log" | head -n 40
            echo "  build failed: see $dist/$t.log"
            exit 1
        fi
    ) || return 1
    local out=$CARGO_TARGET_DIR/$t/$profile dest=$dist/$t strip
    strip=$(strip_tool "$t")
    rm -rf "$dest" && mkdir -p "$dest"
    for f in libdfx.a libdfx.so dfx.dll libdfx.dll.a; do
        [ -f "$out/$f" ] || continue
        cp "$out/$f" "$dest/$f"
        if [ -n "$strip" ]; then
            case $f in
                # (mingw's strip trips over rustc's empty .dwo members; LLVM's does not)
                *.a) "$strip" --strip-debug "$dest/$f" 2>/dev/null || llvm-strip --strip-debug "$dest/$f" ;;
                *.dll.a) ;;
                *) "$strip" --strip-unneeded "$dest/$f" ;;
            esac
        fi
    done
    sed -n 's/.*native-static-libs: //p' "$dist/$t.log" | head -n 1 > "$dest/native-static-libs.txt"
    cp include/dfx.h include/dfx.hpp "$dest/"
    for f in "$dest"/lib* "$dest"/*.dll; do
        [ -f "$f" ] || continue
        stat -c '%s' "$f" | awk -v t="$t" -v f="$(basename "$f")" \
            '{ printf "%-28s %-14s %9d bytes  %5.1f MiB\n", t, f, $1, $1 / 1048576 }'
    done | tee -a "$dist/sizes.txt"
}

# The Python wheel for a Linux target: setuptools-rust builds the crate from
# the checkout for CARGO_BUILD_TARGET, with the same compilers, into the
# cross target dir; the wheel is tagged linux_ARCH, then retagged with the
# manylinux tag auditwheel finds the library qualifies for.
python_wheel() {
    local t=$1 arch pybuild dest=$dist/$t
    case $t in
        aarch64-unknown-linux-gnu) arch=aarch64 ;;
        *) echo "  no Python wheel for $t (Linux targets only)"; return 1 ;;
    esac
    echo "=== $t: Python wheel"
    pybuild=$(scripts/python-build-venv.sh) || return 1
    rm -rf "$dest/python-raw" "$dest"/dfx-*.whl python/build
    (
        setup "$t" || exit 1
        [ "$profile" = release ] || echo "  (the wheel's library is a release build whatever --profile says)"
        CARGO_BUILD_TARGET=$t nice -n 19 "$pybuild/bin/python" -m build --wheel --no-isolation \
            -C--build-option=--plat-name=linux_$arch --outdir "$dest/python-raw" python >"$dist/$t-wheel.log" 2>&1
    ) || { tail -n 30 "$dist/$t-wheel.log"; echo "  wheel build failed: see $dist/$t-wheel.log"; return 1; }
    rm -rf python/build python/*.egg-info
    "$pybuild/bin/auditwheel" show "$dest"/python-raw/*.whl 2>/dev/null | tr -s ' \n' ' ' | cut -c 1-160 | sed 's/^/  /'
    "$pybuild/bin/auditwheel" repair --patcher none --wheel-dir "$dest" "$dest"/python-raw/*.whl \
        > "$dist/$t-repair.log" 2>&1 || { cat "$dist/$t-repair.log"; return 1; }
    "$pybuild/bin/python" scripts/check-wheel.py "$dest"/dfx-*-py3-none-*.whl "$arch" | sed 's/^/  /'
    [ "${PIPESTATUS[0]}" -eq 0 ]
}

check_aarch64() {
    local t=aarch64-unknown-linux-gnu sysroot=/usr/aarch64-linux-gnu
    need qemu-aarch64 "apt-get install qemu-user" || return 1
    echo "=== $t: C tests under qemu-aarch64"
    local dir=$CARGO_TARGET_DIR/check-$t dest=$dist/$t
    mkdir -p "$dir"
    ln -sf libdfx.so "$dest/libdfx.so.0"
    aarch64-linux-gnu-gcc -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -Wall -Wextra -Werror -pedantic -Iinclude -Itests/c \
        tests/c/test_failures.c -o "$dir/test_failures" -L"$dest" -ldfx -lpthread || return 1
    aarch64-linux-gnu-gcc -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -Wall -Wextra -Werror -pedantic -Iinclude -Itests/c \
        tests/c/test_failures.c -o "$dir/test_failures-static" "$dest/libdfx.a" \
        $(cat "$dest/native-static-libs.txt") || return 1
    # The sandbox is a host program; the aarch64 tests reach it over loopback.
    cargo build -q -p dfx-sandbox || return 1
    local ok=0
    scripts/with-sandbox.sh env QEMU_LD_PREFIX=$sysroot LD_LIBRARY_PATH="$dest" \
        qemu-aarch64 "$dir/test_failures" || ok=1
    scripts/with-sandbox.sh env QEMU_LD_PREFIX=$sysroot qemu-aarch64 "$dir/test_failures-static" || ok=1
    return $ok
}

# Windows: link the C quickstart against the DLL's import library (DFX_API is
# __declspec(dllimport)) and against libdfx.a (DFX_STATIC). No Windows here
# to run them on.
check_windows() {
    local t=x86_64-pc-windows-gnu dir=$CARGO_TARGET_DIR/check-x86_64-pc-windows-gnu dest=$dist/x86_64-pc-windows-gnu
    echo "=== $t: link the C quickstart (DLL and static)"
    mkdir -p "$dir"
    x86_64-w64-mingw32-gcc -std=c11 -O1 -Wall -Wextra -Werror -pedantic -Iinclude examples/quickstart.c \
        -o "$dir/quickstart.exe" -L"$dest" -ldfx || return 1
    x86_64-w64-mingw32-objdump -p "$dir/quickstart.exe" | grep -q "DLL Name: dfx.dll" || return 1
    x86_64-w64-mingw32-gcc -std=c11 -O1 -Wall -Wextra -Werror -pedantic -DDFX_STATIC -Iinclude examples/quickstart.c \
        -o "$dir/quickstart-static.exe" "$dest/libdfx.a" $(cat "$dest/native-static-libs.txt") || return 1
    echo "  quickstart.exe (imports dfx.dll) and quickstart-static.exe linked"
}

: > "$dist/sizes.txt"
failed=()
for t in "${targets[@]}"; do
    build "$t" || failed+=("$t")
done
if [ "$python_wheel" = 1 ]; then
    for t in "${targets[@]}"; do
        case $t in *-linux-gnu) python_wheel "$t" || failed+=("$t Python wheel") ;; esac
    done
fi
if [ "$check" = 1 ] && [[ " ${targets[*]} " == *" aarch64-unknown-linux-gnu "* ]]; then
    check_aarch64 || failed+=("qemu check")
fi
if [ "$check" = 1 ] && [[ " ${targets[*]} " == *" x86_64-pc-windows-gnu "* ]]; then
    check_windows || failed+=("windows link check")
fi
echo
echo "stripped sizes ($profile), also in $dist/sizes.txt:"
cat "$dist/sizes.txt"
[ ${#failed[@]} -eq 0 ] || { echo "not built: ${failed[*]}"; exit 1; }
