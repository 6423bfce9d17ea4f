-- session-create.lua: stores a new live session hash with a TTL, unless the id exists.
-- KEYS[1] the session hash {<prefix>:s:<tenant>:<id>}
-- ARGV[1] ttlMs; ARGV[2..] field/value pairs of the hash
-- Returns 1 when created, 0 when the session already exists.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
