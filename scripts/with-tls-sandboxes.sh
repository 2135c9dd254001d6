#!/usr/bin/env bash
# Run a command with a fresh throwaway test PKI and an https dfx-sandbox per
# certificate, on ephemeral loopback ports (for tests/c/test_tls.c). Exports
# DFX_TLS_DIR (the PKI: ca.pem, NAME.pem, NAME.key) and DFX_TLS_PORT_GOOD,
# _EXPIRED, _SELF_SIGNED, _OTHER_CA (every certificate is for `localhost`).
# Everything is stopped and removed when the command ends.
#   scripts/with-tls-sandboxes.sh COMMAND [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(dirname "${DFX_SANDBOX_BIN:-$root/target/debug/dfx-sandbox}")
for b in dfx-sandbox dfx-sandbox-certs; do
    [ -x "$bin/$b" ] || { echo "with-tls-sandboxes: $bin/$b not built (cargo build -p dfx-sandbox)" >&2; exit 2; }
done

dir=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT
"$bin/dfx-sandbox-certs" "$dir/pki"

# start VAR NAME: an https sandbox presenting NAME.pem; its port in VAR.
start() {
    local var=$1 name=$2
    "$bin/dfx-sandbox" --port 0 --port-file "$dir/$name.port" \
        --tls-cert "$dir/pki/$name.pem" --tls-key "$dir/pki/$name.key" >"$dir/$name.out" 2>"$dir/$name.err" &
    pids+=($!)
    for _ in $(seq 1 200); do
        [ -s "$dir/$name.port" ] && break
        kill -0 "${pids[-1]}" 2>/dev/null || { cat "$dir/$name.err" >&2; echo "with-tls-sandboxes: $name exited" >&2; exit 2; }
        sleep 0.05
    done
    [ -s "$dir/$name.port" ] || { echo "with-tls-sandboxes: $name did not start" >&2; exit 2; }
    export "$var=$(cat "$dir/$name.port")"
}
start DFX_TLS_PORT_GOOD localhost
start DFX_TLS_PORT_EXPIRED expired
start DFX_TLS_PORT_SELF_SIGNED self-signed
start DFX_TLS_PORT_OTHER_CA other-ca
export DFX_TLS_DIR=$dir/pki
"$@"
