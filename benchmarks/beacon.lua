-- wrk script: most-read beacons (POST /live/read/<id>/) for the story ids listed one a line in
-- the file named by WRK_IDS, each from another reader's address (X-Forwarded-For, which the
-- site believes from loopback), with a browser's User-Agent. WRK_RATE paces the thread to that
-- many beacons a second in all, on a schedule of its own (one beacon every 1/WRK_RATE s, late
-- ones sent at once, never more than a second of them in a burst), so the rate does not follow
-- the site's latency; without it wrk sends as fast as the site answers. The JSON summary is
-- report.lua's.
local ids = {}
for line in io.lines(os.getenv("WRK_IDS")) do
  if line ~= "" then ids[#ids + 1] = line end
end
local rate = tonumber(os.getenv("WRK_RATE") or "0")
local counter = 0

request = function()
  counter = counter + 1
  local address = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255),
    math.random(1, 254))
  local headers = {
    ["X-Forwarded-For"] = address,
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36",
  }
  return wrk.format("POST", "/live/read/" .. ids[(counter % #ids) + 1] .. "/", headers, "")
end

if rate > 0 then
  -- wrk asks delay() before each request of every connection; the slots are shared by all.
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } beacon_timespec;
    int clock_gettime(int clock, beacon_timespec *now);
  ]]
  local clock = ffi.new("beacon_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
    return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
  end
  local interval = 1000 / rate
  local next_slot = nil
  delay = function()
    local now = now_ms()
    if next_slot == nil or next_slot < now - 1000 then next_slot = now end
    local slot = next_slot
    next_slot = next_slot + interval
    return math.max(0, math.floor(slot - now + 0.5))
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
