-- slot-acquire.lua: takes a concurrency slot for a holder if fewer than `limit` live holders
-- exist. Idempotent per holder (its TTL is renewed, it is not counted twice). Expired
-- holders are dropped first.
-- KEYS[1] slots ZSET {<prefix>:sl:<key>}: holder -> expiry (epoch ms, server time)
-- ARGV[1] holder, ARGV[2] limit, ARGV[3] ttlMs
-- Returns {acquired (1/0), count}.
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local acquired = 0
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  acquired = 1
end
local count = redis.call('ZCARD', KEYS[1])
if count > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[1], int(math.max(1, tonumber(last[2]) - now)))
end
return { acquired, count }
