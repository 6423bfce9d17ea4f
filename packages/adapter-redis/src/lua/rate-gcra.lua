-- rate-gcra.lua: GCRA (token bucket) hit, the Lua twin of gcra() in core's
-- domain/rate-limit-algorithms.ts. The level is (TAT - at) x limit, in integers: one
-- request adds W, the level drains by `limit` per ms, a full bucket is burst x W.
-- KEYS[1] state HASH {<prefix>:rl:<key>}: a = 'gcra', at = last write (ms), l = level
-- ARGV[1] limit, ARGV[2] windowMs, ARGV[3] cost, ARGV[4] burst
-- Returns {allowed (1/0), remaining, retryAfterMs, resetAt}.
-- Commands: TIME, HMGET, then HSET + PEXPIRE when admitted, none on a denial.
local limit, W, cost, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local capacity = burst * W
local level = 0
local s = redis.call('HMGET', KEYS[1], 'a', 'at', 'l')
if s[1] == 'gcra' then
  local elapsed = math.max(0, now - tonumber(s[2]))
  local stored = tonumber(s[3])
  if elapsed >= math.ceil(stored / limit) then level = 0 else level = math.max(0, stored - elapsed * limit) end
end
local new_level = level + cost * W
local function store(l, drain)
  if s[1] ~= 'gcra' then redis.call('DEL', KEYS[1]) end -- another algorithm's fields go first
  redis.call('HSET', KEYS[1], 'a', 'gcra', 'at', int(now), 'l', int(l))
  redis.call('PEXPIRE', KEYS[1], int(math.max(1, drain)))
end
if new_level <= capacity then
  local drain = math.ceil(new_level / limit)
  store(new_level, drain)
  return { 1, math.floor((capacity - new_level) / W), 0, now + drain }
end
-- A denial writes nothing: the stored (at, l) drains to the same level, and expires at the
-- same time (at + ceil(l / limit) = now + ceil(level / limit)), as a rewritten state would.
local drain = math.ceil(level / limit)
local retry = W
if cost <= burst then retry = math.max(1, math.ceil((new_level - capacity) / limit)) end
return { 0, 0, retry, now + drain }
