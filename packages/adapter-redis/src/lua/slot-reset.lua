-- slot-reset.lua: replaces the holders of a key with exactly the given ones.
-- KEYS[1] slots ZSET (see slot-acquire.lua)
-- ARGV[1] ttlMs, ARGV[2..] holders
-- Returns the number of holders stored.
redis.call('DEL', KEYS[1])
if #ARGV < 2 then return 0 end
local expires = now_ms() + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], expires, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return #ARGV - 1
