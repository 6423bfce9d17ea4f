-- queue-ack-lease.lua: queue-ack.lua then queue-lease.lua on the same queue, in one call
-- (a worker acks the message it finished and takes the next in one round trip).
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1] id to ack, ARGV[2] its token, ARGV[3] leaseMs, ARGV[4] new token (random, from the client)
-- Returns {acked (1 or 0), then what queue-lease.lua returns}: {acked, 1, id, body,
-- deliveries, expiresAt} or {acked, 0, wakeInMs}.
local acked = 0
if held(ARGV[1], ARGV[2]) then
  redis.call('ZREM', K_LEASED, ARGV[1])
  forget(ARGV[1])
  acked = 1
end
local now = now_ms()
maintain(now)
local r = lease_next(now, tonumber(ARGV[3]), ARGV[4])
table.insert(r, 1, acked)
return r
