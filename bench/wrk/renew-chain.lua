-- wrk against dfx-sandbox: every renew consumes its one-time pair, so each
-- connection renews a chain: it starts with its own pair from BENCH_PAIRS
-- (one "TOKEN REFRESH" per line, at least one per connection) and each next
-- request sends the pair the last answer carried (Lua pattern match, no
-- JSON library). Requests are built per call (wrk's dynamic path).
--   BENCH_PAIRS=pairs.txt BENCH_CONNS_PER_THREAD=C wrk -s renew-chain.lua -tT -c(T*C) ... URL
local threads = 0
function setup(thread)
   thread:set("tid", threads)
   threads = threads + 1
end

local queue, head, tail = {}, 1, 0

function init(args)
   local per = tonumber(os.getenv("BENCH_CONNS_PER_THREAD") or "1")
   local first, i = tid * per + 1, 0
   for line in io.lines(os.getenv("BENCH_PAIRS")) do
      i = i + 1
      if i >= first and i < first + per then
         local t, r = line:match("^(%S+)%s+(%S+)")
         tail = tail + 1
         queue[tail] = { t, r }
      end
   end
end

-- wrk calls request() once on thread 0 before the run, to check the
-- request for pipelining: that call must not take a pair off the queue.
local verified = false

function request()
   local p = queue[head]
   if tid == 0 and not verified then
      verified = true
   elseif p then
      queue[head] = nil
      head = head + 1
   else
      p = { "none", "none" } -- a chain broke: the server will refuse this one
   end
   return wrk.format("POST", "/auths/renew",
      { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. p[1], ["User-Agent"] = "wrk" },
      '{"Token":"' .. p[1] .. '","RefreshToken":"' .. p[2] .. '"}')
end

function response(status, headers, body)
   if status == 200 then
      local t = body:match('"Token":"([^"]+)"')
      local r = body:match('"RefreshToken":"([^"]+)"')
      if t and r then
         tail = tail + 1
         queue[tail] = { t, r }
      end
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("client=wrk requests=%d duration_us=%d errors=%d\n", summary.requests,
      summary.duration, e.connect + e.read + e.write + e.status + e.timeout))
end
