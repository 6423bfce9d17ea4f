-- session-patch.lua: applies a field patch, raising the version by one, with an optional
-- version check, so concurrent writers never lose updates silently.
-- KEYS[1] the session hash
-- ARGV[1] expected version ('' = any), ARGV[2] at (epoch ms, becomes updatedAt),
-- ARGV[3] ttlMs ('' = keep the TTL), ARGV[4..] field/value pairs to set
-- Returns {1, {hash as flat field/value list}}, {0} when gone, {-1, currentVersion} on mismatch.
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0 } end
local version = tonumber(redis.call('HGET', KEYS[1], 'version'))
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= version then return { -1, version } end
redis.call('HSET', KEYS[1], 'version', int(version + 1), 'updatedAt', ARGV[2])
if #ARGV >= 4 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'expiresAt', int(tonumber(ARGV[2]) + tonumber(ARGV[3])))
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return { 1, redis.call('HGETALL', KEYS[1]) }
