-- queue-lease.lua: leases the best ready message of one queue (highest priority, oldest).
-- Due delayed messages and expired leases are moved to ready first. A message whose next
-- delivery would exceed maxDeliveries, or whose entry is corrupt, is dead-lettered instead.
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1] leaseMs, ARGV[2] token (random, from the client)
-- Returns {1, id, body, deliveries, expiresAt}, or {0, wakeInMs} when nothing is ready, where
-- wakeInMs is the time until the earliest delayed message or lease expiry (-1: none).
local now = now_ms()
maintain(now)
while true do
  local first = redis.call('ZRANGE', K_READY, 0, 0)
  if #first == 0 then break end
  local member = first[1]
  redis.call('ZREM', K_READY, member)
  local id = id_of(member)
  local body = redis.call('HGET', K_BODY, id)
  local m = get_meta(id)
  if not body then
    forget(id)
  elseif not m or m.r ~= member then
    dead_letter(id, body, 'unparseable entry', m and m.d or 0, now)
  elseif m.d + 1 > m.x then
    dead_letter(id, body, 'max deliveries (' .. int(m.x) .. ') exceeded', m.d, now)
  else
    m.d = m.d + 1
    m.t = ARGV[2]
    put_meta(id, m)
    local expires = now + tonumber(ARGV[1])
    redis.call('ZADD', K_LEASED, expires, id)
    if redis.call('ZCARD', K_READY) == 0 then
      -- Nothing else ready: keep at most one token, and wake one waiter to re-arm its
      -- timeout when this lease is now the earliest to expire.
      redis.call('LTRIM', K_SIGNAL, 0, 0)
      if redis.call('ZRANGE', K_LEASED, 0, 0)[1] == id then signal(1) end
    end
    return { 1, id, body, m.d, expires }
  end
end
cleanup_if_empty()
local wake = -1
local d = redis.call('ZRANGE', K_DELAYED, 0, 0, 'WITHSCORES')
if d[2] then wake = tonumber(d[2]) - now end
local l = redis.call('ZRANGE', K_LEASED, 0, 0, 'WITHSCORES')
if l[2] then
  local w = tonumber(l[2]) - now
  if wake < 0 or w < wake then wake = w end
end
if wake == 0 then wake = 1 end
return { 0, wake }
