-- slot-release.lua: gives a holder's slot back. Idempotent.
-- KEYS[1] slots ZSET, KEYS[2] confirmed ZSET (see slot-common.lua)
-- ARGV[1] holder
-- Returns 1 when the holder had a live slot, else 0.
local now = now_ms()
drop_expired(now)
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
