-- A sign-in storm for wrk: wrong passwords for a rotating set of e-mail addresses (demo accounts
-- and unknown ones), each request a real form post with the anti-forgery token and cookie that
-- bench/signin-storm fetched first. Counts the answers by status for the report.

local token = os.getenv("STORM_CSRF")
local cookie = os.getenv("STORM_COOKIE")
local accounts = {
  "candidate@demo.sensate.test", "staff@demo.sensate.test", "admin@demo.sensate.test",
  "reviewer1@demo.sensate.test", "supervisor@demo.sensate.test",
}
local threads = {}
local n = 0

function setup(thread)
  table.insert(threads, thread)
end

function init()
  by_status = {}
end

function request()
  n = n + 1
  local email
  if n % 4 == 0 then
    email = accounts[math.floor(n / 4) % #accounts + 1]
  else
    email = "storm" .. (n % 500) .. "%40example.org"
  end
  local body = "csrf=" .. token .. "&email=" .. email .. "&password=not-the-password-" .. n .. "&next=%2Fdashboard"
  return wrk.format("POST", "/sign-in", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body)
end

function response(status)
  local key = "s" .. status
  by_status[key] = (by_status[key] or 0) + 1
end

function done(summary)
  local totals = {}
  for _, thread in ipairs(threads) do
    for _, status in ipairs({ 200, 303, 400, 403, 422, 429, 500, 503 }) do
      local count = thread:get("by_status")["s" .. status]
      if count then totals[status] = (totals[status] or 0) + count end
    end
  end
  local parts = {}
  for status, count in pairs(totals) do
    table.insert(parts, status .. "=" .. count)
  end
  table.sort(parts)
  io.write("STORM statuses " .. table.concat(parts, " ") .. "\n")
  io.write(string.format("STORM requests %d errors %d\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
