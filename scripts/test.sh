#!/usr/bin/env bash
# Every test: Rust (core, C ABI from Rust, header drift, sandbox), C (shared
# and static, as C and C++, under valgrind), Python ctypes. Each suite's
# outcome is tallied and the last line says how many suites passed.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()
suite() {
    local name=$1
    shift
    local start=$SECONDS
    echo
    echo "=== $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "=== $name: ok ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== $name: FAILED ($((SECONDS - start)) s)"
    fi
}

set -e
cargo build -p dfx -p dfx-sandbox
make --no-print-directory build/test_failures build/test_failures-static build/test_threads build/test_secrets build/test_session build/test_call \
    build/test_async-asan build/test_lifetime-asan build/test_lifetime build/async_renews build/test_tls \
    build/quickstart build/quickstart-cxx build/test_stream build/test_stream-asan build/measurement
set +e

export LD_LIBRARY_PATH=$PWD/target/debug
sb=scripts/with-sandbox.sh
quickstart=scripts/run-quickstart.sh

suite "rust: cargo test (core, C ABI from Rust, header, sandbox)" cargo test --workspace
suite "rust: without the proxy feature (the size-tuned build's code)" \
    cargo test -p dfx --no-default-features --lib --test http1 --test auths --test requests
suite "rust: fuzz targets on stable (corpus, then 60 s of mutations)" env DFX_FUZZ_SECS=60 cargo test -p dfx --test fuzz_replay
suite "c: failure paths (shared libdfx.so)" $sb build/test_failures
suite "c: failure paths (static libdfx.a)" $sb build/test_failures-static
suite "c: no secret in any message (echoing server, bad URLs and arguments)" $sb build/test_secrets
suite "c: 8 threads x 50 renews" $sb build/test_threads
suite "c: session lifecycle, listener, single flight, outcome unknown" $sb build/test_session
suite "c: dfx_call: login, measurement, list, argument errors" $sb build/test_call
suite "c: measurement stream: 20 chunks, refusals, back-pressure, 8 streams, dropped sockets, refused upgrade" \
    $sb build/test_stream
suite "c: measurement stream, free with chunks in flight (ASan+UBSan)" $sb build/test_stream-asan
suite "c: measurement example (examples/measurement.c, sample chunks)" $sb scripts/run-measurement.sh build/measurement
suite "c: async, 10000 in flight, cancel, free (ASan+UBSan)" $sb build/test_async-asan
suite "c: client lifetime: free inside callbacks, free while retrying, cancel (ASan+UBSan)" \
    $sb build/test_lifetime-asan
suite "c: TLS trust (CA file, CA in memory, system store) and refusals (unknown CA, wrong host, expired, self-signed, plain http)" \
    $sb scripts/with-tls-sandboxes.sh build/test_tls
suite "c: quickstart example" $sb $quickstart build/quickstart
suite "c++: quickstart compiled as C++" $sb $quickstart build/quickstart-cxx
suite "c: async event-loop example, 500 renews" $sb bash -c \
    'python3 scripts/sandbox-seed.py pairs 500 | build/async_renews "$DFX_SANDBOX_URL"'
memcheck="valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --error-exitcode=99"
suite "c: failure paths under valgrind memcheck" $sb env DFX_TEST_NO_FORK=1 $memcheck build/test_failures
suite "c: session under valgrind memcheck" $sb env DFX_TEST_HOLD_MS=3000 $memcheck build/test_session
suite "c: client lifetime under valgrind memcheck" $sb env DFX_TEST_ROUNDS=40 DFX_TEST_VALGRIND=1 $memcheck build/test_lifetime
suite "c: dfx_call under valgrind memcheck" $sb $memcheck build/test_call
suite "c: measurement stream under valgrind memcheck" $sb $memcheck build/test_stream
pkg=scripts/test-packaging.sh
suite "python: sdist, the wheel built from it (release libdfx inside), tag and contents" $pkg python-wheel
suite "python: the wheel in a fresh venv elsewhere, no DFX_LIBRARY: renew, quickstart; build/venv" \
    $pkg python-install
suite "python: dfx package tests (installed copy; declarations vs header)" $pkg python-tests
suite "python: quickstart example (installed package)" $sb $quickstart build/venv/bin/python examples/quickstart.py
suite "python: measurement example (installed package, sample chunks)" $sb bash -c \
    'build/venv/bin/python examples/measurement.py "$DFX_SANDBOX_URL"'
suite "python: asyncio example, 300 renews (installed package)" $sb bash -c \
    'python3 scripts/sandbox-seed.py pairs 300 | build/venv/bin/python examples/async_renews.py "$DFX_SANDBOX_URL"'
suite "c++: dfx.hpp example, -Wall -Wextra -Werror -pedantic" $pkg cxx-example
suite "c++: dfx.hpp tests under valgrind memcheck" $pkg cxx-tests
suite "abi: exports only dfx_* (nm -D), SONAME, versions, no OpenSSL" $pkg abi
suite "readme: the C section from a fresh clone (release build, no hand-made libdfx.so.0)" scripts/test-readme.sh
suite "install: into a prefix, out-of-tree pkg-config build" $pkg pkg-config
suite "install: out-of-tree CMake build, dfx::dfx and dfx::dfx_static" $pkg cmake

echo
for f in "${failures[@]}"; do echo "failed suite: $f"; done
# What the run left on disk: a disk that filled up fails suites in ways
# that look like anything but that.
du -sh target build 2>/dev/null || true
df -h . 2>/dev/null | tail -n 1 || true
echo "suites: $passed passed, $failed failed (${SECONDS} s)"
[ "$failed" -eq 0 ]
