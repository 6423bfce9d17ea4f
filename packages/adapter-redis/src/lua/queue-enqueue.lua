-- queue-enqueue.lua: adds messages to one queue, skipping ids that are live or dead.
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1]  n, the number of messages; then 5 values per message:
--          id, body (JSON), priority, notBefore (epoch ms, or -1 for none), maxDeliveries
-- Returns the number of messages added.
local now = now_ms()
local n = tonumber(ARGV[1])
local added, ready, delayed = 0, 0, 0
for i = 0, n - 1 do
  local base = 2 + i * 5
  local id = ARGV[base]
  if redis.call('HEXISTS', K_BODY, id) == 0 and redis.call('HEXISTS', K_META, id) == 0
    and redis.call('HEXISTS', K_DEAD, id) == 0 then
    local seq = redis.call('INCR', K_SEQ)
    local m = { p = tonumber(ARGV[base + 2]), r = string.format('%015d', seq) .. ':' .. id, d = 0,
      x = tonumber(ARGV[base + 4]), t = '' }
    redis.call('HSET', K_BODY, id, ARGV[base + 1])
    put_meta(id, m)
    local not_before = tonumber(ARGV[base + 3])
    if not_before > now then
      redis.call('ZADD', K_DELAYED, not_before, id)
      delayed = delayed + 1
    else
      make_ready(m)
      ready = ready + 1
    end
    added = added + 1
  end
end
-- A token per ready message; one more so waiters re-arm their timeout for new delayed work.
if delayed > 0 then ready = ready + 1 end
signal(ready)
return added
