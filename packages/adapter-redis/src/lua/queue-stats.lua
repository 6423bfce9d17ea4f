-- queue-stats.lua: exact counts of one queue (read only; due delayed messages count as ready).
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV: none
-- Returns {ready, delayed, leased, dead}.
local now = now_ms()
local due = redis.call('ZCOUNT', K_DELAYED, '-inf', now)
return {
  redis.call('ZCARD', K_READY) + due,
  redis.call('ZCARD', K_DELAYED) - due,
  redis.call('ZCARD', K_LEASED),
  redis.call('HLEN', K_DEAD),
}
