-- session-touch.lua: renews a live session's TTL and records the new expiresAt.
-- KEYS[1] the session hash
-- ARGV[1] ttlMs
-- Returns the new expiresAt (epoch ms, server time), or -1 when the session is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local expires = now_ms() + tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'expiresAt', int(expires))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return expires
