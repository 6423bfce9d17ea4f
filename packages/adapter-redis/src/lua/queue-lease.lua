-- queue-lease.lua: leases the best ready message of one queue (highest priority, oldest).
-- Due delayed messages and expired leases are moved to ready first. A message whose next
-- delivery would exceed maxDeliveries, or whose entry is corrupt, is dead-lettered instead.
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1] leaseMs, ARGV[2] token (random, from the client)
-- Returns {1, id, body, deliveries, expiresAt}, or {0, wakeInMs} when nothing is ready, where
-- wakeInMs is the time until the earliest delayed message or lease expiry (-1: none).
local now = now_ms()
maintain(now)
return lease_next(now, tonumber(ARGV[1]), ARGV[2])
