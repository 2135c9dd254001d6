#!/usr/bin/env bash
# The measurement stream benchmark: one stream's chunks/s and MB/s over the
# WebSocket and over HTTP (its fallback), each next to measurements.data
# calls in the same round, and memory per open stream; against the
# release dfx-sandbox on loopback. Not part of `make test`.
#
#   bench/stream.sh [--rounds N] [--chunks N] [--chunk-bytes N] [--streams N]
set -euo pipefail
ROUNDS=5 CHUNKS=200 BYTES=65536 STREAMS=200
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) ROUNDS=$2; shift ;;
        --chunks) CHUNKS=$2; shift ;;
        --chunk-bytes) BYTES=$2; shift ;;
        --streams) STREAMS=$2; shift ;;
        *) sed -n '2,7p' "$0"; exit 2 ;;
    esac
    shift
done
cd "$(dirname "$0")/.."
# Two cargo runs: built together, cargo would unify dfx-sandbox's
# dependency features (tokio's signal, ...) into libdfx.so.
nice -n 10 cargo build --quiet --release -p dfx
nice -n 10 cargo build --quiet --release -p dfx-sandbox
mkdir -p bench/build
cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude bench/stream.c -o bench/build/stream -Ltarget/release -ldfx -lpthread
export LD_LIBRARY_PATH=$PWD/target/release
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
# The sandbox on one core, the client on the other (a 2-core machine).
taskset -c 1 target/release/dfx-sandbox --port 0 --port-file "$tmp/port" >/dev/null 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$tmp/port")
seed=$(curl -s "$url/_sandbox/seed")
run() { taskset -c 0 bench/build/stream "$url" "$seed" "$ROUNDS" "$CHUNKS" "$BYTES" "$STREAMS" "$1"; }
echo "$CHUNKS chunks of $BYTES bytes per measurement, $ROUNDS rounds; $(nproc) cores; sandbox pinned to CPU 1, client to CPU 0"
run socket
curl -s -X POST "$url/_sandbox/ws/refuse" -d '{"Status":503,"Count":0}' >/dev/null
run refused
curl -s -X DELETE "$url/_sandbox/faults" >/dev/null
run memory
