-- wrk script: the load test's readers, one connection per wrk thread (-t equal to -c), so that
-- each thread's request() and response() alternate and every answer is known by its address.
-- Each thread walks the picks in WRK_PICKS ("kind address" a line) from its own starting point;
-- three in ten stories are instead one of the addresses in WRK_CHANGED (the stories the editor
-- is changing, one a line, read again every quarter second). Every answer is written to
-- WRK_RECORDS/<thread>.tsv: when it was asked (CLOCK_MONOTONIC, Python's time.monotonic), seconds
-- it took, status, X-Page-Cache, X-Cache, kind and address. The JSON summary is report.lua's.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } readers_timespec;
  int clock_gettime(int clock, readers_timespec *spec);
]]
local CLOCK_MONOTONIC = 1
local spec = ffi.new("readers_timespec")
local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, spec)
  return tonumber(spec.tv_sec) + tonumber(spec.tv_nsec) / 1e9
end

local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("number", threads)
end

local picks, changed, records = {}, {}, nil
local position, changed_at, sent, asked = 0, 0, 0, nil

init = function()
  for line in io.lines(os.getenv("WRK_PICKS")) do
    local kind, address = line:match("^(%S+) (%S+)$")
    if kind then picks[#picks + 1] = { kind, address } end
  end
  math.randomseed(number)
  position = number * 997
  records = io.open(os.getenv("WRK_RECORDS") .. "/" .. number .. ".tsv", "w")
  records:setvbuf("full", 65536)
end

local function changed_stories()
  if sent - changed_at > 0.25 then
    changed_at = sent
    local found = {}
    local file = io.open(os.getenv("WRK_CHANGED"))
    if file then
      for line in file:lines() do
        if line ~= "" then found[#found + 1] = line end
      end
      file:close()
    end
    changed = found
  end
  return changed
end

request = function()
  position = position + 1
  asked = picks[(position % #picks) + 1]
  sent = now()
  if asked[1] == "story" and math.random() < 0.3 then
    local stories = changed_stories()
    if #stories > 0 then asked = { "story", stories[math.random(#stories)] } end
  end
  return wrk.format(nil, asked[2])
end

response = function(status, headers, body)
  records:write(string.format("%.6f\t%.6f\t%d\t%s\t%s\t%s\t%s\n", sent, now() - sent, status,
    headers["X-Page-Cache"] or "-", headers["X-Cache"] or "-", asked[1], asked[2]))
end
