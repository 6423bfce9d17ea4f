-- session-index-add.lua: lists a session in its tenant's index until it expires.
-- The index is two sorted sets sharing the tag {<prefix>:si:<tenant>}: `exp` scores ids by
-- expiry (server time) for pruning, `lex` holds them with score 0 for paging by id. Entries
-- are pruned on read and the keys expire with their last member, so the index never
-- outlives what it lists.
-- KEYS[1] exp ZSET, KEYS[2] lex ZSET
-- ARGV[1] session id, ARGV[2] ttlMs
-- Returns 1.
local expires = now_ms() + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expires, ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local keep = tonumber(last[2]) - expires + tonumber(ARGV[2]) + 1000
redis.call('PEXPIRE', KEYS[1], int(keep))
redis.call('PEXPIRE', KEYS[2], int(keep))
return 1
