-- queue-enqueue.lua: adds messages to one queue, skipping ids that are live or dead (or
-- repeated within the call: the first one counts).
-- KEYS: see queue-common.lua (ready, delayed, leased, body, meta, seq, dead, deadids, signal)
-- ARGV[1]  n, the number of messages; then 5 values per message:
--          id, body (JSON), priority, notBefore (epoch ms, or -1 for none), maxDeliveries
-- Returns the number of messages added.
-- Commands: TIME, three HEXISTS per message, then for the whole call one INCRBY (a run of
-- sequence numbers), one HSET of the bodies, one HSET of the metas, one ZADD per sorted set
-- touched (each in chunks of CHUNK values), and the wake-up tokens.
local CHUNK = 2000
local now = now_ms()
local n = tonumber(ARGV[1])
local accepted, seen = {}, {}
for i = 0, n - 1 do
  local base = 2 + i * 5
  local id = ARGV[base]
  if not seen[id] and redis.call('HEXISTS', K_BODY, id) == 0 and redis.call('HEXISTS', K_META, id) == 0
    and redis.call('HEXISTS', K_DEAD, id) == 0 then
    seen[id] = true
    accepted[#accepted + 1] = base
  end
end
local added = #accepted
if added == 0 then return 0 end

-- Runs `command key v1 v2 …` over `values`, CHUNK values at a time (unpack has a limit).
local function bulk(command, key, values)
  for from = 1, #values, CHUNK do
    redis.call(command, key, unpack(values, from, math.min(#values, from + CHUNK - 1)))
  end
end

local first_seq = redis.call('INCRBY', K_SEQ, added) - added + 1
local bodies, metas, readies, delays = {}, {}, {}, {}
local ready, delayed = 0, 0
for k, base in ipairs(accepted) do
  local id = ARGV[base]
  local m = { p = tonumber(ARGV[base + 2]), r = string.format('%015d', first_seq + k - 1) .. ':' .. id,
    d = 0, x = tonumber(ARGV[base + 4]), t = '' }
  bodies[#bodies + 1] = id
  bodies[#bodies + 1] = ARGV[base + 1]
  metas[#metas + 1] = id
  metas[#metas + 1] = cjson.encode(m)
  local not_before = tonumber(ARGV[base + 3])
  if not_before > now then
    delays[#delays + 1] = not_before
    delays[#delays + 1] = id
    delayed = delayed + 1
  else
    readies[#readies + 1] = -m.p
    readies[#readies + 1] = m.r
    ready = ready + 1
  end
end
bulk('HSET', K_BODY, bodies)
bulk('HSET', K_META, metas)
bulk('ZADD', K_READY, readies)
bulk('ZADD', K_DELAYED, delays)
-- A token per ready message; one more so waiters re-arm their timeout for new delayed work.
if delayed > 0 then ready = ready + 1 end
signal(ready)
return added
