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
    echo
    echo "=== $name"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== $name: FAILED"
    fi
}

set -e
cargo build -p dfx -p dfx-sandbox
make --no-print-directory build/test_failures build/test_failures-static build/test_threads \
    build/quickstart build/quickstart-cxx
set +e

export LD_LIBRARY_PATH=$PWD/target/debug
sb=scripts/with-sandbox.sh
quickstart_pair='pair=$(python3 scripts/sandbox-pair.py)'

suite "rust: cargo test (core, C ABI from Rust, header, sandbox)" cargo test --workspace
suite "c: failure paths (shared libdfx.so)" $sb build/test_failures
suite "c: failure paths (static libdfx.a)" $sb build/test_failures-static
suite "c: 8 threads x 50 renews" $sb build/test_threads
suite "c: quickstart example" $sb bash -c "$quickstart_pair; build/quickstart \"\$DFX_SANDBOX_URL\" \$pair"
suite "c++: quickstart compiled as C++" $sb bash -c "$quickstart_pair; build/quickstart-cxx \"\$DFX_SANDBOX_URL\" \$pair"
suite "c: failure paths under valgrind memcheck" $sb valgrind --quiet --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --error-exitcode=99 build/test_failures
suite "python: ctypes tests" $sb python3 -m unittest -v tests/python/test_ctypes.py
suite "python: quickstart example" $sb bash -c "$quickstart_pair; python3 examples/quickstart.py \"\$DFX_SANDBOX_URL\" \$pair"

echo
for f in "${failures[@]}"; do echo "failed suite: $f"; done
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
