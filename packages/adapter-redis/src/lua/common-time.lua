-- common-time.lua: prepended to session, rate-limit and slot scripts at load time (not run alone).
-- Time is the server's (TIME) so every host sharing the store agrees. No KEYS, no ARGV.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Integers as strings without float formatting (values up to 2^53 stay exact).
local function int(n)
  return string.format('%d', n)
end
