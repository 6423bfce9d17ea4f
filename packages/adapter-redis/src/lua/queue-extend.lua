-- queue-extend.lua: pushes a held lease's expiry to now + leaseMs.
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1] id, ARGV[2] token, ARGV[3] leaseMs
-- Returns the new expiresAt (epoch ms), or -1 when the lease is not held with this token.
if not held(ARGV[1], ARGV[2]) then return -1 end
local expires = now_ms() + tonumber(ARGV[3])
redis.call('ZADD', K_LEASED, expires, ARGV[1])
return expires
