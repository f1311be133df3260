-- wrk script for bench/durable-writes.
--
--   wrk ... -s bench/durable-writes.lua http://127.0.0.1:PORT -- write COOKIE CSRF RUN
--   wrk ... -s bench/durable-writes.lua http://127.0.0.1:PORT -- healthz
--
-- "write" posts the hour log of a signed-in candidate (the write the crash soak uses, one a
-- person may repeat as often as they like; the public forms are rate-limited): each POST
-- stores one hour entry and appends one audit event, and is acknowledged by 303 to
-- `?added=1`. Every POST carries a new title (RUN, the wrk thread and a counter), with the
-- session cookie and token the driver got by signing up and in. "healthz" asks GET /healthz
-- (the trivial route, for reference).
--
-- done() prints one machine-readable line the driver script parses:
--   BENCH mode=… requests=… acknowledged=… seconds=… rps=… ack_rps=… p50_us=… p99_us=… max_us=… errors=…

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "healthz"
  cookie = args[2] or ""
  csrf = args[3] or ""
  run = args[4] or "0"
  counter = 0
  acknowledged = 0
end

local function encode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  if mode == "healthz" then
    return wrk.format("GET", "/healthz")
  end
  counter = counter + 1
  local title = "Bench " .. run .. "-" .. id .. "-" .. counter
  local day = os.date("!%Y-%m-%d", os.time() - 86400)
  local body = "csrf=" .. encode(csrf) .. "&date=" .. day .. "&hours=1&mode=in_person"
    .. "&provider=" .. encode("Benchmark Institute") .. "&title=" .. encode(title)
  return wrk.format("POST", "/portal/sar", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body)
end

function response(status, headers, body)
  if status == 303 then
    acknowledged = acknowledged + 1
  end
end

function done(summary, latency, requests)
  local acked = 0
  local mode = threads[1] and threads[1]:get("mode") or "?"
  for _, thread in ipairs(threads) do
    acked = acked + (thread:get("acknowledged") or 0)
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format(
    "BENCH mode=%s requests=%d acknowledged=%d seconds=%.2f rps=%.1f ack_rps=%.1f p50_us=%d p99_us=%d max_us=%d errors=%d\n",
    mode, summary.requests, acked, seconds, summary.requests / seconds, acked / seconds,
    latency:percentile(50), latency:percentile(99), latency.max, errors))
end
