#!/usr/bin/env bash
# The packaging tests scripts/test.sh runs as suites, one per subcommand.
# Each expects `cargo build -p dfx -p dfx-sandbox` done (the debug build:
# these tests install and link it to stay fast; `make install` defaults to
# the release build).
#
#   scripts/test-packaging.sh python-install  pip-install python/ into a fresh venv, build/venv
#   scripts/test-packaging.sh python-tests    the package's tests with that venv, against a sandbox
#   scripts/test-packaging.sh cxx-example     build examples/cpp with -Wall -Wextra -Werror -pedantic, run it
#   scripts/test-packaging.sh cxx-tests       tests/cpp (dfx.hpp) under valgrind memcheck
#   scripts/test-packaging.sh abi             exported symbols, SONAME, versions, no OpenSSL
#   scripts/test-packaging.sh pkg-config      install into build/pkg/prefix; build examples/quickstart.c
#                                             out of tree with pkg-config and run it
#   scripts/test-packaging.sh cmake           build examples/cpp out of tree with find_package(dfx),
#                                             dfx::dfx and dfx::dfx_static, and run both
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

lib=$root/target/debug
venv=$root/build/venv
pkg=$root/build/pkg
prefix=$pkg/prefix
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
sb=scripts/with-sandbox.sh
quickstart=scripts/run-quickstart.sh
memcheck=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect
          --show-leak-kinds=definite,indirect --error-exitcode=99)

fail() { echo "test-packaging: $*" >&2; exit 1; }

# A tool from the system, else from PyPI into build/tools (kept between runs).
tool() {
    local name=$1 package=$2
    if command -v "$name" >/dev/null; then command -v "$name"; return; fi
    if [ ! -x "$root/build/tools/bin/$name" ]; then
        echo "test-packaging: no $name on this machine; installing PyPI's $package into build/tools" >&2
        python3 -m venv "$root/build/tools" >&2
        "$root/build/tools/bin/pip" install --quiet --disable-pip-version-check "$package" >&2
    fi
    echo "$root/build/tools/bin/$name"
}

# Install the debug build into build/pkg/prefix, fresh.
install_prefix() {
    rm -rf "$pkg"
    scripts/install.sh --profile debug --prefix "$prefix" --no-build >/dev/null
}

# Run an installed program: never with the build tree on the library path,
# so it can only find the installed libdfx.
run_installed() {
    env -u LD_LIBRARY_PATH "$@"
}

case ${1:-} in
python-install)
    rm -rf "$venv"
    python3 -m venv "$venv"
    # A normal pip install from the repository: pip fetches the build backend
    # (setuptools) into an isolated build environment, from its cache or PyPI.
    "$venv/bin/pip" install --quiet --disable-pip-version-check ./python
    rm -rf python/build python/*.egg-info
    "$venv/bin/python" -c 'import dfx, sys; print("installed", dfx.__file__); sys.exit("/python/dfx/" in dfx.__file__)'
    ;;
python-tests)
    [ -x "$venv/bin/python" ] || fail "no venv: run '$0 python-install' first"
    # The package finds the library through DFX_LIBRARY; the tests check that
    # the copy in the venv is the one imported.
    DFX_LIBRARY=$lib/libdfx.so DFX_TEST_INSTALLED=1 $sb \
        "$venv/bin/python" -m unittest discover -v -s tests/python -t tests/python
    ;;
cxx-example)
    make --no-print-directory build/quickstart-cpp
    $sb $quickstart build/quickstart-cpp
    ;;
cxx-tests)
    make --no-print-directory build/test_dfx_hpp
    $sb "${memcheck[@]}" build/test_dfx_hpp
    ;;
abi)
    so=$lib/libdfx.so
    # Only dfx_* symbols are exported, and exactly the header's functions.
    nm -D --defined-only "$so" | awk '{print $NF}' | sort > "$root/build/exported.txt"
    grep -v '^dfx_' "$root/build/exported.txt" && fail "libdfx.so exports symbols other than dfx_* (above)"
    grep -vE '^\s*(/\*|\*)' include/dfx.h | grep -oE '\bdfx_[a-z0-9_]+\(' | tr -d '(' | sort -u > "$root/build/declared.txt"
    diff -u "$root/build/declared.txt" "$root/build/exported.txt" ||
        fail "exported symbols (+) and include/dfx.h's functions (-) differ"
    echo "exports: $(wc -l < "$root/build/exported.txt") functions, all dfx_*, all declared in include/dfx.h"
    # The SONAME carries the major version.
    soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
    [ "$soname" = "libdfx.so.$major" ] || fail "SONAME is '$soname', expected libdfx.so.$major"
    echo "SONAME: $soname"
    # The header's version macros are the library's dfx_version() and Cargo.toml's version.
    cat > "$root/build/version_check.c" <<'EOF'
#include <dfx.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    char macros[64];
    snprintf(macros, sizeof macros, "%d.%d.%d", DFX_VERSION_MAJOR, DFX_VERSION_MINOR, DFX_VERSION_PATCH);
    int ok = strcmp(dfx_version(), DFX_VERSION_STRING) == 0 && strcmp(macros, DFX_VERSION_STRING) == 0 &&
             DFX_VERSION_NUM == DFX_VERSION_MAJOR * 10000 + DFX_VERSION_MINOR * 100 + DFX_VERSION_PATCH;
    printf("%s (header %s, macros %s, num %d)\n", dfx_version(), DFX_VERSION_STRING, macros, DFX_VERSION_NUM);
    return ok ? 0 : 1;
}
EOF
    cc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude "$root/build/version_check.c" -o "$root/build/version_check" \
        -L"$lib" -ldfx
    out=$(LD_LIBRARY_PATH=$lib "$root/build/version_check") || fail "version mismatch: $out"
    [ "${out%% *}" = "$version" ] || fail "dfx_version() is ${out%% *}, Cargo.toml says $version"
    echo "version: $out"
    # No OpenSSL or system TLS library, on any target: not in the dependency
    # tree (every platform's dependencies), not linked.
    # The system trust store (DFX_TRUST_SYSTEM) is read by rustls-native-certs:
    # on Windows and macOS through the OS's certificate-store APIs (the
    # schannel and security-framework crates, for reading certificates only),
    # elsewhere from files (openssl-probe: well-known paths, no OpenSSL).
    # Outside it, no system TLS crate at all; inside it, never OpenSSL.
    tree=$(cargo tree -p dfx -e normal --target all --prefix none --prune rustls-native-certs)
    if grep -iE '^(openssl|openssl-sys|native-tls|security-framework|schannel|aws-lc-sys) ' <<<"$tree"; then
        fail "a TLS library of the system is in the dependency tree (above)"
    fi
    store=$(cargo tree -p rustls-native-certs -e normal --target all --prefix none)
    if grep -iE '^(openssl|openssl-sys|native-tls|aws-lc-sys) ' <<<"$store"; then
        fail "the trust-store reader pulls in a TLS library (above)"
    fi
    ldd "$so" | grep -iE 'libssl|libcrypto|gnutls|nss' && fail "libdfx.so links a system TLS library (above)"
    echo "TLS: rustls only (no OpenSSL or native-tls on any target; the OS store APIs only to read trusted roots)"
    ;;
pkg-config)
    install_prefix
    pkgconf=$(tool pkg-config pkgconf)
    export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
    [ "$($pkgconf --modversion dfx)" = "$version" ] || fail "pkg-config --modversion dfx is not $version"
    out=$pkg/pkg-config-build
    mkdir -p "$out"
    cp examples/quickstart.c "$out/"
    # Out of tree: only the installed prefix, through pkg-config (with its
    # libdir as the run path, so no LD_LIBRARY_PATH is needed).
    (cd "$out" && cc -std=c11 -Wall -Wextra -Werror -pedantic quickstart.c -o quickstart \
        $($pkgconf --cflags --libs dfx) -Wl,-rpath,"$($pkgconf --variable=libdir dfx)")
    run_installed ldd "$out/quickstart" | grep -F "libdfx.so.$major => $prefix/lib/libdfx.so.$major" ||
        fail "the pkg-config build does not load the installed libdfx.so.$major"
    run_installed $sb $quickstart "$out/quickstart"
    ;;
cmake)
    [ -f "$prefix/lib/cmake/dfx/dfxConfig.cmake" ] || install_prefix
    cmake=$(tool cmake cmake)
    for link in shared static; do
        out=$pkg/cmake-build-$link
        rm -rf "$out"
        [ $link = static ] && static=ON || static=OFF
        run_installed "$cmake" -S examples/cpp -B "$out" -DCMAKE_PREFIX_PATH="$prefix" -DDFX_LINK_STATIC=$static \
            -DCMAKE_BUILD_TYPE=Debug >/dev/null
        run_installed "$cmake" --build "$out" -- --no-print-directory
        if [ $link = shared ]; then
            run_installed ldd "$out/quickstart-cpp" | grep -F "libdfx.so.$major => $prefix/lib/libdfx.so.$major" ||
                fail "the CMake build does not load the installed libdfx.so.$major"
        else
            run_installed ldd "$out/quickstart-cpp" | grep -F libdfx && fail "dfx::dfx_static links libdfx dynamically"
        fi
        echo "--- $link: run against the sandbox"
        run_installed $sb $quickstart "$out/quickstart-cpp"
    done
    ;;
*)
    sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
    ;;
esac
