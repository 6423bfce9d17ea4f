-- session-index-remove.lua: takes a session out of its tenant's index.
-- KEYS[1] exp ZSET, KEYS[2] lex ZSET (see session-index-add.lua)
-- ARGV[1] session id
-- Returns 1 when it was listed, else 0.
local n = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
