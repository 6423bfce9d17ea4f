-- queue-release.lua: hands a held message back, leasable again after delayMs.
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1] id, ARGV[2] token, ARGV[3] delayMs, ARGV[4] countDelivery ('1' or '0')
-- Returns 1, or 0 when the lease is not held with this token.
local id = ARGV[1]
local m = held(id, ARGV[2])
if not m then return 0 end
redis.call('ZREM', K_LEASED, id)
m.t = ''
if ARGV[4] ~= '1' then m.d = m.d - 1 end
put_meta(id, m)
local delay = tonumber(ARGV[3])
if delay > 0 then
  redis.call('ZADD', K_DELAYED, now_ms() + delay, id)
else
  make_ready(m)
end
signal(1)
return 1
