-- slot-holders.lua: the live holders of a key (read only).
-- KEYS[1] slots ZSET (see slot-common.lua)
-- ARGV: none
-- Returns the holders whose expiry is after now (unsorted; the client sorts).
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. int(now_ms()), '+inf')
