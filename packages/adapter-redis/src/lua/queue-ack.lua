-- queue-ack.lua: removes a held message for good (nothing of it is left behind).
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1] id, ARGV[2] token
-- Returns 1, or 0 when the lease is not held with this token.
if not held(ARGV[1], ARGV[2]) then return 0 end
redis.call('ZREM', K_LEASED, ARGV[1])
forget(ARGV[1])
cleanup_if_empty()
return 1
