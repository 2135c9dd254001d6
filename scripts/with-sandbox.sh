#!/usr/bin/env bash
# Run a command with a fresh dfx-sandbox on an ephemeral loopback port.
# The sandbox's URL is exported as DFX_SANDBOX_URL; the sandbox is stopped
# when the command ends, whatever its outcome.
#   scripts/with-sandbox.sh COMMAND [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sandbox=${DFX_SANDBOX_BIN:-$root/target/debug/dfx-sandbox}
[ -x "$sandbox" ] || { echo "with-sandbox: $sandbox not built (cargo build -p dfx-sandbox)" >&2; exit 2; }

dir=$(mktemp -d)
"$sandbox" --port 0 --port-file "$dir/port" >"$dir/stdout" 2>"$dir/stderr" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 1 200); do
    [ -s "$dir/port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/stderr" >&2; echo "with-sandbox: the sandbox exited" >&2; exit 2; }
    sleep 0.05
done
[ -s "$dir/port" ] || { echo "with-sandbox: the sandbox did not start" >&2; exit 2; }
export DFX_SANDBOX_URL="http://127.0.0.1:$(cat "$dir/port")"
"$@"
