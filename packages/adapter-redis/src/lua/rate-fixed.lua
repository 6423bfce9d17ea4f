-- rate-fixed.lua: fixed-window hit, the Lua twin of fixedWindow() in core's
-- domain/rate-limit-algorithms.ts (same integers, same definitions). One atomic round trip.
-- KEYS[1] state HASH {<prefix>:rl:<key>}: a = 'fixed', ws = window start, c = count
-- ARGV[1] limit, ARGV[2] windowMs, ARGV[3] cost
-- Returns {allowed (1/0), remaining, retryAfterMs, resetAt}.
-- Commands: TIME, HMGET, then HINCRBY within a window, HSET + PEXPIRE when one starts, none on a denial.
local limit, W, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local ws = now - (now % W)
local count = 0
local s = redis.call('HMGET', KEYS[1], 'a', 'ws', 'c')
local same = s[1] == 'fixed' and tonumber(s[2]) == ws
if same then count = tonumber(s[3]) end
local reset_at = ws + W
local ttl = reset_at - now
if count + cost <= limit then
  if same then
    -- Same window: the expiry set when it started (its end) still holds.
    redis.call('HINCRBY', KEYS[1], 'c', cost)
  else
    -- A window starts. Another algorithm's fields would linger: drop them first.
    if s[1] and s[1] ~= 'fixed' then redis.call('DEL', KEYS[1]) end
    redis.call('HSET', KEYS[1], 'a', 'fixed', 'ws', int(ws), 'c', int(count + cost))
    redis.call('PEXPIRE', KEYS[1], int(ttl))
  end
  return { 1, limit - count - cost, 0, reset_at }
end
-- A denial changes nothing: a missing or older-window state already reads as this window's count.
local retry = reset_at - now
if cost > limit then retry = W end
return { 0, 0, retry, reset_at }
