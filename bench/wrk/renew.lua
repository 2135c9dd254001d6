-- wrk: POST /auths/renew with one fixed pair, the request built once
-- (wrk's fastest path; the server answers every renew with the same pair).
--   BENCH_PAIRS=pairs.txt wrk -s renew.lua ... URL
local f = assert(io.open(os.getenv("BENCH_PAIRS"), "r"))
local token, refresh = f:read("*l"):match("^(%S+)%s+(%S+)")
f:close()

wrk.method = "POST"
wrk.path = "/auths/renew"
wrk.body = '{"Token":"' .. token .. '","RefreshToken":"' .. refresh .. '"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["User-Agent"] = "wrk"

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("client=wrk requests=%d duration_us=%d errors=%d\n", summary.requests,
      summary.duration, e.connect + e.read + e.write + e.status + e.timeout))
end
