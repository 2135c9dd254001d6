#!/usr/bin/env bash
# The main job: build dfx, start the local sandbox, get a live token pair from
# it, and run the C quickstart (examples/quickstart.c) against it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p dfx -p dfx-sandbox
make --no-print-directory build/quickstart
exec scripts/with-sandbox.sh bash -c '
    pair=$(python3 scripts/sandbox-pair.py)
    echo "sandbox at $DFX_SANDBOX_URL"
    LD_LIBRARY_PATH=target/debug build/quickstart "$DFX_SANDBOX_URL" $pair'
