#!/usr/bin/env bash
# Where a renew spends its instructions: callgrind (with its cache
# simulator) on dfx_renew and curl_renew against the benchmark's nginx:
# sequential (blocking / easy handle) and non-blocking (_async / multi) at
# 1 and at 64 in flight. Run bench/run.sh once first (it builds the
# clients into bench/build/).
#
#   bench/profile.sh [N]        (default 2000)
#
# Prints instructions and simulated L1 misses per renew (the marginal cost:
# the N-renew run minus an N/10-renew run, so start-up is not counted) and
# dfx's top 15 functions by inclusive and by self instruction count.
set -euo pipefail
N=${1:-2000}
SMALL=$((N / 10))
cd "$(dirname "$0")/.."
B=$PWD/bench/build
[ -x "$B/dfx_renew" ] && [ -x "$B/curl_renew" ] || { echo "run bench/run.sh first" >&2; exit 1; }
if ! command -v valgrind >/dev/null; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >&2
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x /usr/bin/time ] || { echo "GNU time missing (bench/run.sh installs it)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/dfx-profile.XXXXXX)
NGINX_PID=
cleanup() {
    [ -n "$NGINX_PID" ] && kill -TERM "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
port=18180
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
bench/nginx-conf.sh "$TMP" "$port" bench/fixed-pair.txt >"$TMP/nginx.conf"
taskset -c 0 "$NGINX" -c "$TMP/nginx.conf" -p "$TMP" 2>"$TMP/nginx.err" &
NGINX_PID=$!
URL=http://127.0.0.1:$port
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

OUT=$B/profile-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
# grind CLIENT MODE K COUNT: callgrind with cache simulation; prints "Ir I1miss D1miss".
grind() {
    local f=$OUT/callgrind.$1.$2.$3.$4
    valgrind --tool=callgrind --cache-sim=yes --callgrind-out-file="$f" \
        "$B/$1_renew" "$2" "$URL" bench/fixed-pair.txt "$4" "$3" >/dev/null 2>"$f.log"
    # events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
    awk '/^summary:|^totals:/ { print $2, $5, $6 + $7; exit }' "$f"
}
# row LABEL CLIENT MODE K: the marginal cost of one renew.
row() {
    read -r ir1 i1a d1a <<<"$(grind "$2" "$3" "$4" "$N")"
    read -r ir0 i1b d1b <<<"$(grind "$2" "$3" "$4" "$SMALL")"
    d=$((N - SMALL))
    printf '%-36s %14d %14d %14d\n' "$1" $(((ir1 - ir0) / d)) $(((i1a - i1b) / d)) $(((d1a - d1b) / d))
}
{
    echo "callgrind, renews against nginx on loopback; marginal cost per renew ($N-renew run minus $SMALL-renew run)"
    printf '%-36s %14s %14s %14s\n' client "instructions" "I1 misses" "D1 misses"
    row "libcurl easy + cJSON, sequential" curl seq 1
    row "dfx_auth_renew, sequential" dfx seq 1
    row "libcurl multi + cJSON, 1 in flight" curl multi 1
    row "dfx_auth_renew_async, 1 in flight" dfx async 1
    row "libcurl multi + cJSON, 64 in flight" curl multi 64
    row "dfx_auth_renew_async, 64 in flight" dfx async 64
    echo "(simulated caches: valgrind's defaults for this CPU; the libcurl figures include cJSON and the program's own code;"
    echo " valgrind runs one thread at a time, so these count work, not the hand-offs between threads: see bench/README.md)"
    echo
    echo "context switches per renew (GNU time: voluntary + involuntary, all threads; 20000 renews, client and nginx pinned to CPU 0)"
    printf '%-36s %14s %14s\n' client voluntary involuntary
    for spec in "libcurl easy + cJSON, sequential:curl seq 1" "dfx_auth_renew, sequential:dfx seq 1" \
        "libcurl multi + cJSON, 1 in flight:curl multi 1" "dfx_auth_renew_async, 1 in flight:dfx async 1" \
        "libcurl multi + cJSON, 64 in flight:curl multi 64" "dfx_auth_renew_async, 64 in flight:dfx async 64"; do
        read -r c m k <<<"${spec#*:}"
        /usr/bin/time -f '%w %c' -o "$OUT/csw.txt" taskset -c 0 "$B/${c}_renew" "$m" "$URL" bench/fixed-pair.txt 20000 "$k" >/dev/null
        read -r vol invol <"$OUT/csw.txt"
        awk -v l="${spec%%:*}" -v v="$vol" -v i="$invol" 'BEGIN { printf "%-36s %14.2f %14.2f\n", l, v / 20000, i / 20000 }'
    done
    for run in seq.1 async.1; do for kind in inclusive self; do
        echo
        echo "dfx $([ $run = seq.1 ] && echo 'sequential' || echo '_async, 1 in flight'), top 15 functions by $kind instructions ($N renews; per renew = total / $N)"
        callgrind_annotate --show=Ir --inclusive=$([ $kind = inclusive ] && echo yes || echo no) \
            "$OUT/callgrind.dfx.$run.$N" 2>/dev/null |
            awk -v n="$N" -v kind="$kind" '
            /^-+$/ { dash++; next }
            shown < 15 && dash >= 3 && NF >= 3 && $1 ~ /^[0-9,]+$/ {
                ir = $1; gsub(",", "", ir)
                line = $0; sub(/^ *[0-9,]+ *\( *[0-9.]+%\) */, "", line)
                sub(/ \[[^]]*\]$/, "", line); sub(/^\?\?\?:/, "", line); sub(/^.*\/[^:]*:/, "", line)
                if (line ~ /PROGRAM TOTALS/ || (kind == "inclusive" && line ~ /^0x|below main|__libc_start|^main$/)) next
                if (length(line) > 100) line = substr(line, 1, 97) "..."
                printf "%12d %6.1f%% %9.0f  %s\n", ir, $2 == "(" ? $3 : substr($2, 2), ir / n, line
                ++shown
            }'
    done; done
} | tee "$OUT/profile.txt"
echo "callgrind files: $OUT (callgrind_annotate / kcachegrind)" >&2
