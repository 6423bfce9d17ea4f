-- slot-refresh.lua: renews a live holder's TTL and stamps its confirmation time.
-- KEYS[1] slots ZSET, KEYS[2] confirmed ZSET (see slot-common.lua)
-- ARGV[1] holder, ARGV[2] ttlMs
-- Returns 1, or 0 when the holder has no live slot.
local now = now_ms()
drop_expired(now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
expire_with_last(now)
return 1
