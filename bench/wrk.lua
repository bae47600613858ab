-- Replays pre-generated WeChat requests, each exactly once (bench/loadgen.py writes them).
--
-- Why a file and not Lua crypto: signing and AES in wrk's Lua would cost as much CPU as the
-- server's own decrypting, on the same two cores. Here every request is fully formatted
-- once in init(), so request() is a table lookup.
--
-- Environment (wrk passes no per-thread arguments before init, and done() sees none):
--   BENCH_REQUESTS  prefix of the request files; thread N reads "<prefix>.N"
--   BENCH_CAPTURE   optional prefix: thread N appends "<status> <length>\n<body>\n" per reply
--   BENCH_RESULT    where done() writes a JSON summary (counts, latency percentiles)
--
-- When a thread runs out of requests it stops (never reuses one) and says so in the result.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

local function unescape(body)
   return (body:gsub("\\(.)", { t = "\t", n = "\n", ["\\"] = "\\" }))
end

function init(args)
   requests = {}
   local headers = { ["Content-Type"] = "text/xml; charset=utf-8" }
   for line in io.lines(os.getenv("BENCH_REQUESTS") .. "." .. tid) do
      local target, body = line:match("^([^\t]*)\t(.*)$")
      if target then
         local h = {}
         for k, v in pairs(headers) do h[k] = v end
         requests[#requests + 1] = wrk.format("POST", target, h, unescape(body))
      end
   end
   total = #requests
   sent = 0
   exhausted = 0
   statuses = {}
   local capture_prefix = os.getenv("BENCH_CAPTURE")
   if capture_prefix and capture_prefix ~= "" then
      capture = io.open(capture_prefix .. "." .. tid, "wb")
      capture:setvbuf("full", 1048576)
   end
end

function request()
   if sent >= total then
      exhausted = 1
      wrk.thread:stop()
      return wrk.format("GET", "/__bench_exhausted__")
   end
   sent = sent + 1
   return requests[sent]
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if capture then
      capture:write(status, " ", #body, "\n", body, "\n")
   end
end

local function json_number(value)
   return string.format("%.3f", value)
end

function done(summary, latency, requests)
   local out = {}
   local function add(key, value) out[#out + 1] = string.format("%q: %s", key, value) end
   add("requests", summary.requests)
   add("duration_us", summary.duration)
   add("bytes", summary.bytes)
   add("errors", string.format(
      '{"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}',
      summary.errors.connect, summary.errors.read, summary.errors.write,
      summary.errors.status, summary.errors.timeout))
   local lat = {}
   for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
      lat[#lat + 1] = string.format('"p%s": %s', tostring(p), json_number(latency:percentile(p)))
   end
   lat[#lat + 1] = '"mean": ' .. json_number(latency.mean)
   lat[#lat + 1] = '"max": ' .. json_number(latency.max)
   lat[#lat + 1] = '"stdev": ' .. json_number(latency.stdev)
   add("latency_us", "{" .. table.concat(lat, ", ") .. "}")
   local per_thread = {}
   for _, thread in ipairs(threads) do
      local codes = {}
      for code, count in pairs(thread:get("statuses") or {}) do
         codes[#codes + 1] = string.format("%q: %d", code, count)
      end
      per_thread[#per_thread + 1] = string.format(
         '{"loaded": %d, "sent": %d, "exhausted": %s, "statuses": {%s}}',
         thread:get("total") or 0, thread:get("sent") or 0,
         (thread:get("exhausted") == 1) and "true" or "false", table.concat(codes, ", "))
   end
   add("threads", "[" .. table.concat(per_thread, ", ") .. "]")
   local file = assert(io.open(os.getenv("BENCH_RESULT"), "w"))
   file:write("{" .. table.concat(out, ", ") .. "}\n")
   file:close()
end
