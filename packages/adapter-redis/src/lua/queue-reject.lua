-- queue-reject.lua: dead-letters a held message the client could not parse.
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1] id, ARGV[2] token, ARGV[3] reason
-- Returns 1, or 0 when the lease is not held with this token.
local id = ARGV[1]
local m = held(id, ARGV[2])
if not m then return 0 end
redis.call('ZREM', K_LEASED, id)
dead_letter(id, redis.call('HGET', K_BODY, id), ARGV[3], m.d, now_ms())
cleanup_if_empty()
return 1
