#!/usr/bin/env bash
# The main job: build dfx, start the local sandbox, and run the C quickstart
# (examples/quickstart.c) through the whole token lifecycle against it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p dfx -p dfx-sandbox
make --no-print-directory build/quickstart build/measurement
export LD_LIBRARY_PATH=$PWD/target/debug
scripts/with-sandbox.sh bash -c 'echo "sandbox at $DFX_SANDBOX_URL"; scripts/run-quickstart.sh build/quickstart &&
    echo && echo "--- a measurement: chunks in, results out (examples/measurement.c)" &&
    scripts/run-measurement.sh build/measurement'
cat <<'NEXT'

Next:
  read   examples/quickstart.c          the program that just ran: every call, every outcome by status
  read   examples/measurement.c         the measurement: create, stream chunks, results as they arrive
  read   scripts/run-quickstart.sh      how it was run: the sandbox's license, organization and the SMS code
  run    LD_LIBRARY_PATH=target/debug scripts/with-sandbox.sh scripts/run-quickstart.sh build/quickstart
         (again, on a fresh sandbox; or run build/quickstart yourself: it prints its usage)
  read   README.md "Use it from C"      your own program against the sandbox, step by step
NEXT
