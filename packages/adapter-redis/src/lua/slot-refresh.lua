-- slot-refresh.lua: renews a live holder's TTL.
-- KEYS[1] slots ZSET (see slot-acquire.lua)
-- ARGV[1] holder, ARGV[2] ttlMs
-- Returns 1, or 0 when the holder has no live slot.
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], int(math.max(1, tonumber(last[2]) - now)))
return 1
