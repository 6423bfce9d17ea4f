-- rate-fixed.lua: fixed-window hit, the Lua twin of fixedWindow() in core's
-- domain/rate-limit-algorithms.ts (same integers, same definitions). One atomic round trip.
-- KEYS[1] state HASH {<prefix>:rl:<key>}: a = 'fixed', ws = window start, c = count
-- ARGV[1] limit, ARGV[2] windowMs, ARGV[3] cost
-- Returns {allowed (1/0), remaining, retryAfterMs, resetAt}.
local limit, W, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local ws = now - (now % W)
local count = 0
local s = redis.call('HMGET', KEYS[1], 'a', 'ws', 'c')
if s[1] == 'fixed' and tonumber(s[2]) == ws then count = tonumber(s[3]) end
local reset_at = ws + W
local ttl = reset_at - now
if count + cost <= limit then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'a', 'fixed', 'ws', int(ws), 'c', int(count + cost))
  redis.call('PEXPIRE', KEYS[1], int(ttl))
  return { 1, limit - count - cost, 0, reset_at }
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'a', 'fixed', 'ws', int(ws), 'c', int(count))
redis.call('PEXPIRE', KEYS[1], int(ttl))
local retry = reset_at - now
if cost > limit then retry = W end
return { 0, 0, retry, reset_at }
