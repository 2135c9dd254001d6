#!/usr/bin/env bash
# The renew benchmark: dfx (C ABI) next to libcurl + cJSON and wrk, against
# one loopback server, interleaved over several rounds, then the measurement
# stream (bench/stream.sh) against dfx-sandbox. See bench/README.md.
#
#   bench/run.sh [--server nginx|sandbox] [--rounds N] [--pinned|--unpinned]
#                [--duration SECONDS] [--quick] [--no-install] [--no-build]
#                [--no-stream]
#
# Not part of `make test`. Installs what is missing with apt-get (nginx,
# wrk, libcurl and cJSON development packages, curl, time), builds dfx and
# dfx-sandbox in release, runs, prints the tables and keeps everything (raw
# lines, server logs, tables) in bench/build/results-<time>/.
set -euo pipefail

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

SERVER=nginx
ROUNDS=5
PINNED=1
DURATION=4           # seconds per throughput run (each client, each round)
SEQ_CALLS=100000     # the "100,000 sequential renews" peak-RSS figure
INFLIGHT_BIG=10000   # the "RSS per extra in-flight request" figure
MEM_REPS=3           # repetitions of each memory run (median reported)
COLD_REPS=10         # fresh processes per client for the cold start
INSTALL=1
BUILD=1
STREAM=1             # the measurement stream after the renews (bench/stream.sh)
while [ $# -gt 0 ]; do
    case $1 in
        --server) SERVER=$2; shift ;;
        --server=*) SERVER=${1#*=} ;;
        --rounds) ROUNDS=$2; shift ;;
        --rounds=*) ROUNDS=${1#*=} ;;
        --duration) DURATION=$2; shift ;;
        --duration=*) DURATION=${1#*=} ;;
        --pinned) PINNED=1 ;;
        --unpinned) PINNED=0 ;;
        --quick) ROUNDS=1; DURATION=1; SEQ_CALLS=5000; MEM_REPS=1; COLD_REPS=2 ;;
        --no-install) INSTALL=0 ;;
        --no-build) BUILD=0 ;;
        --no-stream) STREAM=0 ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option: $1" >&2; usage 2 ;;
    esac
    shift
done
case $SERVER in nginx|sandbox) ;; *) echo "--server: nginx or sandbox" >&2; exit 2 ;; esac

cd "$(dirname "$0")/.."
ROOT=$PWD
B=$ROOT/bench/build
mkdir -p "$B"
OUT=$B/results-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RAW=$OUT/raw.tsv      # round  label  inflight  calls  errors  seconds  calls_per_s  maxrss_kib
: >"$RAW"
log() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------- install
if [ "$INSTALL" = 1 ]; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    pkgs=()
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || {
        if apt-cache show nginx-light >/dev/null 2>&1; then pkgs+=(nginx-light); else pkgs+=(nginx); fi; }
    command -v wrk >/dev/null || pkgs+=(wrk)
    command -v curl >/dev/null || pkgs+=(curl)
    [ -x /usr/bin/time ] || pkgs+=(time)
    command -v strip >/dev/null || pkgs+=(binutils)
    command -v cc >/dev/null || pkgs+=(gcc)
    [ -f /usr/include/cjson/cJSON.h ] || pkgs+=(libcjson-dev)
    if [ ! -f /usr/include/x86_64-linux-gnu/curl/curl.h ] && [ ! -f /usr/include/curl/curl.h ] &&
        ! ls /usr/include/*/curl/curl.h >/dev/null 2>&1; then
        pkgs+=(libcurl4-openssl-dev)
    fi
    if [ ${#pkgs[@]} -gt 0 ]; then
        log "installing: ${pkgs[*]}"
        $SUDO apt-get update -qq
        # Fall back to the GnuTLS flavour of libcurl if the OpenSSL one conflicts.
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >&2 ||
            DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
                "${pkgs[@]/libcurl4-openssl-dev/libcurl4-gnutls-dev}" >&2
    fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# ---------------------------------------------------------------- build
if [ "$BUILD" = 1 ]; then
    log "cargo build --release -p dfx (lto: a few minutes the first time)"
    nice -n 10 cargo build --release -p dfx >&2
    # dfx-sandbox (the server with --server sandbox, and the stream's) in a
    # cargo run of its own: built together, cargo would unify their
    # dependencies' features (tokio's signal, ...) into the measured libdfx.so.
    if [ "$SERVER" = sandbox ] || [ "$STREAM" = 1 ]; then
        log "cargo build --release -p dfx-sandbox"
        nice -n 10 cargo build --release -p dfx-sandbox >&2
    fi
    # The size-tuned build (no proxy support, no reqwest): only weighed.
    log "cargo build --release -p dfx --no-default-features --target-dir target/no-proxy"
    nice -n 10 cargo build --release -p dfx --no-default-features --target-dir target/no-proxy >&2
fi
[ -f target/release/libdfx.so ] || { log "target/release/libdfx.so missing (run without --no-build)"; exit 1; }
# A private copy under its SONAME: the clients link it, and a rebuild of
# target/ while the benchmark runs does not change what is measured.
mkdir -p "$B/lib"
soname=$(readelf -d target/release/libdfx.so | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
cp target/release/libdfx.so "$B/lib/${soname:-libdfx.so.0}"
ln -sf "${soname:-libdfx.so.0}" "$B/lib/libdfx.so"
cp target/release/libdfx.a "$B/lib/libdfx.a"
CFLAGS="-std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Iinclude"
nice -n 10 cc $CFLAGS bench/curl_renew.c -o "$B/curl_renew" -lcurl -lcjson
nice -n 10 cc $CFLAGS bench/dfx_renew.c -o "$B/dfx_renew" -L"$B/lib" -ldfx -Wl,-rpath,"$B/lib" -lpthread
nice -n 10 cc $CFLAGS bench/cold_start.c -o "$B/cold_start" -ldl
if [ "$STREAM" = 1 ]; then
    nice -n 10 cc $CFLAGS bench/stream.c -o "$B/stream" -L"$B/lib" -ldfx -Wl,-rpath,"$B/lib" -lpthread
fi
if [ "$SERVER" = sandbox ] || [ "$STREAM" = 1 ]; then
    [ -x target/release/dfx-sandbox ] || { log "target/release/dfx-sandbox missing (run without --no-build)"; exit 1; }
    cp target/release/dfx-sandbox "$B/dfx-sandbox"
fi

# ---------------------------------------------------------------- server
PIN=(); [ "$PINNED" = 1 ] && PIN=(taskset -c 0)
TMP=$(mktemp -d /tmp/dfx-bench.XXXXXX)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    local p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}

FIXED=$ROOT/bench/fixed-pair.txt
if [ "$SERVER" = nginx ]; then
    PORT=$(free_port 18080)
    mkdir -p "$TMP/nginx"
    bench/nginx-conf.sh "$TMP/nginx" "$PORT" "$FIXED" >"$TMP/nginx/nginx.conf"
    BODY_BYTES=$(sed -n 's/.*# \([0-9]*\)-byte answer/\1/p' "$TMP/nginx/nginx.conf")
    cp "$TMP/nginx/nginx.conf" "$OUT/nginx.conf"
    "${PIN[@]}" "$NGINX" -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" 2>"$OUT/server.log" &
    SERVER_PID=$!
    URL=http://127.0.0.1:$PORT
    SERVER_DESC="nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), 1 worker, fixed ${BODY_BYTES}-byte answer"
else
    "${PIN[@]}" "$B/dfx-sandbox" --port 0 --port-file "$TMP/sandbox.port" >/dev/null 2>"$OUT/server.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do [ -s "$TMP/sandbox.port" ] && break; sleep 0.05; done
    URL=http://127.0.0.1:$(cat "$TMP/sandbox.port")
    SERVER_DESC="dfx-sandbox (release), live one-time pairs"
fi
for _ in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$URL/auths/renew" -d '{}' || true)
    [ "$code" != 000 ] && break
    sleep 0.05
done
log "server: $SERVER_DESC at $URL (pid $SERVER_PID)"

# pairs FILE N: a file with the pairs for N chains. nginx: the fixed pair
# (all chains share it); sandbox: N fresh live pairs from the control plane.
pairs() {
    if [ "$SERVER" = nginx ]; then
        cp "$FIXED" "$1"
    else
        # Forget the recorded requests first: the sandbox keeps every one.
        curl -sf -XPOST "$URL/_sandbox/reset" >/dev/null
        curl -sf -XPOST "$URL/_sandbox/pairs" -d "{\"Count\":$2}" | awk 'BEGIN { RS = "}" } {
            t = ""; r = ""
            if (match($0, /"Token":"[^"]*"/)) t = substr($0, RSTART + 9, RLENGTH - 10)
            if (match($0, /"RefreshToken":"[^"]*"/)) r = substr($0, RSTART + 16, RLENGTH - 17)
            if (t != "" && r != "") print t, r }' >"$1"
        [ "$(wc -l <"$1")" -ge "$2" ] || { log "could not mint $2 pairs"; exit 1; }
    fi
}

# record ROUND LABEL LINE: keep a client's result line in $RAW.
record() {
    local round=$1 label=$2 line=$3
    echo "$line" >>"$OUT/runs.log"
    echo "$line" | awk -v r="$round" -v l="$label" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r, l, v["inflight"], v["calls"], v["errors"], v["seconds"],
            v["calls_per_s"], v["maxrss_kib"] }' >>"$RAW"
    if ! echo "$line" | grep -q ' errors=0 '; then log "  !! $label: $line"; fi
}

# run_c ROUND LABEL INFLIGHT BINARY MODE COUNT: one fresh client process.
run_c() {
    local round=$1 label=$2 k=$3 bin=$4 mode=$5 count=$6 line
    pairs "$TMP/pairs.txt" "$k"
    line=$("${PIN[@]}" "$B/$bin" "$mode" "$URL" "$TMP/pairs.txt" "$count" "$k" 2>>"$OUT/client-errors.log") || true
    [ -n "$line" ] || { log "  !! $label produced no result (see $OUT/client-errors.log)"; line="client=$bin mode=$mode inflight=$k calls=0 errors=1 seconds=0 calls_per_s=0 maxrss_kib=0"; }
    record "$round" "$label" "$line"
}

# run_wrk ROUND LABEL CONNECTIONS: wrk for $DURATION seconds, one thread.
run_wrk() {
    local round=$1 label=$2 c=$3 script=renew.lua out
    pairs "$TMP/pairs.txt" "$c"
    [ "$SERVER" = sandbox ] && script=renew-chain.lua
    out=$(BENCH_PAIRS=$TMP/pairs.txt BENCH_CONNS_PER_THREAD=$c /usr/bin/time -f 'maxrss_kib=%M' -o "$TMP/time.txt" \
        "${PIN[@]}" wrk -t1 -c"$c" -d"${DURATION}s" -s "bench/wrk/$script" "$URL" 2>&1) || true
    echo "$out" >>"$OUT/wrk.log"
    local line
    line=$(echo "$out" | awk -v k="$c" -v rss="$(sed -n 's/.*maxrss_kib=//p' "$TMP/time.txt")" '/^client=wrk/ {
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        s = v["duration_us"] / 1e6
        printf "client=wrk mode=wrk inflight=%d calls=%d errors=%d seconds=%.4f calls_per_s=%.1f maxrss_kib=%d\n",
            k, v["requests"], v["errors"], s, v["requests"] / s, rss }')
    [ -n "$line" ] || { log "  !! wrk failed: $out"; line="client=wrk mode=wrk inflight=$c calls=0 errors=1 seconds=0 calls_per_s=0 maxrss_kib=0"; }
    record "$round" "$label" "$line"
}

# ---------------------------------------------------------------- describe
{
    echo "dfx renew benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
    echo "dfx: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src build.rs Cargo.toml Cargo.lock 2>/dev/null || echo ' + uncommitted changes'), release (lto, codegen-units=1); $(curl-config --version 2>/dev/null || echo libcurl); cJSON $(dpkg-query -W -f='${Version}' libcjson-dev 2>/dev/null || echo '?'); $(wrk --version 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
    echo "server: $SERVER_DESC"
    echo "placement: $([ "$PINNED" = 1 ] && echo 'pinned: server and client on CPU 0 (taskset -c 0)' || echo 'unpinned (no taskset)')"
    echo "rounds: $ROUNDS x $DURATION s per client; renew = POST /auths/renew, ~650-byte JSON each way, keep-alive, Token + RefreshToken parsed out"
} | tee "$OUT/header.txt" >&2

# ---------------------------------------------------------------- throughput
for r in $(seq "$ROUNDS"); do
    log "round $r/$ROUNDS"
    run_wrk "$r" wrk-1 1
    run_c "$r" curl-seq-1 1 curl_renew seq "${DURATION}s"
    run_c "$r" dfx-seq-1 1 dfx_renew seq "${DURATION}s"
    run_c "$r" dfx-call-seq-1 1 dfx_renew call "${DURATION}s"
    run_c "$r" curl-multi-1 1 curl_renew multi "${DURATION}s"
    run_c "$r" dfx-async-1 1 dfx_renew async "${DURATION}s"
    run_c "$r" dfx-call-async-1 1 dfx_renew call-async "${DURATION}s"
    run_wrk "$r" wrk-64 64
    run_c "$r" curl-multi-64 64 curl_renew multi "${DURATION}s"
    run_c "$r" dfx-async-64 64 dfx_renew async "${DURATION}s"
    run_c "$r" dfx-call-async-64 64 dfx_renew call-async "${DURATION}s"
done

# ---------------------------------------------------------------- memory
log "memory: $SEQ_CALLS sequential renews; 1 vs $INFLIGHT_BIG in flight"
for m in $(seq "$MEM_REPS"); do
    run_c "m$m" mem-curl-seq 1 curl_renew seq "$SEQ_CALLS"
    run_c "m$m" mem-dfx-seq 1 dfx_renew seq "$SEQ_CALLS"
    run_c "m$m" mem-curl-multi-1 1 curl_renew multi "$INFLIGHT_BIG"
    run_c "m$m" mem-curl-multi-big "$INFLIGHT_BIG" curl_renew multi "$INFLIGHT_BIG"
    run_c "m$m" mem-dfx-async-1 1 dfx_renew async "$INFLIGHT_BIG"
    run_c "m$m" mem-dfx-async-big "$INFLIGHT_BIG" dfx_renew async "$INFLIGHT_BIG"
done

# ---------------------------------------------------------------- cold start
log "cold start: $COLD_REPS fresh processes each"
CURL_SO=$(ldd "$B/curl_renew" | awk '/libcurl/ { print $3 }')
for i in $(seq "$COLD_REPS"); do
    for c in dfx curl; do
        pairs "$TMP/pairs.txt" 1
        lib=$B/lib/libdfx.so; [ $c = curl ] && lib=$CURL_SO
        "${PIN[@]}" "$B/cold_start" $c "$lib" "$URL" "$TMP/pairs.txt" >>"$OUT/cold.log" 2>>"$OUT/client-errors.log" ||
            log "  !! cold_start $c failed"
    done
done

# ---------------------------------------------------------------- stream
# One stream's chunks/s and MB/s over the WebSocket and over its HTTP path,
# each next to dfx_call("measurements.data") in the same rounds, and KiB per
# open stream: bench/stream.sh with this run's client build and sandbox copy.
if [ "$STREAM" = 1 ]; then
    log "stream: $ROUNDS rounds, socket / upgrade refused (HTTP path) / memory, against dfx-sandbox"
    spin=(); [ "$PINNED" = 1 ] || spin=(--unpinned)
    rc=0
    bench/stream.sh --no-build --client "$B/stream" --sandbox "$B/dfx-sandbox" --rounds "$ROUNDS" "${spin[@]}" \
        --server-log "$OUT/stream-server.log" >"$OUT/stream.log" 2>>"$OUT/client-errors.log" || rc=$?
    if [ "$rc" != 0 ]; then
        printf 'failed\tbench/stream.sh exit status %s (see client-errors.log, stream-server.log)\n' "$rc" >>"$OUT/stream.log"
        log "  !! stream benchmark failed (exit status $rc, see $OUT/client-errors.log)"
    fi
fi

# ---------------------------------------------------------------- sizes
size_of() { # stripped copy's size in bytes
    cp "$1" "$TMP/s"
    strip --strip-unneeded "$TMP/s" 2>/dev/null || true
    stat -c %s "$TMP/s"
}
closure() { # non-glibc shared libraries a binary or library needs
    ldd "$1" | awk '$3 ~ /^\// { print $3 }' |
        grep -v -E '/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux[^/]*)\.so' || true
}
{
    printf 'component\tbytes\n'
    printf 'libdfx.so\t%s\n' "$(size_of target/release/libdfx.so)"
    printf 'libdfx.a\t%s\n' "$(size_of target/release/libdfx.a)"
    if [ -f target/no-proxy/release/libdfx.so ]; then
        printf 'libdfx.so.noproxy\t%s\n' "$(size_of target/no-proxy/release/libdfx.so)"
        printf 'libdfx.a.noproxy\t%s\n' "$(size_of target/no-proxy/release/libdfx.a)"
    fi
    for lib in $(ldd "$B/curl_renew" | awk '$3 ~ /\/(libcurl|libssl|libcrypto|libcjson)\./ { print $3 }'); do
        printf '%s\t%s\n' "$(basename "$lib")" "$(size_of "$(readlink -f "$lib")")"
    done
    tot=0; n=0
    for lib in $(closure "$B/curl_renew"); do tot=$((tot + $(size_of "$(readlink -f "$lib")"))); n=$((n + 1)); done
    printf 'curl_closure\t%s\t%s\n' "$tot" "$n"
    tot=0; n=0
    for lib in $(closure target/release/libdfx.so); do tot=$((tot + $(size_of "$(readlink -f "$lib")"))); n=$((n + 1)); done
    printf 'dfx_closure\t%s\t%s\n' "$tot" "$n"
    closure "$B/curl_renew" | xargs -n1 basename | tr '\n' ' ' | sed 's/^/curl_closure_names\t/; s/ $/\n/'
    closure target/release/libdfx.so | xargs -n1 basename | tr '\n' ' ' | sed 's/^/dfx_closure_names\t/; s/ $/\n/'
} >"$OUT/sizes.tsv"

# ---------------------------------------------------------------- report
bash bench/report.sh "$OUT" | tee "$OUT/table.txt"
cp "$OUT/table.txt" "$B/latest.txt"
log "raw results, logs and tables: $OUT"
