-- queue-remove-dead.lua: deletes one dead letter.
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal, deadnew)
-- ARGV[1] id
-- Returns 1 when it was there, else 0.
upgrade_deadids()
redis.call('ZREM', K_DEADIDS, ARGV[1])
redis.call('LREM', K_DEADNEW, 0, ARGV[1])
return redis.call('HDEL', K_DEAD, ARGV[1])
