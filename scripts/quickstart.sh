#!/usr/bin/env bash
# The main job: build dfx, start the local sandbox, and run the C quickstart
# (examples/quickstart.c) through the whole token lifecycle against it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p dfx -p dfx-sandbox
make --no-print-directory build/quickstart
export LD_LIBRARY_PATH=$PWD/target/debug
exec scripts/with-sandbox.sh bash -c 'echo "sandbox at $DFX_SANDBOX_URL"; scripts/run-quickstart.sh build/quickstart'
