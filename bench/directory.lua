-- wrk script for bench/directory.
--
--   wrk ... -s bench/directory.lua http://127.0.0.1:PORT -- search [RADIUS]
--   wrk ... -s bench/directory.lua http://127.0.0.1:PORT -- healthz
--
-- "search" rotates GET /api/v1/directory over 50 real US city ZIP codes, six concerns, two
-- formats and three language choices (es, en, none), so consecutive requests differ in place
-- and filters and the benchmark is not one repeated query. Each wrk thread starts at a
-- different point of the rotation. "healthz" asks GET /healthz (the trivial route, H).
--
-- done() prints one machine-readable line the driver script parses:
--   BENCH mode=… requests=… seconds=… rps=… p50_us=… p90_us=… p99_us=… max_us=… non2xx=… errors=…

local zips = {
  "10001", "94110", "60614", "77002", "30303", "98101", "02115", "19103", "33130", "80202",
  "85004", "55401", "97205", "20001", "48201", "90012", "92101", "75201", "78701", "73102",
  "64106", "63101", "46204", "43215", "44113", "15222", "21201", "23219", "27601", "28202",
  "37203", "38103", "40202", "35203", "70112", "32801", "33602", "29201", "84101", "89101",
  "87102", "96813", "53202", "68102", "50309", "04101", "06103", "02903", "14604", "12207",
}
local concerns = {
  "low_desire", "desire_discrepancy", "sexual_pain", "relationship_intimacy", "sexual_trauma",
  "communication",
}
local formats = { "couples", "individuals" }
local languages = { "es", "en", false }

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "search"
  radius = args[2] or "25"
  -- Threads start apart (id is set by setup) and step through the combinations.
  counter = (id or 1) * 7919
end

function request()
  if mode == "healthz" then
    return wrk.format("GET", "/healthz")
  end
  counter = counter + 1
  local zip = zips[counter % #zips + 1]
  local concern = concerns[math.floor(counter / #zips) % #concerns + 1]
  local format = formats[math.floor(counter / 7) % #formats + 1]
  local language = languages[math.floor(counter / 3) % #languages + 1]
  local path = "/api/v1/directory?place=" .. zip .. "&radius=" .. radius .. "&concern=" .. concern
    .. "&format=" .. format
  if language then
    path = path .. "&language=" .. language
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  -- done() runs in the main Lua state, where init() did not run: ask a thread for the mode.
  local mode = threads[1] and threads[1]:get("mode") or "?"
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "BENCH mode=%s requests=%d seconds=%.2f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d errors=%d\n",
    mode, summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, socket_errors))
end
