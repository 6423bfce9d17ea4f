-- slot-release.lua: gives a holder's slot back. Idempotent.
-- KEYS[1] slots ZSET (see slot-acquire.lua)
-- ARGV[1] holder
-- Returns 1 when the holder had a live slot, else 0.
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZREM', KEYS[1], ARGV[1])
