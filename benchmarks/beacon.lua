-- wrk script: most-read beacons (POST /live/read/<id>/) for the story ids listed one a line in
-- the file named by WRK_IDS, each from another reader's address (X-Forwarded-For, which the
-- site believes from loopback), with a browser's User-Agent. WRK_DELAY_MS paces each
-- connection (a steady background rate); the JSON summary is report.lua's.
local ids = {}
for line in io.lines(os.getenv("WRK_IDS")) do
  if line ~= "" then ids[#ids + 1] = line end
end
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")
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

if pause > 0 then
  delay = function() return pause end
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
