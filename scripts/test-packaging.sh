#!/usr/bin/env bash
# The packaging tests scripts/test.sh runs as suites, one per subcommand.
# Each expects `cargo build -p dfx -p dfx-sandbox` done (the debug build:
# these tests install and link it to stay fast; `make install` defaults to
# the release build).
#
#   scripts/test-packaging.sh python-wheel    the sdist of python/, and the wheel built from it (libdfx
#                                             in release inside; auditwheel's manylinux tag) in build/python-dist
#   scripts/test-packaging.sh python-install  that wheel into a fresh venv outside the checkout: from
#                                             another directory, with no DFX_LIBRARY, a renew and the
#                                             quickstart against a sandbox; library= and DFX_LIBRARY
#                                             still win over the bundled copy; then into build/venv
#   scripts/test-packaging.sh python-tests    the package's tests with build/venv, against a sandbox
#   scripts/test-packaging.sh cxx-example     build examples/cpp with -Wall -Wextra -Werror -pedantic, run it
#   scripts/test-packaging.sh cxx-tests       tests/cpp (dfx.hpp, its MeasurementStream) under valgrind memcheck
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
pydist=$root/build/python-dist
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

# The wheel python-wheel built.
built_wheel() {
    local wheels=("$pydist"/dfx-"$version"-py3-none-*.whl)
    [ ${#wheels[@]} -eq 1 ] && [ -f "${wheels[0]}" ] || fail "no single dfx wheel in $pydist: run '$0 python-wheel' first"
    echo "${wheels[0]}"
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
python-wheel)
    pybuild=$(scripts/python-build-venv.sh)
    rm -rf "$pydist" "$root/build/python-sdist"
    mkdir -p "$pydist"
    "$pybuild/bin/python" -m build --sdist --no-isolation --outdir "$pydist" python > "$pydist/sdist.log" 2>&1 ||
        { tail -n 30 "$pydist/sdist.log"; fail "no sdist (log: $pydist/sdist.log)"; }
    rm -rf python/build python/*.egg-info
    sdist=$pydist/dfx-$version.tar.gz
    echo "sdist: $(basename "$sdist"), $(tar tzf "$sdist" | grep -c '/rust/src/.*\.rs$') Rust sources"
    if tar tzf "$sdist" | grep -E '/rust/(target|sandbox|bench|tests|examples)/'; then
        fail "the sdist holds more than the library's sources (above)"
    fi
    # The wheel is built from the unpacked sdist, so the sdist is proven to
    # build on its own; at a fixed path and with the checkout's target dir,
    # so a second run only rebuilds what changed.
    mkdir -p "$root/build/python-sdist"
    tar xzf "$sdist" -C "$root/build/python-sdist"
    CARGO_TARGET_DIR=$root/target "$pybuild/bin/python" -m build --wheel --no-isolation --outdir "$pydist/raw" \
        "$root/build/python-sdist/dfx-$version" > "$pydist/build.log" 2>&1 ||
        { tail -n 30 "$pydist/build.log"; fail "the wheel did not build from the sdist (log: $pydist/build.log)"; }
    raw=$(ls "$pydist"/raw/*.whl)
    # The manylinux tag the library qualifies for: auditwheel reads the
    # glibc symbol versions and the libraries it needs (none to graft, so
    # no ELF patcher is needed) and retags the wheel.
    "$pybuild/bin/auditwheel" show "$raw" 2>/dev/null | tr -s ' \n' ' ' | cut -c 1-160; echo
    "$pybuild/bin/auditwheel" repair --patcher none --wheel-dir "$pydist" "$raw" > "$pydist/repair.log" 2>&1 ||
        { cat "$pydist/repair.log"; fail "auditwheel repair failed"; }
    "$pybuild/bin/python" scripts/check-wheel.py "$(built_wheel)" x86_64
    ;;
python-install)
    wheel=$(built_wheel)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # A fresh venv outside the checkout; the wheel needs nothing else (--no-index).
    python3 -m venv "$tmp/venv"
    "$tmp/venv/bin/pip" install --quiet --disable-pip-version-check --no-index "$wheel"
    # From another directory, with nothing pointing at a library: only the
    # copy inside the installed package can be found.
    mkdir "$tmp/elsewhere"
    cp examples/quickstart.py tests/python/installed_renew.py "$tmp/elsewhere/"
    (
        cd "$tmp/elsewhere"
        run=(env -u DFX_LIBRARY -u LD_LIBRARY_PATH -u PYTHONPATH "$tmp/venv/bin/python")
        "$root/$sb" bash -c 'python3 "$0/scripts/sandbox-seed.py" pair | "${@}" installed_renew.py' \
            "$root" "${run[@]}"
        "$root/$sb" "$root/$quickstart" "${run[@]}" quickstart.py
        # An explicit path, then DFX_LIBRARY, still win over the bundled copy.
        "${run[@]}" -c 'import dfx, sys; n = dfx.load_library(sys.argv[1])._name
assert n == sys.argv[1], n; print("library= wins:", n)' "$lib/libdfx.so"
        DFX_LIBRARY=$lib/libdfx.so "$tmp/venv/bin/python" -c 'import dfx, os; n = dfx.load_library()._name
assert n == os.environ["DFX_LIBRARY"], n; print("DFX_LIBRARY wins:", n)'
    )
    # build/venv, for the suites that follow, gets the same wheel.
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-index "$wheel"
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
    make --no-print-directory build/test_dfx_hpp build/test_stream_hpp
    $sb "${memcheck[@]}" build/test_dfx_hpp
    $sb "${memcheck[@]}" build/test_stream_hpp
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
