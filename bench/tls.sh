#!/usr/bin/env bash
# What building ring (and rustls/webpki) for size costs a TLS client: the
# client side of full TLS 1.3 handshakes and of one 650-byte record each
# way, with ring at opt-level "s" (dfx's release profile) and at 3, the
# rest of the release profile equal. In memory, one process, no network.
#
#   bench/tls.sh [N]       (default 2000 handshakes per case)
#
# Needs openssl (the command) for the throwaway certificates.
set -euo pipefail
N=${1:-2000}
cd "$(dirname "$0")/.."
TMP=$(mktemp -d /tmp/dfx-tls.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cert() { # NAME KEYALG...: a CA and a leaf for localhost issued by it
    local name=$1; shift
    openssl req -x509 -newkey "$@" -nodes -keyout "$TMP/$name-ca.key" -out "$TMP/$name-ca.pem" \
        -days 30 -subj "/CN=dfx bench $name CA" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
    openssl req -newkey "$@" -nodes -keyout "$TMP/$name.key" -out "$TMP/$name.csr" -subj /CN=localhost 2>/dev/null
    printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$TMP/$name.ext"
    openssl x509 -req -in "$TMP/$name.csr" -CA "$TMP/$name-ca.pem" -CAkey "$TMP/$name-ca.key" \
        -CAcreateserial -days 30 -extfile "$TMP/$name.ext" -out "$TMP/$name.pem" 2>/dev/null
}
cert ecdsa ec -pkeyopt ec_paramgen_curve:P-256
cert rsa rsa:2048
for level in s 3; do
    value=\"$level\"; [ "$level" = 3 ] && value=3
    nice cargo build --release -q -p dfx-tls-bench --target-dir "target/tls-ring-$level" \
        --config "profile.release.package.ring.opt-level=$value" >&2
done
PIN=; command -v taskset >/dev/null && PIN="taskset -c 0"
for round in 1 2 3; do
    for level in s 3; do
        for kind in ecdsa rsa; do
            $PIN "target/tls-ring-$level/release/dfx-tls-bench" "$TMP/$kind-ca.pem" "$TMP/$kind.pem" "$TMP/$kind.key" "$N" |
                sed "s/^/round $round  ring opt-level $level  $kind certificate  /"
        done
    done
done
