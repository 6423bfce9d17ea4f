-- rate-sliding.lua: weighted sliding-window hit, the Lua twin of slidingWindow() in core's
-- domain/rate-limit-algorithms.ts: every comparison multiplied through by W, in integers.
-- KEYS[1] state HASH {<prefix>:rl:<key>}: a = 'sliding', ws = window start,
--         p = previous window's count, c = current window's count
-- ARGV[1] limit, ARGV[2] windowMs, ARGV[3] cost
-- Returns {allowed (1/0), remaining, retryAfterMs, resetAt}.
-- Commands: TIME, HMGET, then HINCRBY within a window, HSET + PEXPIRE when one starts, none on a denial.
local limit, W, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local ws = now - (now % W)
local elapsed = now - ws
local previous, current = 0, 0
local s = redis.call('HMGET', KEYS[1], 'a', 'ws', 'p', 'c')
if s[1] == 'sliding' then
  local sws = tonumber(s[2])
  if sws == ws then
    previous, current = tonumber(s[3]), tonumber(s[4])
  elseif sws == ws - W then
    previous = tonumber(s[4])
  end
end
local weighted = previous * (W - elapsed)
local allowed = weighted + (current + cost) * W <= limit * W
local new_current = current
if allowed then
  new_current = current + cost
  if s[1] == 'sliding' and tonumber(s[2]) == ws then
    -- Same window: p and the expiry (ws + 2W, set when the window started) still hold.
    redis.call('HINCRBY', KEYS[1], 'c', cost)
  else
    -- Whatever else the hash holds (another algorithm's fields) goes first.
    if s[1] ~= 'sliding' then redis.call('DEL', KEYS[1]) end
    redis.call('HSET', KEYS[1], 'a', 'sliding', 'ws', int(ws), 'p', int(previous), 'c', int(new_current))
    redis.call('PEXPIRE', KEYS[1], int(ws + 2 * W - now))
  end
end
-- A denial writes nothing: a previous-window state still reads the same (p = its c, c = 0)
-- until this window ends, when it expires and its count no longer matters.
local reset_at = ws + W
if new_current > 0 then reset_at = ws + 2 * W end
if allowed then
  return { 1, math.floor((limit * W - weighted - new_current * W) / W), 0, reset_at }
end
local retry
if cost > limit then
  retry = W
elseif current + cost <= limit then
  local e = W - math.floor(((limit - current - cost) * W) / previous)
  retry = math.max(1, e - elapsed)
else
  local e = W - math.floor(((limit - cost) * W) / current)
  retry = W - elapsed + e
end
return { 0, 0, retry, reset_at }
