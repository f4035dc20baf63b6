-- The load of `tdx bench api`: POST /v1/verify, presenting the signed documents of a
-- JSON-lines file in turn. Arguments (after wrk's `--`): the file, then optionally a rate
-- in requests per second over all connections. With a rate, each request waits for its
-- slot on a fixed schedule (latency at that load); without one, requests go back to back
-- (the most the node serves).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long sec; long usec; } tdx_timeval;
int gettimeofday(tdx_timeval *tv, void *tz);
]]
local clock = ffi.new("tdx_timeval")

local function now_ms()
  ffi.C.gettimeofday(clock, nil)
  return tonumber(clock.sec) * 1000 + tonumber(clock.usec) / 1000
end

local bodies = {}
local next_body = 0

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[2] then
    local interval = 1000 / tonumber(args[2])
    local start, slot = nil, 0
    -- Defined only with a rate: wrk then schedules every request through this function.
    delay = function()
      local now = now_ms()
      start = start or now
      slot = slot + 1
      local due = start + slot * interval
      if due > now then
        return due - now
      end
      return 0
    end
  end
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end
