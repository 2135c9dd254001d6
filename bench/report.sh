#!/usr/bin/env bash
# Print the tables of one benchmark run from its results directory
# (bench/run.sh calls it; run it again on an old directory to reprint).
#   bench/report.sh bench/build/results-YYYYmmdd-HHMMSS
set -euo pipefail
OUT=${1:?usage: report.sh RESULTS_DIR}
# The figures the "Issue 15 targets" block at the end repeats: one
# "kind<TAB>key<TAB>value" line per figure, written by the tables' awk.
SUM=$(mktemp)
trap 'rm -f "$SUM"' EXIT

cat "$OUT/header.txt"
echo

# Shared awk: med(array, n) = median; fmt helpers.
AWK_LIB='
function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function med(a, n) { sort(a, n); return n == 0 ? 0 : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) }
function mib(kib) { return sprintf("%.1f MiB", kib / 1024) }
'

echo "Throughput: renews per second, median (min-max) over the rounds; ratios are medians of per-round ratios"
echo "(x libcurl: to the libcurl client at the same concurrency; x wrk: to wrk at the same concurrency)."
awk -F'\t' -v sum="$SUM" "$AWK_LIB"'
BEGIN {
    # wrk-1@1: wrk at 1 connection again (the same runs), as the bound of the 1-in-flight multi / _async group.
    no = split("wrk-1 curl-seq-1 dfx-seq-1 dfx-call-seq-1 wrk-1@1 curl-multi-1 dfx-async-1 dfx-call-async-1 wrk-64 curl-multi-64 dfx-async-64 dfx-call-async-64", order, " ")
    for (o = 1; o <= no; o++) src[order[o]] = order[o]
    src["wrk-1@1"] = "wrk-1"
    name["wrk-1"] = "wrk (the bound)"; name["wrk-64"] = "wrk (the bound)"; name["wrk-1@1"] = "wrk (the bound, the runs above)"
    name["curl-seq-1"] = "libcurl easy + cJSON, sequential"; name["curl-multi-1"] = name["curl-multi-64"] = "libcurl multi + cJSON"
    name["dfx-seq-1"] = "dfx_auth_renew, sequential"; name["dfx-async-1"] = name["dfx-async-64"] = "dfx_auth_renew_async"
    name["dfx-call-seq-1"] = "dfx_call(\"auths.renew\"), sequential"
    name["dfx-call-async-1"] = name["dfx-call-async-64"] = "dfx_call_async(\"auths.renew\")"
    # Groups: sequential; multi / _async at 1 in flight; at 64. Each against its own libcurl client and wrk.
    grp["wrk-1"] = grp["curl-seq-1"] = grp["dfx-seq-1"] = grp["dfx-call-seq-1"] = 1
    grp["wrk-1@1"] = grp["curl-multi-1"] = grp["dfx-async-1"] = grp["dfx-call-async-1"] = 2
    grp["wrk-64"] = grp["curl-multi-64"] = grp["dfx-async-64"] = grp["dfx-call-async-64"] = 3
    cbg[1] = "curl-seq-1"; cbg[2] = "curl-multi-1"; cbg[3] = "curl-multi-64"
    wbg[1] = wbg[2] = "wrk-1"; wbg[3] = "wrk-64"
    # The generic call against the typed call it must keep up with.
    tb["dfx-call-seq-1"] = "dfx-seq-1"; tb["dfx-call-async-1"] = "dfx-async-1"; tb["dfx-call-async-64"] = "dfx-async-64"
    nt_order = split("dfx-call-seq-1 dfx-call-async-1 dfx-call-async-64", t_order, " ")
}
$1 !~ /^m/ { v[$2, $1] = $7; rss[$2, $1] = $8; err[$2] += $5; k[$2] = $3; rounds[$1] = 1; has[$2] = 1 }
function desc(l) { return l ~ /async/ ? name[l] ", " k[l] " in flight" : name[l] }
END {
    printf "%-35s %9s  %-28s %10s %8s %12s %7s\n", "client", "in flight", "calls/s median (min-max)", "x libcurl", "x wrk", "peak RSS", "errors"
    last = 0
    for (o = 1; o <= no; o++) {
        l = order[o]; s = src[l]; cl = cbg[grp[l]]; wl = wbg[grp[l]]
        n = 0; nc = 0; nw = 0; nr = 0; nt = 0; lo = ""; hi = ""
        for (r in rounds) {
            if (!((s, r) in v)) continue
            x = v[s, r] + 0; a[++n] = x
            if (lo == "" || x < lo) lo = x; if (hi == "" || x > hi) hi = x
            if ((cl, r) in v && v[cl, r] > 0) c[++nc] = x / v[cl, r]
            if ((wl, r) in v && v[wl, r] > 0) w[++nw] = x / v[wl, r]
            if ((l in tb) && (tb[l], r) in v && v[tb[l], r] > 0) t[++nt] = x / v[tb[l], r]
            m[++nr] = rss[s, r]
        }
        if (n == 0) continue
        if (l != s && !has[cl]) continue # the bound again only next to its group'"'"'s libcurl client
        if (last && grp[l] != last) print ""
        last = grp[l]
        mc = med(c, nc); mw = med(w, nw)
        printf "%-35s %9s  %-28s %10.2f %8.2f %12s %7d\n", name[l], k[s],
            sprintf("%8.0f (%.0f-%.0f)", med(a, n), lo, hi), mc, mw, mib(med(m, nr)), err[s]
        printf "cps\t%s\t%.1f\n", l, med(a, n) >> sum
        if (nc) printf "x_curl\t%s\t%.6f\n", l, mc >> sum
        if (nw) printf "x_wrk\t%s\t%.6f\n", l, mw >> sum
        if (nt) { typed[l] = med(t, nt); printf "x_typed\t%s\t%.6f\n", l, typed[l] >> sum }
    }
    for (i = 1; i <= nt_order; i++) {
        l = t_order[i]
        if (l in typed) printf "%s x %s (median of per-round ratios): %.3f\n", desc(l), desc(tb[l]), typed[l]
    }
}' "$OUT/raw.tsv"
echo

echo "Memory: peak RSS (ru_maxrss) of one client process, median over the repetitions"
awk -F'\t' "$AWK_LIB"'
$1 ~ /^m/ { n[$2]++; r[$2, n[$2]] = $8; cps[$2, n[$2]] = $7; k[$2] = $3; calls[$2] = $4; err[$2] += $5 }
function get(l,   i, a) { for (i = 1; i <= n[l]; i++) a[i] = r[l, i]; return med(a, n[l]) }
function rate(l,   i, a) { for (i = 1; i <= n[l]; i++) a[i] = cps[l, i]; return med(a, n[l]) }
END {
    if (!n["mem-dfx-seq"]) exit
    big = k["mem-dfx-async-big"]
    printf "%-58s %14s %14s\n", "", "libcurl+cJSON", "dfx"
    printf "%-58s %14s %14s\n", "peak RSS, " calls["mem-dfx-seq"] " sequential renews", mib(get("mem-curl-seq")), mib(get("mem-dfx-seq"))
    printf "%-58s %14s %14s\n", "peak RSS, " calls["mem-dfx-async-1"] " renews, 1 in flight (multi / _async)", mib(get("mem-curl-multi-1")), mib(get("mem-dfx-async-1"))
    printf "%-58s %14s %14s\n", "peak RSS, " calls["mem-dfx-async-big"] " renews, all " big " in flight at once", mib(get("mem-curl-multi-big")), mib(get("mem-dfx-async-big"))
    cx = (get("mem-curl-multi-big") - get("mem-curl-multi-1")) * 1024 / (big - 1)
    dx = (get("mem-dfx-async-big") - get("mem-dfx-async-1")) * 1024 / (big - 1)
    printf "%-58s %14s %14s\n", "RSS per extra in-flight request ((" big " - 1) / " big - 1 ")", sprintf("%.0f B", cx), sprintf("%.0f B", dx)
    printf "%-58s %14.0f %14.0f\n", "calls/s of the 1-in-flight run (multi / _async)", rate("mem-curl-multi-1"), rate("mem-dfx-async-1")
    printf "%-58s %14.0f %14.0f\n", "calls/s of the " big "-in-flight run", rate("mem-curl-multi-big"), rate("mem-dfx-async-big")
    e = err["mem-curl-seq"] + err["mem-dfx-seq"] + err["mem-curl-multi-1"] + err["mem-curl-multi-big"] + err["mem-dfx-async-1"] + err["mem-dfx-async-big"]
    if (e) printf "!! %d failed renews in the memory runs\n", e
    print "(libcurl multi capped at 256 connections, CURLMOPT_MAX_TOTAL_CONNECTIONS, as dfx keeps at most 256 on the wire.)"
}' "$OUT/raw.tsv"
echo

if [ -s "$OUT/cold.log" ]; then
    echo "Cold start: milliseconds, median (min-max) over fresh processes"
    awk "$AWK_LIB"'
    function cell(c, f,   i, a, lo, hi) { for (i = 1; i <= n[c]; i++) { a[i] = x[c, f, i]; if (i == 1 || a[i] < lo) lo = a[i]; if (i == 1 || a[i] > hi) hi = a[i] }
        return sprintf("%.2f (%.2f-%.2f)", med(a, n[c]), lo, hi) }
    { split($1, cv, "="); c = cv[2]; n[c]++
      for (i = 2; i <= NF; i++) { split($i, kv, "="); x[c, kv[1], n[c]] = kv[2] } }
    END {
        printf "%-52s %24s %24s\n", "", "libcurl+cJSON", "dfx"
        printf "%-52s %24s %24s\n", "dlopen + dlsym", cell("libcurl", "dlopen_ms"), cell("dfx", "dlopen_ms")
        printf "%-52s %24s %24s\n", "init (curl_global_init+easy_init / dfx_client_new)", cell("libcurl", "init_ms"), cell("dfx", "init_ms")
        printf "%-52s %24s %24s\n", "first renew (incl. connect, runtime, TLS config)", cell("libcurl", "first_renew_ms"), cell("dfx", "first_renew_ms")
        printf "%-52s %24s %24s\n", "dlopen -> first renew completed", cell("libcurl", "to_first_ms"), cell("dfx", "to_first_ms")
        printf "%-52s %24s %24s\n", "second renew (warm)", cell("libcurl", "second_renew_ms"), cell("dfx", "second_renew_ms")
    }' "$OUT/cold.log"
    echo
fi

if [ -s "$OUT/stream.log" ]; then
    # stream.log: bench/stream.sh's output (stream.c's round, median and memory lines).
    awk -v sum="$SUM" '
    function path(line) { return line ~ /WebSocket/ ? "socket" : "refused" }
    function nums(   i, nc, nm) { nc = 0; nm = 0; rx = ""
        for (i = 2; i <= NF; i++) {
            if ($i == "chunks/s") cs[++nc] = $(i - 1)
            if ($i == "MB/s") mb[++nm] = $(i - 1)
            if ($i ~ /^[0-9.]+x$/ && rx == "") rx = substr($i, 1, length($i) - 1)
        } }
    NR == 1 && !/^(round|median|memory|failed)/ { caption = $0; next }
    /^round/ { p = path($0); nums(); n[p]++; rc[p, n[p]] = cs[1]; rr[p, n[p]] = rx; next }
    /^median/ { p = path($0); nums(); mc[p] = cs[1]; mm[p] = mb[1]; cc[p] = cs[2]; cm[p] = mb[2]; mr[p] = rx; next }
    /^memory/ { split($0, f, "\t"); mem = f[2] ": " f[3] ", " f[4]; kib = f[4] + 0; next }
    /^failed/ { failed = failed "!! " substr($0, 8) "\n"; next }
    function range(a, p,   i, lo, hi) { for (i = 1; i <= n[p]; i++) { if (i == 1 || a[p, i] + 0 < lo) lo = a[p, i] + 0; if (i == 1 || a[p, i] + 0 > hi) hi = a[p, i] + 0 }
        return sprintf(a[p, 1] ~ /\./ ? "%.2f-%.2f" : "%.0f-%.0f", lo, hi) }
    END {
        print "Measurement stream (bench/stream.sh): " caption
        print "each path next to the same chunks sent by dfx_call(\"measurements.data\"), one call after another, in the same rounds;"
        print "x dfx_call: median of per-round ratios (min-max over the rounds)."
        label["socket"] = "stream over the WebSocket"; label["refused"] = "stream, upgrade refused (its HTTP path)"
        printf "%-40s %-24s %8s   %-32s %s\n", "path", "chunks/s median (min-max)", "MB/s", "dfx_call measurements.data", "x dfx_call"
        split("socket refused", ps, " ")
        for (i = 1; i <= 2; i++) {
            p = ps[i]
            if (!(p in mc)) continue
            printf "%-40s %-24s %8.1f   %-32s %s\n", label[p], sprintf("%8.0f (%s)", mc[p], range(rc, p)), mm[p],
                sprintf("%.0f chunks/s (%.1f MB/s)", cc[p], cm[p]), sprintf("%.2f (%s)", mr[p], range(rr, p))
            printf "stream_cps\t%s\t%s\nstream_mbs\t%s\t%s\nstream_x_call\t%s\t%s\n", p, mc[p], p, mm[p], p, mr[p] >> sum
        }
        if (mem != "") { print "memory: " mem; printf "stream_kib\tper_stream\t%s\n", kib >> sum }
        printf "%s", failed
        if (failed != "") printf "stream_failed\tstream\t1\n" >> sum
    }' "$OUT/stream.log"
    echo
fi

if [ -s "$OUT/sizes.tsv" ]; then
    echo "Sizes on disk (strip --strip-unneeded copies)"
    awk -F'\t' -v sum="$SUM" '
    function kib(b) { return sprintf("%9.0f KiB", b / 1024) }
    NR == 1 { next }
    $1 == "curl_closure" { cc = $2; cn = $3; next }
    $1 == "dfx_closure" { dc = $2; dn = $3; next }
    $1 == "curl_closure_names" { ccn = $2; next }
    $1 == "dfx_closure_names" { dcn = $2; next }
    $1 ~ /^libdfx/ { d[$1] = $2; next }
    { s[++m] = $1; b[m] = $2; stack += $2 }
    END {
        printf "size_kib\tlibdfx.so\t%.1f\n", d["libdfx.so"] / 1024 >> sum
        if ("libdfx.so.noproxy" in d) printf "size_kib\tlibdfx.so.noproxy\t%.1f\n", d["libdfx.so.noproxy"] / 1024 >> sum
        printf "%-44s %s  (default features: proxies via reqwest)\n", "libdfx.so", kib(d["libdfx.so"])
        printf "%-44s %s\n", "libdfx.a", kib(d["libdfx.a"])
        if ("libdfx.so.noproxy" in d) {
            printf "%-44s %s  (--no-default-features: no proxy support)\n", "libdfx.so, size-tuned", kib(d["libdfx.so.noproxy"])
            printf "%-44s %s\n", "libdfx.a, size-tuned", kib(d["libdfx.a.noproxy"])
        }
        for (i = 1; i <= m; i++) printf "%-44s %s\n", s[i], kib(b[i])
        printf "%-44s %s\n", "libcurl + libssl + libcrypto + libcjson", kib(stack)
        printf "%-44s %s  (%d libraries: %s)\n", "libcurl client: all non-glibc shared libs", kib(cc), cn, ccn
        printf "%-44s %s  (%d libraries: %s)\n", "libdfx.so: its non-glibc shared libs", kib(dc), dn, dcn
    }' "$OUT/sizes.tsv"
fi

# ---------------------------------------------------------------- issue 15
# Each figure issue 15 asks for, from the tables above, next to its target
# where the issue gives one. Ratios are medians of per-round ratios.
echo
echo "Issue 15 targets: this run's figures (ratios: medians of per-round ratios)"
awk -F'\t' '
{ f[$1, $2] = $3 }
# line(TEXT, KIND, KEY, FORMAT, TARGET): TARGET is "" (none), ">= N" or "<= N".
function line(text, kind, key, fmt, target,   val, cmp, n) {
    if (!((kind, key) in f)) { printf "%-70s %12s\n", text, "not measured"; return }
    val = sprintf(fmt, f[kind, key])
    cmp = ""
    if (target != "") {
        n = substr(target, 4) + 0
        if (target ~ /^>=/) cmp = (val + 0 >= n) ? ">= target" : "< target"
        else cmp = (val + 0 <= n) ? "<= target" : "> target"
        cmp = sprintf("  (target %s: %s)", target, cmp)
    }
    printf "%-70s %12s%s\n", text, val, cmp
}
END {
    line("64 in flight: dfx_auth_renew_async x libcurl multi", "x_curl", "dfx-async-64", "%.2f", ">= 1.6")
    line("64 in flight: dfx_auth_renew_async x wrk", "x_wrk", "dfx-async-64", "%.2f", "")
    line("64 in flight: dfx_call_async(\"auths.renew\") x libcurl multi", "x_curl", "dfx-call-async-64", "%.2f", "")
    line("1 in flight: dfx_auth_renew_async x libcurl multi", "x_curl", "dfx-async-1", "%.2f", "")
    line("1 in flight: dfx_auth_renew_async x wrk", "x_wrk", "dfx-async-1", "%.2f", "")
    line("1 in flight: dfx_call_async(\"auths.renew\") x libcurl multi", "x_curl", "dfx-call-async-1", "%.2f", "")
    line("sequential: dfx_auth_renew x wrk", "x_wrk", "dfx-seq-1", "%.2f", "")
    # dfx_call next to the typed call: within 5% (the endpoint table'"'"'s bound).
    line("sequential: dfx_call x dfx_auth_renew", "x_typed", "dfx-call-seq-1", "%.3f", ">= 0.95")
    line("1 in flight: dfx_call_async x dfx_auth_renew_async", "x_typed", "dfx-call-async-1", "%.3f", ">= 0.95")
    line("64 in flight: dfx_call_async x dfx_auth_renew_async", "x_typed", "dfx-call-async-64", "%.3f", ">= 0.95")
    line("stream over the WebSocket: chunks/s", "stream_cps", "socket", "%.0f", "")
    line("stream over the WebSocket: MB/s", "stream_mbs", "socket", "%.1f", "")
    line("stream over the WebSocket x dfx_call(\"measurements.data\")", "stream_x_call", "socket", "%.2f", "")
    line("stream, upgrade refused (HTTP path): chunks/s", "stream_cps", "refused", "%.0f", "")
    line("stream, upgrade refused (HTTP path): MB/s", "stream_mbs", "refused", "%.1f", "")
    line("stream, upgrade refused (HTTP path) x dfx_call(\"measurements.data\")", "stream_x_call", "refused", "%.2f", "")
    line("KiB per open stream", "stream_kib", "per_stream", "%.1f", "")
    if (("stream_failed", "stream") in f) print "!! the stream benchmark failed: its figures are missing or partial"
    line("stripped libdfx.so, default features, KiB", "size_kib", "libdfx.so", "%.0f", "<= 3502")
    line("stripped libdfx.so, size-tuned (--no-default-features), KiB", "size_kib", "libdfx.so.noproxy", "%.0f", "<= 2560")
}' "$SUM"
