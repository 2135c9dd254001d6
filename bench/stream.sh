#!/usr/bin/env bash
# The measurement stream benchmark: one stream's chunks/s and MB/s over the
# WebSocket and over HTTP (its fallback), each next to measurements.data
# calls in the same round, and memory per open stream; against the
# release dfx-sandbox on loopback. Not part of `make test`.
#
#   bench/stream.sh [--rounds N] [--chunks N] [--chunk-bytes N] [--streams N]
#                   [--unpinned] [--no-build] [--client BIN] [--sandbox BIN]
#                   [--server-log FILE]
#
# Standalone it builds dfx and dfx-sandbox (release) and links bench/stream.c
# against target/release. bench/run.sh runs it with --client (its own build
# of stream.c, linked against bench/build/lib) and --sandbox (its copy of
# dfx-sandbox). Pinned (default): the sandbox on CPU 1, the client on CPU 0.
set -euo pipefail
ROUNDS=5 CHUNKS=200 BYTES=65536 STREAMS=200
PINNED=1 BUILD=1 CLIENT= SANDBOX= SERVER_LOG=
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) ROUNDS=$2; shift ;;
        --chunks) CHUNKS=$2; shift ;;
        --chunk-bytes) BYTES=$2; shift ;;
        --streams) STREAMS=$2; shift ;;
        --unpinned) PINNED=0 ;;
        --no-build) BUILD=0 ;;
        --client) CLIENT=$2; shift ;;
        --sandbox) SANDBOX=$2; shift ;;
        --server-log) SERVER_LOG=$2; shift ;;
        *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
    shift
done
cd "$(dirname "$0")/.."
if [ -z "$CLIENT" ]; then
    # Two cargo runs: built together, cargo would unify dfx-sandbox's
    # dependency features (tokio's signal, ...) into libdfx.so.
    if [ "$BUILD" = 1 ]; then
        nice -n 10 cargo build --quiet --release -p dfx
        nice -n 10 cargo build --quiet --release -p dfx-sandbox
    fi
    mkdir -p bench/build
    nice -n 10 cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude bench/stream.c -o bench/build/stream \
        -Ltarget/release -ldfx -lpthread
    CLIENT=bench/build/stream
    export LD_LIBRARY_PATH=$PWD/target/release
fi
SANDBOX=${SANDBOX:-target/release/dfx-sandbox}
[ -x "$SANDBOX" ] || { echo "$SANDBOX missing (build dfx-sandbox in release)" >&2; exit 1; }
tmp=$(mktemp -d)
SERVER_LOG=${SERVER_LOG:-$tmp/log}
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
# Pinned: the sandbox on one core, the client on the other (a 2-core machine).
SPIN=() CPIN=()
[ "$PINNED" = 1 ] && SPIN=(taskset -c 1) CPIN=(taskset -c 0)
"${SPIN[@]}" "$SANDBOX" --port 0 --port-file "$tmp/port" >/dev/null 2>"$SERVER_LOG" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || { echo "dfx-sandbox did not start (see $SERVER_LOG)" >&2; exit 1; }
url=http://127.0.0.1:$(cat "$tmp/port")
seed=$(curl -sf "$url/_sandbox/seed")
run() { "${CPIN[@]}" "$CLIENT" "$url" "$seed" "$ROUNDS" "$CHUNKS" "$BYTES" "$STREAMS" "$1"; }
echo "$CHUNKS chunks of $BYTES bytes per measurement, $ROUNDS rounds; $(nproc) cores; $([ "$PINNED" = 1 ] &&
    echo 'sandbox pinned to CPU 1, client to CPU 0' || echo 'unpinned (no taskset)')"
run socket
curl -sf -X POST "$url/_sandbox/ws/refuse" -d '{"Status":503,"Count":0}' >/dev/null
run refused
curl -sf -X DELETE "$url/_sandbox/faults" >/dev/null
run memory
