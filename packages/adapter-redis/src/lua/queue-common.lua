-- queue-common.lua: prepended to every queue-*.lua script at load time (not run alone).
-- Every queue script takes the same KEYS, all sharing the hash tag {<prefix>:q:<queue>}:
--   KEYS[1] ready    ZSET  member "<seq, 15 digits>:<id>", score -priority (ties: FIFO by member)
--   KEYS[2] delayed  ZSET  member id, score = epoch ms when it becomes leasable
--   KEYS[3] leased   ZSET  member id, score = epoch ms when the lease expires
--   KEYS[4] body     HASH  id -> message JSON as enqueued (parsed by the client, never here)
--   KEYS[5] meta     HASH  id -> JSON {p = priority, r = ready member, d = deliveries,
--                          x = maxDeliveries, t = lease token or ''}
--   KEYS[6] seq      STRING enqueue counter (deleted when the queue is empty)
--   KEYS[7] dead     HASH  id -> JSON {body, reason, deliveries, at}
--   KEYS[8] deadids  ZSET  dead-letter ids, score = paging position: now_ms * 1000, or one
--                          more than the highest when that is not smaller (oldest first)
--   KEYS[9] signal   LIST  wake-up tokens; waiting workers BLPOP it
--   KEYS[10] deadnew LIST  dead-letter ids the reconciler has not marked processed, oldest first
-- Time is the server's (TIME), so hosts with skewed clocks agree on lease expiry.
local K_READY, K_DELAYED, K_LEASED = KEYS[1], KEYS[2], KEYS[3]
local K_BODY, K_META, K_SEQ = KEYS[4], KEYS[5], KEYS[6]
local K_DEAD, K_DEADIDS, K_SIGNAL, K_DEADNEW = KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local MAX_TOKENS = 1000
local BATCH = 1000

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function int(n)
  return string.format('%d', n)
end

-- The meta of id, or nil when missing or corrupt.
local function get_meta(id)
  local raw = redis.call('HGET', K_META, id)
  if not raw then return nil end
  local ok, m = pcall(cjson.decode, raw)
  if not ok or type(m) ~= 'table' or type(m.r) ~= 'string' or type(m.d) ~= 'number'
    or type(m.x) ~= 'number' or type(m.p) ~= 'number' then
    return nil
  end
  return m
end

local function put_meta(id, m)
  redis.call('HSET', K_META, id, cjson.encode(m))
end

local function make_ready(m)
  redis.call('ZADD', K_READY, -m.p, m.r)
end

local function id_of(member)
  return string.sub(member, 17)
end

local function forget(id)
  redis.call('HDEL', K_BODY, id)
  redis.call('HDEL', K_META, id)
end

-- Pushes n wake-up tokens (bounded) for waiting workers.
local function signal(n)
  if n <= 0 then return end
  if n > MAX_TOKENS then n = MAX_TOKENS end
  local tokens = {}
  for i = 1, n do tokens[i] = '1' end
  redis.call('LPUSH', K_SIGNAL, unpack(tokens))
  redis.call('LTRIM', K_SIGNAL, 0, MAX_TOKENS - 1)
  redis.call('PEXPIRE', K_SIGNAL, 60000)
end

-- Nothing live left: drop the counter and stale wake-up tokens (acked work leaves no keys).
local function cleanup_if_empty()
  if redis.call('ZCARD', K_READY) == 0 and redis.call('ZCARD', K_DELAYED) == 0
    and redis.call('ZCARD', K_LEASED) == 0 then
    redis.call('DEL', K_SEQ, K_SIGNAL)
  end
end

-- Dead-letter ids were a LIST before they had paging positions: an old list becomes the
-- sorted set in place, its ids at positions 1..n (older than any new letter), oldest first.
local function upgrade_deadids()
  if redis.call('TYPE', K_DEADIDS).ok ~= 'list' then return end
  local ids = redis.call('LRANGE', K_DEADIDS, 0, -1)
  redis.call('DEL', K_DEADIDS)
  for i, id in ipairs(ids) do redis.call('ZADD', K_DEADIDS, i, id) end
end

-- Written to the dead letters first, then removed from the live queue.
local function dead_letter(id, body, reason, deliveries, now)
  upgrade_deadids()
  local entry = { body = body or false, reason = reason, deliveries = deliveries, at = now }
  redis.call('HSET', K_DEAD, id, cjson.encode(entry))
  local position = now * 1000
  local last = redis.call('ZRANGE', K_DEADIDS, -1, -1, 'WITHSCORES')
  if last[2] and tonumber(last[2]) >= position then position = tonumber(last[2]) + 1 end
  redis.call('ZADD', K_DEADIDS, string.format('%d', position), id)
  redis.call('LREM', K_DEADNEW, 0, id)
  redis.call('RPUSH', K_DEADNEW, id)
  forget(id)
end

-- The lease of id when held with token (an expired lease still counts until reclaimed).
local function held(id, token)
  if not redis.call('ZSCORE', K_LEASED, id) then return nil end
  local m = get_meta(id)
  if not m or m.t ~= token then return nil end
  return m
end

-- An index entry whose meta is missing or corrupt: dead-letter the body, if any is left.
local function drop_corrupt(id, now)
  local body = redis.call('HGET', K_BODY, id)
  if body then dead_letter(id, body, 'unparseable entry', 0, now) else forget(id) end
end

-- Moves due delayed messages to ready and reclaims expired leases (deliveries kept).
local function maintain(now)
  local due = redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', now, 'LIMIT', 0, BATCH)
  for _, id in ipairs(due) do
    redis.call('ZREM', K_DELAYED, id)
    local m = get_meta(id)
    if m then make_ready(m) else drop_corrupt(id, now) end
  end
  local expired = redis.call('ZRANGEBYSCORE', K_LEASED, '-inf', now, 'LIMIT', 0, BATCH)
  for _, id in ipairs(expired) do
    redis.call('ZREM', K_LEASED, id)
    local m = get_meta(id)
    if m then
      m.t = ''
      put_meta(id, m)
      make_ready(m)
    else
      drop_corrupt(id, now)
    end
  end
end

-- Leases the best ready message (highest priority, oldest), after maintain(now). A message
-- whose next delivery would exceed maxDeliveries, or whose entry is corrupt, is
-- dead-lettered instead. Returns {1, id, body, deliveries, expiresAt}, or {0, wakeInMs}
-- when nothing is ready (wakeInMs: time until the earliest delayed message or lease
-- expiry, -1 for none).
local function lease_next(now, lease_ms, token)
  while true do
    -- ZPOPMIN takes what ZRANGE 0 0 would name (lowest score, then lowest member) in one call.
    local first = redis.call('ZPOPMIN', K_READY)
    if #first == 0 then break end
    local member = first[1]
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
      m.t = token
      put_meta(id, m)
      local expires = now + tonumber(lease_ms)
      redis.call('ZADD', K_LEASED, expires, id)
      if redis.call('ZCARD', K_READY) == 0 then
        -- Nothing else ready: keep at most one token, and wake one waiter to re-arm its
        -- timeout when this lease is now the earliest to expire.
        -- (The list then holds at most two tokens: no LTRIM to MAX_TOKENS needed.)
        redis.call('LTRIM', K_SIGNAL, 0, 0)
        if redis.call('ZRANGE', K_LEASED, 0, 0)[1] == id then
          redis.call('LPUSH', K_SIGNAL, '1')
          redis.call('PEXPIRE', K_SIGNAL, 60000)
        end
      end
      return { 1, id, body, m.d, expires }
    end
  end
  -- Ready is empty here (the loop ends on an empty pop): with no delayed message and no
  -- lease either, nothing is live (cleanup_if_empty without its three ZCARDs).
  local wake = -1
  local d = redis.call('ZRANGE', K_DELAYED, 0, 0, 'WITHSCORES')
  local l = redis.call('ZRANGE', K_LEASED, 0, 0, 'WITHSCORES')
  if not d[2] and not l[2] then redis.call('DEL', K_SEQ, K_SIGNAL) end
  if d[2] then wake = tonumber(d[2]) - now end
  if l[2] then
    local w = tonumber(l[2]) - now
    if wake < 0 or w < wake then wake = w end
  end
  if wake == 0 then wake = 1 end
  return { 0, wake }
end
