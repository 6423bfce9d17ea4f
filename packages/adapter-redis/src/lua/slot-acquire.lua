-- slot-acquire.lua: takes a concurrency slot for a holder if fewer than `limit` live holders
-- exist. Idempotent per holder (its TTL is renewed, it is not counted twice). Expired
-- holders are dropped first. A granted call stamps the holder's confirmation time.
-- KEYS[1] slots ZSET, KEYS[2] confirmed ZSET (see slot-common.lua)
-- ARGV[1] holder, ARGV[2] limit, ARGV[3] ttlMs
-- Returns {acquired (1/0), count}.
local now = now_ms()
drop_expired(now)
local acquired = 0
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  acquired = 1
end
local count = redis.call('ZCARD', KEYS[1])
if count > 0 then expire_with_last(now) end
return { acquired, count }
